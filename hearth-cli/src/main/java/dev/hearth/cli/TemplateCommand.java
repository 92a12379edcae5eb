package dev.hearth.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.generate.PromptEncoder;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.template.ChatTemplate;
import dev.hearth.engine.template.ChatTemplates;
import dev.hearth.engine.template.TemplateException;
import dev.hearth.engine.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

@Command(name = "template", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Render a conversation through a chat template and print the prompt exactly (no line break added).",
                "The template is the model's tokenizer.chat_template (or tokenizer.chat_template.NAME with "
                        + "--template-name; a model without one gets Hearth's built-in format for it, with a note "
                        + "on stderr), or a Jinja file with --template. With -m, bos_token and eos_token are the "
                        + "model's BOS and EOS; with both -m and --template, the file's template is rendered with "
                        + "the model's tokens."})
final class TemplateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String TEMPLATE_KEY = "tokenizer.chat_template";

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf",
            description = "The model (or vocabulary-only) GGUF file: its template, BOS/EOS and tokenizer.")
    Path model;

    @Option(names = "--template", paramLabel = "FILE.jinja", description = "Render this template file instead.")
    Path templateFile;

    @Option(names = "--template-name", paramLabel = "NAME",
            description = "With -m: use the model's named template tokenizer.chat_template.NAME (e.g. tool_use).")
    String templateName;

    @Option(names = "--bos-token", paramLabel = "S",
            description = "The bos_token variable (default: the model's BOS text; unset without -m).")
    String bosToken;

    @Option(names = "--eos-token", paramLabel = "S",
            description = "The eos_token variable (default: the model's EOS text; unset without -m).")
    String eosToken;

    @Option(names = "--messages", required = true, paramLabel = "CONV.json",
            description = "The conversation: an OpenAI-style array of messages, or an object with \"messages\" "
                    + "(and optionally \"tools\"), such as a chat/completions request body. - reads standard input.")
    Path messagesFile;

    @Option(names = "--tools", paramLabel = "TOOLS.json",
            description = "The tools variable: an array of tool definitions, or an object with \"tools\".")
    Path toolsFile;

    @Option(names = "--no-generation-prompt", description = "Set add_generation_prompt to false (default: true).")
    boolean noGenerationPrompt;

    @Option(names = "--var", paramLabel = "NAME=JSON",
            description = "One more template variable, its value in JSON (e.g. enable_thinking=false, "
                    + "date_string='\"26 Jul 2024\"'); may be repeated and overrides the variables above.")
    Map<String, String> vars = new LinkedHashMap<>();

    @Option(names = "--ids",
            description = "With -m: after the prompt print a line break and a line with the prompt's token ids, "
                    + "as a server feeds them: control-token texts are parsed, and BOS/EOS are added where the "
                    + "vocabulary asks unless the prompt already starts/ends with them.")
    boolean ids;

    @Override
    public Integer call() throws Exception {
        if (model == null && templateFile == null) throw usage("give -m FILE.gguf or --template FILE.jinja (or both)");
        if (templateName != null && (model == null || templateFile != null)) {
            throw usage("--template-name picks one of the model's templates: it needs -m and no --template");
        }
        if (ids && model == null) throw usage("--ids needs -m (the model's tokenizer)");

        Conversation conv = conversation();
        List<Map<String, Object>> tools = toolsFile != null ? tools(toolsFile) : conv.tools();
        Map<String, Object> extra = new LinkedHashMap<>();
        vars.forEach((name, value) -> extra.put(name, varValue(name, value)));

        String output;
        if (model == null) {
            output = render(fileTemplate(), conv.messages(), tools, bosToken, eosToken, extra);
        } else {
            try (GgufFile f = GgufFile.open(model)) {
                Tokenizer t = TokenText.tokenizer(f);
                String bos = bosToken != null ? bosToken : PromptEncoder.specialText(t, t.bos());
                String eos = eosToken != null ? eosToken : PromptEncoder.specialText(t, t.eos());
                Template template = templateFile != null ? fileTemplate() : modelTemplate(f, t);
                output = render(template, conv.messages(), tools, bos, eos, extra);
                if (ids) output += "\n" + TokenText.ids(PromptEncoder.chatIds(t, output, bos, eos)) + "\n";
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(output);
        out.flush();
        return 0;
    }

    /** A template's source and how to name it in an error. */
    record Template(String source, String name) {}

    private Template fileTemplate() throws Exception {
        return new Template(new String(TokenText.read(templateFile, main.in, spec), StandardCharsets.UTF_8), templateFile.toString());
    }

    /** The model's (named) template; without one, the built-in format its tokens or architecture suggest. */
    private Template modelTemplate(GgufFile f, Tokenizer t) {
        String key = templateName == null ? TEMPLATE_KEY : TEMPLATE_KEY + "." + templateName;
        if (f.has(key)) {
            if (!(f.metadata().get(key) instanceof String s)) {
                throw new CommandError(model + ": metadata '" + key + "' is " + f.metadataType(key) + ", not a string");
            }
            return new Template(s, model + " " + key);
        }
        if (templateName != null) {
            throw new CommandError(model + " has no template named '" + templateName + "' (" + namedTemplates(f) + ")");
        }
        ChatTemplates.Format format = ChatTemplates.choose(f.getString("general.architecture", null),
                text -> t.tokenId(text) != Tokenizer.NO_TOKEN);
        String name = "the built-in " + format.name().toLowerCase(Locale.ROOT) + " template";
        PrintWriter err = spec.commandLine().getErr();
        err.println("hearth: " + model + " has no " + TEMPLATE_KEY + "; using " + name);
        err.flush();
        return new Template(format.source(), name);
    }

    private String render(Template template, List<Map<String, Object>> messages, List<Map<String, Object>> tools,
            String bos, String eos, Map<String, Object> extra) {
        try {
            return ChatTemplate.compile(template.source()).render(messages, tools, !noGenerationPrompt, bos, eos, extra);
        } catch (TemplateException e) {
            throw new CommandError(template.name() + ": " + describe(e), e);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * The ids a server would feed the model: like llama.cpp's chat code, a BOS (EOS) the template wrote itself is
     * taken off before tokenizing with add_special, so it is not doubled; parse_special is on.
     */
    private static String namedTemplates(GgufFile f) {
        TreeSet<String> names = new TreeSet<>();
        for (String k : f.metadata().keySet()) {
            if (k.startsWith(TEMPLATE_KEY + ".")) names.add(k.substring(TEMPLATE_KEY.length() + 1));
        }
        return names.isEmpty() ? "it has none" : "it has " + String.join(", ", names);
    }

    /** One line about a template failure, in Jinja2's words. */
    static String describe(TemplateException e) {
        String at = e.line() > 0 ? " (line " + e.line() + ")" : "";
        return switch (e.kind()) {
            case SYNTAX -> "template syntax error: " + e.getMessage();
            case RAISED -> "the template raised an error: " + e.detail() + at;
            case SECURITY -> "template error (sandbox): " + e.detail() + at;
            case UNDEFINED, RUNTIME -> "template error: " + e.detail() + at;
        };
    }

    // ---- JSON inputs

    record Conversation(List<Map<String, Object>> messages, List<Map<String, Object>> tools) {}

    private Conversation conversation() throws Exception {
        Object root = json(messagesFile);
        String what = messagesFile.toString();
        if (root instanceof Map<?, ?> m) {
            if (!(m.get("messages") instanceof List<?> list)) {
                throw new CommandError(what + ": expected an array of messages or an object with a \"messages\" array");
            }
            List<Map<String, Object>> tools = m.get("tools") == null ? null : objects(m.get("tools"), what + ": \"tools\"", "tool");
            return new Conversation(objects(list, what + ": \"messages\"", "message"), tools);
        }
        return new Conversation(objects(root, what, "message"), null);
    }

    private List<Map<String, Object>> tools(Path file) throws Exception {
        Object root = json(file);
        if (root instanceof Map<?, ?> m && m.containsKey("tools")) return objects(m.get("tools"), file + ": \"tools\"", "tool");
        return objects(root, file.toString(), "tool");
    }

    private Object json(Path file) throws Exception {
        byte[] bytes = TokenText.read(file, main.in, spec);
        try {
            return JSON.readValue(bytes, Object.class);
        } catch (JsonProcessingException e) {
            throw new CommandError(file + ": not valid JSON: " + jsonProblem(e), e);
        }
    }

    /** A JSON array of objects as a list of maps (Jackson already gives LinkedHashMap/ArrayList/boxed values). */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> objects(Object value, String what, String element) {
        if (!(value instanceof List<?> list)) throw new CommandError(what + ": expected an array of " + element + "s");
        List<Map<String, Object>> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new CommandError(what + ": " + element + " " + i + " is not a JSON object");
            }
            out.add((Map<String, Object>) m);
        }
        return out;
    }

    private static Object varValue(String name, String value) {
        try {
            return JSON.readValue(value, Object.class);
        } catch (JsonProcessingException e) {
            throw new CommandError("--var " + name + "=" + value + ": the value is not JSON (" + jsonProblem(e)
                    + "); write a string in JSON quotes, e.g. --var " + name + "='\"" + value + "\"'");
        }
    }

    private static String jsonProblem(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return e.getOriginalMessage() + where;
    }
}
