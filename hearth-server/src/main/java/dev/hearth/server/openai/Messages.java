package dev.hearth.server.openai;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.server.ApiError;
import dev.hearth.server.Fields;

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
            out.add(Fields.JSON.convertValue(o, MAP));
        }
        return out;
    }

    public static List<Map<String, Object>> tools(ObjectNode body) {
        JsonNode tools = body.get("tools");
        if (tools == null || tools.isNull()) return null;
        if (!tools.isArray()) throw Fields.wrongType("tools", "a list of tools", tools);
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode t : tools) {
            if (!t.isObject()) throw Fields.wrongType("tools", "a list of tools", tools);
            out.add(Fields.JSON.convertValue(t, MAP));
        }
        return out;
    }

    /** llama.cpp's {@code chat_template_kwargs} (e.g. enable_thinking) become template variables. */
    public static Map<String, Object> templateKwargs(ObjectNode body) {
        ObjectNode kw = Fields.objectField(body, "chat_template_kwargs");
        return kw == null ? Map.of() : Fields.JSON.convertValue(kw, MAP);
    }
}
