package dev.hearth.engine.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON schema a tool call must match, for constrained decoding: the grammar hook. A grammar built from it can
 * switch on when the family's {@link ToolSyntax#opening} appears (or from the first token for
 * {@code tool_choice: required}, a named function, or the bare-JSON families), so the call's JSON is always valid.
 */
public final class ToolCallSchema {
    private ToolCallSchema() {}

    /**
     * {@code {"anyOf": [{"type": "object", "properties": {"name": {"const": NAME}, KEY: PARAMETERS},
     * "required": ["name", KEY]}, ...]}} over the given OpenAI tools ({@code {"type": "function", "function":
     * {name, parameters}}}), where KEY is the family's {@link ToolSyntax#argumentsKey} ("arguments", or
     * "parameters" for Llama 3). {@code only}, when not null, keeps just that function (a named tool_choice).
     * Mistral wraps calls in a list: its grammar wants an array of these.
     */
    public static Map<String, Object> toolCallSchema(List<Map<String, Object>> tools, ToolSyntax syntax, String only) {
        String key = syntax.argumentsKey();
        List<Object> choices = new ArrayList<>();
        for (Map<String, Object> tool : tools) {
            if (!(tool.get("function") instanceof Map<?, ?> fn) || !(fn.get("name") instanceof String name)) continue;
            if (only != null && !only.equals(name)) continue;
            Object parameters = fn.get("parameters") instanceof Map<?, ?> p ? p : Map.of("type", "object");
            Map<String, Object> properties = new LinkedHashMap<>();
            properties.put("name", Map.of("const", name));
            properties.put(key, parameters);
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("type", "object");
            call.put("properties", properties);
            call.put("required", List.of("name", key));
            choices.add(call);
        }
        return Map.of("anyOf", choices);
    }
}
