package dev.hearth.engine.chat;

import dev.hearth.engine.json.JsonText;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model's chat template says about its replies: how it writes tool calls, which markers enclose its
 * thinking, and how it wants earlier calls' arguments in the history. Recognised from the template text, as
 * llama.cpp's common/chat does, since GGUF files carry no other record of it.
 *
 * @param tools              the tool-call syntax of the family
 * @param thinkOpen          the opening thinking marker, or null when the template has none
 * @param thinkClose         the closing thinking marker, or null
 * @param argumentsAsObjects whether the template wants {@code tool_calls[].function.arguments} as an object (it
 *                           serialises them itself, as transformers' convention has it) rather than JSON text
 * @param rendersTools       whether the template reads {@code tools} at all; when not, tools are described in
 *                           the system message instead (see {@link #prepareMessages})
 */
public record ChatFormat(ToolSyntax tools, String thinkOpen, String thinkClose, boolean argumentsAsObjects,
                         boolean rendersTools) {

    public static ChatFormat detect(String template) {
        String t = template == null ? "" : template;
        ToolSyntax syntax;
        if (t.contains("<tool_call>")) syntax = ToolSyntax.HERMES;
        else if (t.contains("[TOOL_CALLS]")) syntax = ToolSyntax.MISTRAL;
        else if (t.contains("<|python_tag|>") || t.contains("<|start_header_id|>") && t.contains("ipython")) {
            syntax = ToolSyntax.LLAMA3_JSON;
        } else syntax = ToolSyntax.GENERIC;
        boolean thinks = t.contains("</think>");
        // DeepSeek-R1's template glues the arguments into a string ('...' + arguments + '...'): it needs text
        boolean concatenates = t.matches("(?s).*arguments'?\\]?\\s*\\+.*");
        return new ChatFormat(syntax, thinks ? "<think>" : null, thinks ? "</think>" : null, !concatenates,
                t.contains("tools"));
    }

    public boolean thinks() {
        return thinkOpen != null;
    }

    /**
     * Whether the rendered prompt ends inside an opened thinking block (DeepSeek-R1 and some Qwen3 builds end
     * the generation prompt with {@code <think>}), so the reply starts as reasoning without writing the marker.
     */
    public boolean opensThinking(String renderedPrompt) {
        return thinks() && renderedPrompt != null && renderedPrompt.stripTrailing().endsWith(thinkOpen);
    }

    /**
     * The messages as this template wants them: earlier calls' arguments as objects or as JSON text (see
     * {@link #argumentsAsObjects}), and, when the template ignores {@code tools} but tools are offered, a system
     * message that lists them and asks for {@link ToolSyntax#GENERIC} replies.
     */
    public List<Map<String, Object>> prepareMessages(List<Map<String, Object>> messages, List<Map<String, Object>> tools) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size() + 1);
        for (Map<String, Object> m : messages) out.add(m.get("tool_calls") instanceof List<?> calls ? withArguments(m, calls) : m);
        if (!rendersTools && tools != null && !tools.isEmpty()) {
            String prompt = genericToolPrompt(tools);
            if (!out.isEmpty() && "system".equals(out.getFirst().get("role")) && out.getFirst().get("content") instanceof String s) {
                Map<String, Object> system = new LinkedHashMap<>(out.getFirst());
                system.put("content", s + "\n\n" + prompt);
                out.set(0, system);
            } else {
                out.addFirst(Map.of("role", "system", "content", prompt));
            }
        }
        return out;
    }

    private Map<String, Object> withArguments(Map<String, Object> message, List<?> calls) {
        List<Object> converted = new ArrayList<>(calls.size());
        for (Object c : calls) {
            if (c instanceof Map<?, ?> call && call.get("function") instanceof Map<?, ?> fn && fn.containsKey("arguments")) {
                Map<Object, Object> f = new LinkedHashMap<>(fn);
                f.put("arguments", arguments(fn.get("arguments")));
                Map<Object, Object> copy = new LinkedHashMap<>(call);
                copy.put("function", f);
                converted.add(copy);
            } else {
                converted.add(c);
            }
        }
        Map<String, Object> copy = new LinkedHashMap<>(message);
        copy.put("tool_calls", converted);
        return copy;
    }

    private Object arguments(Object args) {
        if (argumentsAsObjects && args instanceof String s) {
            try {
                return JsonText.parse(s);
            } catch (JsonText.Malformed notJson) {
                return s; // the template shows what the client sent
            }
        }
        if (!argumentsAsObjects && !(args instanceof String)) return JsonText.write(args);
        return args;
    }

    private static String genericToolPrompt(List<Map<String, Object>> tools) {
        List<Object> functions = new ArrayList<>();
        for (Map<String, Object> t : tools) functions.add(t.get("function") instanceof Map<?, ?> f ? f : t);
        return "You can call these tools:\n" + JsonText.write(functions) + "\n\n"
                + "To call tools, reply with only a JSON object: {\"tool_calls\": [{\"name\": \"<tool name>\", "
                + "\"arguments\": {<the arguments>}}]}. Otherwise answer normally.";
    }
}
