package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.hearth.cli.Cli.run;
import static dev.hearth.cli.TokenizeCommandTest.assertOneLineError;
import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth template}: golden renderings from Python Jinja2, model templates, fallbacks, --ids and errors. */
class TemplateCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The engine's golden corpus (generate.py): templates x conversations with Jinja2's output or error. */
    static final Path GOLDEN = Path.of("../hearth-engine/src/test/resources/templates").toAbsolutePath().normalize();
    static final Path FALLBACKS = Path.of("../hearth-engine/src/main/resources/dev/hearth/engine/template/fallback").toAbsolutePath().normalize();

    /** A ChatML template, written by hand. */
    static final String CHATML = """
            {% for m in messages %}<|im_start|>{{ m.role }}
            {{ m.content }}<|im_end|>
            {% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
            {% endif %}
            """;
    /** fixtures/tokenizer input 165, which llama.cpp tokenized: CHATML of {@link #HELLO} with the generation prompt. */
    static final String HELLO_CHATML = "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n";
    static final String HELLO = "[{\"role\": \"user\", \"content\": \"Hello!\"}]";

    @TempDir
    Path tmp;

    private Path write(String name, String content) throws Exception {
        return Files.writeString(tmp.resolve(name), content);
    }

    // ---- --template FILE against the golden corpus

    @Test
    void rendersTheGoldenCorpusExactly() throws Exception {
        JsonNode spec = JSON.readTree(GOLDEN.resolve("conversations.json").toFile());
        Map<String, JsonNode> conversations = new HashMap<>();
        for (JsonNode c : spec.path("conversations")) conversations.put(c.path("name").asText(), c);
        int rendered = 0, failed = 0, k = 0;
        for (JsonNode c : JSON.readTree(GOLDEN.resolve("golden.json").toFile()).path("cases")) {
            if (!c.has("template")) continue;
            String template = c.path("template").asText();
            Path file = template.startsWith("fallback/") ? FALLBACKS.resolve(template.substring(9)) : GOLDEN.resolve(template);
            if (Files.readString(file).contains("strftime_now")) continue; // renders today's date, not the corpus clock
            JsonNode conv = conversations.get(c.path("conversation").asText());
            List<String> args = new ArrayList<>(List.of("template", "--template", file.toString()));
            // alternately a request-like object with "tools", and a bare array plus --tools
            Path messages = tmp.resolve("conv.json"), tools = tmp.resolve("tools.json");
            if (k++ % 2 == 0) {
                ObjectNode body = JSON.createObjectNode().put("model", "x");
                body.set("messages", conv.path("messages"));
                if (conv.has("tools")) body.set("tools", conv.path("tools"));
                JSON.writeValue(messages.toFile(), body);
            } else {
                JSON.writeValue(messages.toFile(), conv.path("messages"));
                if (conv.has("tools")) {
                    JSON.writeValue(tools.toFile(), conv.path("tools"));
                    args.addAll(List.of("--tools", tools.toString()));
                }
            }
            args.addAll(List.of("--messages", messages.toString()));
            args.addAll(List.of("--bos-token", conv.has("bos_token") ? conv.path("bos_token").asText() : spec.path("defaults").path("bos_token").asText()));
            args.addAll(List.of("--eos-token", conv.has("eos_token") ? conv.path("eos_token").asText() : spec.path("defaults").path("eos_token").asText()));
            if (!conv.path("add_generation_prompt").asBoolean()) args.add("--no-generation-prompt");
            for (var e : conv.path("extra").properties()) args.addAll(List.of("--var", e.getKey() + "=" + JSON.writeValueAsString(e.getValue())));

            String what = template + " x " + c.path("conversation").asText();
            Cli.Run r = run(args.toArray(String[]::new));
            if (c.has("output")) {
                assertEquals(0, r.exit(), what + ": " + r.err());
                assertEquals(c.path("output").asText(), r.out(), what);
                assertEquals("", r.err(), what);
                rendered++;
            } else {
                String message = c.path("error").path("message").asText();
                assertOneLineError(r, file.toString(), message.replace('\n', ' '));
                if (c.path("error").path("type").asText().equals("TemplateError")) {
                    assertTrue(r.err().startsWith("hearth: " + file + ": the template raised an error: " + message.replace('\n', ' ')), r.err());
                }
                failed++;
            }
        }
        assertTrue(rendered > 400 && failed > 50, rendered + " rendered, " + failed + " failed");
    }

    @Test
    void chatMlByHand() throws Exception {
        Path t = write("chatml.jinja", CHATML);
        Path conv = write("conv.json", """
                [{"role": "system", "content": "You are a helpful assistant."},
                 {"role": "user", "content": "Hello!"}]""");
        String turns = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n";
        Cli.Run r = run("template", "--template", t.toString(), "--messages", conv.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(turns + "<|im_start|>assistant\n", r.out());
        assertEquals("", r.err());
        assertEquals(turns, run("template", "--template", t.toString(), "--messages", conv.toString(), "--no-generation-prompt").out());
        assertEquals(turns + "<|im_start|>assistant\n", Cli.runWithInput(Files.readString(conv), "template", "--template", t.toString(), "--messages", "-").out());
    }

    @Test
    void variablesAreJson() throws Exception {
        Path t = write("vars.jinja", "{{ flag | tojson }}|{{ obj | tojson }}|{{ s }}|{{ n + 1 }}|{{ bos_token is defined }}|{{ messages | length }}");
        Path conv = write("conv.json", "{\"messages\": []}");
        Cli.Run r = run("template", "--template", t.toString(), "--messages", conv.toString(), "--var", "flag=false",
                "--var", "obj={\"b\": [1, 2.5, \"x\", null], \"a\": {}}", "--var", "s=\"a b\"", "--var", "n=41");
        assertEquals(0, r.exit(), r.err());
        assertEquals("false|{\"b\": [1, 2.5, \"x\", null], \"a\": {}}|a b|42|False|0", r.out());
        // --var overrides the standard variables
        assertEquals("[\"x\"]", run("template", "--template", write("m.jinja", "{{ messages | tojson }}").toString(),
                "--messages", conv.toString(), "--var", "messages=[\"x\"]").out());
    }

    // ---- -m FILE.gguf

    /** A copy of a fixture vocabulary with string metadata added (e.g. a chat template) and keys replaced. */
    private Path vocabWith(String vocab, Map<String, String> strings) throws Exception {
        Path target = tmp.resolve(vocab + "-" + strings.keySet().hashCode() + ".gguf");
        GgufWriter w = new GgufWriter();
        try (GgufFile f = GgufFile.open(VocabFixtures.gguf(vocab))) {
            for (var e : f.metadata().entrySet()) {
                if (!strings.containsKey(e.getKey())) w.put(e.getKey(), f.metadataType(e.getKey()), e.getValue());
            }
        }
        strings.forEach(w::putString);
        w.write(target);
        return target;
    }

    private static int[] fixtureIds(String vocab, String text) throws Exception {
        return VocabFixtures.lines(vocab).stream().filter(l -> l.text().equals(text) && l.addSpecial() && l.parseSpecial())
                .findFirst().orElseThrow().ids();
    }

    @Test
    void modelTemplateWithIds() throws Exception {
        Path conv = write("conv.json", HELLO);
        for (String vocab : List.of("spm", "bpe-qwen2")) {
            Path model = vocabWith(vocab, Map.of("tokenizer.chat_template", CHATML));
            Cli.Run r = run("template", "-m", model.toString(), "--messages", conv.toString());
            assertEquals(0, r.exit(), r.err());
            assertEquals(HELLO_CHATML, r.out());
            assertEquals("", r.err());
            // the ids llama.cpp gave the same text (add_special and parse_special on), on the next line
            String ids = VocabFixtures.ids(fixtureIds(vocab, HELLO_CHATML));
            assertEquals(HELLO_CHATML + "\n" + ids + "\n", run("template", "-m", model.toString(), "--messages", conv.toString(), "--ids").out());

            // a template that writes the BOS itself gets it once
            Path withBos = vocabWith(vocab, Map.of("tokenizer.chat_template", "{{ bos_token }}" + CHATML));
            String bos = vocab.equals("spm") ? "<s>" : "<|endoftext|>";
            assertEquals(bos + HELLO_CHATML + "\n" + ids + "\n", run("template", "-m", withBos.toString(), "--messages", conv.toString(), "--ids").out());
        }
    }

    @Test
    void namedTemplatesAndTemplateFileWithModel() throws Exception {
        Path conv = write("conv.json", HELLO);
        Path model = vocabWith("spm", Map.of("tokenizer.chat_template", CHATML,
                "tokenizer.chat_template.tool_use", "tools:{{ tools | length }} {{ eos_token }}"));
        Path tools = write("tools.json", "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}");
        assertEquals("tools:1 </s>", run("template", "-m", model.toString(), "--template-name", "tool_use",
                "--messages", conv.toString(), "--tools", tools.toString()).out());
        assertOneLineError(run("template", "-m", model.toString(), "--template-name", "rag", "--messages", conv.toString()),
                "no template named 'rag'", "it has tool_use");
        // a template file rendered with the model's tokens
        Path t = write("t.jinja", "[{{ bos_token }}|{{ eos_token }}]");
        assertEquals("[<s>|</s>]", run("template", "-m", model.toString(), "--template", t.toString(), "--messages", conv.toString()).out());
        assertEquals("[B|</s>]", run("template", "-m", model.toString(), "--template", t.toString(), "--messages", conv.toString(), "--bos-token", "B").out());
    }

    @Test
    void modelWithoutTemplateUsesTheFallback() throws Exception {
        Path conv = write("conv.json", HELLO);
        // the spm vocabulary has <|im_start|>, so ChatML; the ids are llama.cpp's for the same text
        Path spm = VocabFixtures.gguf("spm");
        Cli.Run r = run("template", "-m", spm.toString(), "--messages", conv.toString(), "--ids");
        assertEquals(0, r.exit(), r.err());
        assertEquals(HELLO_CHATML + "\n" + VocabFixtures.ids(fixtureIds("spm", HELLO_CHATML)) + "\n", r.out());
        assertEquals("hearth: " + spm + " has no tokenizer.chat_template; using the built-in chatml template\n", r.err());

        // a vocabulary without chat tokens: the architecture decides (gemma), else Llama 2's [INST]
        JsonNode spec = JSON.readTree(GOLDEN.resolve("conversations.json").toFile());
        JsonNode multiTurn = null;
        for (JsonNode c : spec.path("conversations")) if (c.path("name").asText().equals("system_multi_turn")) multiTurn = c;
        Path conv2 = tmp.resolve("multi.json");
        JSON.writeValue(conv2.toFile(), multiTurn.path("messages"));
        for (String arch : List.of("gemma", "llama")) {
            Path model = bytesOnlyVocab(arch);
            String format = arch.equals("gemma") ? "gemma" : "llama2";
            Cli.Run f = run("template", "-m", model.toString(), "--messages", conv2.toString());
            assertEquals(0, f.exit(), f.err());
            assertEquals(golden("fallback/" + format + ".jinja", "system_multi_turn"), f.out());
            assertTrue(f.err().contains("using the built-in " + format + " template"), f.err());
        }
    }

    /** An SPM vocabulary of <unk>, <s>, </s> and the 256 byte tokens (the golden corpus's BOS and EOS). */
    private Path bytesOnlyVocab(String arch) throws Exception {
        String[] tokens = new String[259];
        float[] scores = new float[259];
        int[] types = new int[259];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[2] = "</s>";
        types[0] = 2;
        types[1] = types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        Path file = tmp.resolve("bytes-" + arch + ".gguf");
        new GgufWriter().putString("general.architecture", arch).putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, scores)
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types)
                .putU32("tokenizer.ggml.bos_token_id", 1).putU32("tokenizer.ggml.eos_token_id", 2)
                .write(file);
        return file;
    }

    private static String golden(String template, String conversation) throws Exception {
        for (JsonNode c : JSON.readTree(GOLDEN.resolve("golden.json").toFile()).path("cases")) {
            if (c.path("template").asText().equals(template) && c.path("conversation").asText().equals(conversation)) {
                return c.path("output").asText();
            }
        }
        throw new AssertionError("no golden case " + template + " x " + conversation);
    }

    // ---- errors

    @Test
    void templateErrorsAreOneLine() throws Exception {
        Path conv = write("conv.json", HELLO);
        Path raise = write("raise.jinja", "{% if messages[0].role == 'user' %}\n{{ raise_exception('No user messages!') }}{% endif %}");
        Cli.Run r = run("template", "--template", raise.toString(), "--messages", conv.toString());
        assertOneLineError(r);
        assertEquals("hearth: " + raise + ": the template raised an error: No user messages! (line 2)", r.err().strip());

        Path syntax = write("syntax.jinja", "{% for m in messages %}\n{{ m.content }\n{% endfor %}");
        assertOneLineError(run("template", "--template", syntax.toString(), "--messages", conv.toString()),
                syntax.toString(), "template syntax error", "line 2");
        Path undefined = write("undefined.jinja", "{{ messages[0].content.upper() }}{{ nothing.here }}");
        assertOneLineError(run("template", "--template", undefined.toString(), "--messages", conv.toString()),
                undefined.toString(), "undefined", "'nothing' is undefined");
        // the model's own template is named by its key
        Path model = vocabWith("spm", Map.of("tokenizer.chat_template", "{{ raise_exception('bad') }}"));
        assertOneLineError(run("template", "-m", model.toString(), "--messages", conv.toString()),
                model + " tokenizer.chat_template: the template raised an error: bad");
    }

    @Test
    void inputErrors() throws Exception {
        Path t = write("chatml.jinja", CHATML);
        Path conv = write("conv.json", HELLO);
        assertOneLineError(run("template", "--template", t.toString(), "--messages", write("bad.json", "[{\"role\": ").toString()),
                "bad.json: not valid JSON", "line 1");
        assertOneLineError(run("template", "--template", t.toString(), "--messages", write("obj.json", "{\"msgs\": []}").toString()),
                "obj.json: expected an array of messages or an object with a \"messages\" array");
        assertOneLineError(run("template", "--template", t.toString(), "--messages", write("strs.json", "[\"hi\"]").toString()),
                "strs.json: message 0 is not a JSON object");
        assertOneLineError(run("template", "--template", t.toString(), "--messages", tmp.resolve("none.json").toString()),
                "no such file", "none.json");
        assertOneLineError(run("template", "--template", t.toString(), "--messages", conv.toString(), "--var", "name=hello"),
                "--var name=hello: the value is not JSON");
        assertOneLineError(run("template", "--template", t.toString(), "--messages", conv.toString(), "--tools", write("tools.json", "{}").toString()),
                "tools.json: expected an array of tools");
        assertOneLineError(run("template", "-m", VocabFixtures.gguf("spm").toString(), "--template-name", "tool_use", "--messages", conv.toString()),
                "no template named 'tool_use'", "it has none");

        for (String[] usage : List.of(
                new String[]{"template", "--messages", conv.toString()},
                new String[]{"template", "--template", t.toString(), "--messages", conv.toString(), "--ids"},
                new String[]{"template", "--template", t.toString(), "--messages", conv.toString(), "--template-name", "x"},
                new String[]{"template", "--template", t.toString()},
                new String[]{"template", "--template", t.toString(), "--messages", conv.toString(), "--var", "novalue"})) {
            Cli.Run r = run(usage);
            assertEquals(2, r.exit(), String.join(" ", usage) + ": " + r.err());
            assertEquals("", r.out());
        }
    }
}
