package dev.hearth.server.openai;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.server.ApiError;
import dev.hearth.server.Fields;
import dev.hearth.server.ToolChoice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** OpenAI's {@code messages} and {@code tools}, checked and turned into the plain maps the chat template reads. */
public final class Messages {
    private Messages() {}

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    public static List<Map<String, Object>> read(JsonNode messages) {
        if (messages == null || messages.isNull()) throw ApiError.invalid("messages", "'messages' is required");
        if (!messages.isArray()) throw Fields.wrongType("messages", "a list of messages", messages);
        if (messages.isEmpty()) throw ApiError.invalid("messages", "'messages' must contain at least one message");
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!(m instanceof ObjectNode o)) throw Fields.wrongType(where, "an object", m);
            String role;
            try {
                role = Fields.requireString(o, "role");
            } catch (ApiError e) {
                throw ApiError.invalid(where + ".role", where + ": " + e.getMessage());
            }
            if (!ROLES.contains(role)) {
                throw ApiError.invalid(where + ".role", where + ".role must be one of " + ROLES + ", got '" + role + "'");
            }
            JsonNode content = o.get("content");
            if (content != null && !content.isNull() && !content.isTextual()) {
                if (!content.isArray()) throw Fields.wrongType(where + ".content", "a string or a list of parts", content);
                for (int j = 0; j < content.size(); j++) {
                    JsonNode part = content.get(j);
                    String type = part.path("type").asText("");
                    if (!type.equals("text")) {
                        throw ApiError.invalid(where + ".content[" + j + "]", "content parts of type '" + type
                                + "' are not supported: this model takes text only");
                    }
                    if (!part.path("text").isTextual()) {
                        throw ApiError.invalid(where + ".content[" + j + "].text", "a text part needs a string 'text'");
                    }
                }
            }
            checkToolCalls(o.get("tool_calls"), where + ".tool_calls");
            out.add(Fields.JSON.convertValue(o, MAP));
        }
        return out;
    }

    /** An assistant turn's earlier calls: OpenAI's {@code {id, type, function: {name, arguments}}}. */
    private static void checkToolCalls(JsonNode calls, String where) {
        if (calls == null || calls.isNull()) return;
        if (!calls.isArray()) throw Fields.wrongType(where, "a list of tool calls", calls);
        for (int i = 0; i < calls.size(); i++) {
            JsonNode fn = calls.get(i).path("function");
            if (!fn.isObject() || !fn.path("name").isTextual()) {
                throw ApiError.invalid(where + "[" + i + "]", where + "[" + i + "] needs a function with a string name");
            }
            JsonNode args = fn.get("arguments");
            if (args != null && !args.isNull() && !args.isTextual() && !args.isObject()) {
                throw Fields.wrongType(where + "[" + i + "].function.arguments", "a JSON string or an object", args);
            }
        }
    }

    public static List<Map<String, Object>> tools(ObjectNode body) {
        JsonNode tools = body.get("tools");
        if (tools == null || tools.isNull()) return null;
        if (!tools.isArray()) throw Fields.wrongType("tools", "a list of tools", tools);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            if (!t.isObject()) throw Fields.wrongType("tools", "a list of tools", tools);
            String type = t.path("type").asText("function");
            if (!type.equals("function")) {
                throw ApiError.invalid("tools[" + i + "].type", "only tools of type 'function' are supported, got '" + type + "'");
            }
            if (!t.path("function").path("name").isTextual() || t.path("function").path("name").asText().isEmpty()) {
                throw ApiError.invalid("tools[" + i + "].function.name", "tools[" + i + "] needs a function with a name");
            }
            out.add(Fields.JSON.convertValue(t, MAP));
        }
        return out;
    }

    /** OpenAI's {@code tool_choice}: "auto", "none", "required", or {"type": "function", "function": {"name": ...}}. */
    public static ToolChoice toolChoice(ObjectNode body, List<Map<String, Object>> tools) {
        JsonNode c = body.get("tool_choice");
        if (c == null || c.isNull()) return ToolChoice.AUTO;
        ToolChoice choice;
        if (c.isTextual()) {
            choice = switch (c.asText()) {
                case "auto" -> ToolChoice.AUTO;
                case "none" -> ToolChoice.NONE;
                case "required" -> new ToolChoice(ToolChoice.Mode.REQUIRED, null);
                default -> throw ApiError.invalid("tool_choice", "tool_choice must be auto, none, required or a function, got '" + c.asText() + "'");
            };
        } else if (c.isObject() && c.path("function").path("name").isTextual()) {
            String name = c.path("function").path("name").asText();
            boolean known = tools != null && tools.stream().anyMatch(t -> t.get("function") instanceof Map<?, ?> f && name.equals(f.get("name")));
            if (!known) throw ApiError.invalid("tool_choice", "tool_choice names the function '" + name + "', which is not in tools");
            choice = new ToolChoice(ToolChoice.Mode.REQUIRED, name);
        } else {
            throw Fields.wrongType("tool_choice", "auto, none, required or {\"type\": \"function\", \"function\": {\"name\": ...}}", c);
        }
        if (choice.mode() == ToolChoice.Mode.REQUIRED && (tools == null || tools.isEmpty())) {
            throw ApiError.invalid("tool_choice", "tool_choice '" + (choice.function() == null ? "required" : choice.function())
                    + "' needs tools");
        }
        return choice;
    }

    /** llama.cpp's {@code chat_template_kwargs} (e.g. enable_thinking) become template variables. */
    public static Map<String, Object> templateKwargs(ObjectNode body) {
        ObjectNode kw = Fields.objectField(body, "chat_template_kwargs");
        return kw == null ? Map.of() : Fields.JSON.convertValue(kw, MAP);
    }
}
