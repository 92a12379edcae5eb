package dev.hearth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Reading request bodies leniently (unknown fields ignored, nulls mean absent) but strictly typed: a field of the
 * wrong type is a 400/422 naming the field, never a 500.
 */
public final class Fields {
    private Fields() {}

    public static final ObjectMapper JSON = new ObjectMapper();

    /** The body as a JSON object. */
    public static ObjectNode object(String body) {
        if (body == null || body.isBlank()) throw ApiError.invalid(null, "missing request body: a JSON object is expected");
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.invalid(null, "invalid JSON in the request body: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (!(n instanceof ObjectNode o)) {
            throw ApiError.invalid(null, "the request body must be a JSON object, got " + kind(n));
        }
        return o;
    }

    public static boolean has(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v != null && !v.isNull();
    }

    public static String string(JsonNode o, String field, String fallback) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual()) throw wrongType(field, "a string", v);
        return v.asText();
    }

    public static String requireString(JsonNode o, String field) {
        String s = string(o, field, null);
        if (s == null) throw ApiError.invalid(field, "'" + field + "' is required");
        return s;
    }

    public static Double number(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw wrongType(field, "a number", v);
        return v.asDouble();
    }

    public static double number(JsonNode o, String field, double fallback) {
        Double d = number(o, field);
        return d == null ? fallback : d;
    }

    public static Integer integer(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (v.isIntegralNumber() && v.canConvertToInt()) return v.asInt();
        if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) <= Integer.MAX_VALUE) {
            return (int) v.asDouble();
        }
        throw wrongType(field, "an integer", v);
    }

    public static Long longValue(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.asLong();
        throw wrongType(field, "an integer", v);
    }

    public static Boolean bool(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isBoolean()) throw wrongType(field, "true or false", v);
        return v.asBoolean();
    }

    public static boolean bool(JsonNode o, String field, boolean fallback) {
        Boolean b = bool(o, field);
        return b == null ? fallback : b;
    }

    public static ObjectNode objectField(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (!(v instanceof ObjectNode obj)) throw wrongType(field, "an object", v);
        return obj;
    }

    /** A string or a list of strings (OpenAI's {@code stop}). */
    public static List<String> stringOrList(JsonNode o, String field) {
        JsonNode v = o.get(field);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) return out;
        if (v.isTextual()) {
            out.add(v.asText());
            return out;
        }
        if (!v.isArray()) throw wrongType(field, "a string or a list of strings", v);
        for (JsonNode s : v) {
            if (!s.isTextual()) throw wrongType(field, "a string or a list of strings", v);
            out.add(s.asText());
        }
        return out;
    }

    public static ApiError wrongType(String field, String expected, JsonNode got) {
        return ApiError.invalid(field, "'" + field + "' must be " + expected + ", got " + kind(got));
    }

    static String kind(JsonNode n) {
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number";
        if (n.isBoolean()) return "a boolean";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        return "null";
    }
}
