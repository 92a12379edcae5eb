package dev.hearth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.grammar.Grammar;
import dev.hearth.engine.sampling.SamplingParams;

import java.util.ArrayList;
import java.util.List;

/**
 * The request fields that constrain the output to a grammar, in each dialect's spelling. They only stage the
 * grammar on the builder: it is compiled by {@code build()}, whose {@code SamplingParameterException} names the
 * field, so an invalid grammar or an unenforceable schema keyword becomes the dialect's 400/422.
 */
public final class StructuredOutput {
    private StructuredOutput() {}

    /**
     * OpenAI's {@code response_format} ({@code text}, {@code json_object}, {@code json_schema}) and llama.cpp's
     * {@code grammar} (GBNF) and {@code json_schema}; at most one of them may constrain the output.
     */
    public static void openAi(ObjectNode body, SamplingParams.Builder b) {
        List<String> used = new ArrayList<>();
        ObjectNode format = Fields.objectField(body, "response_format");
        if (format != null) {
            String type = Fields.string(format, "type", "text");
            switch (type) {
                case "text" -> { }
                case "json_object" -> {
                    // llama.cpp also reads a schema here
                    JsonNode schema = format.get("schema");
                    if (schema != null && !schema.isNull()) b.jsonSchema("response_format", tree(schema, "response_format"));
                    else b.grammar(Grammar.anyJsonObject());
                    used.add("response_format");
                }
                case "json_schema" -> {
                    ObjectNode spec = Fields.objectField(format, "json_schema");
                    JsonNode schema = spec == null ? format.get("schema") : spec.get("schema");
                    if (schema == null || schema.isNull()) {
                        throw ApiError.invalid("response_format", "response_format of type json_schema needs json_schema.schema");
                    }
                    b.jsonSchema("response_format", tree(schema, "response_format"));
                    used.add("response_format");
                }
                default -> throw ApiError.invalid("response_format",
                        "response_format type must be 'text', 'json_object' or 'json_schema', got '" + type + "'");
            }
        }
        JsonNode grammar = body.get("grammar");
        if (grammar != null && !grammar.isNull() && !(grammar.isTextual() && grammar.asText().isEmpty())) {
            if (!grammar.isTextual()) throw Fields.wrongType("grammar", "a GBNF string", grammar);
            b.gbnf("grammar", grammar.asText());
            used.add("grammar");
        }
        JsonNode schema = body.get("json_schema");
        if (schema != null && !schema.isNull()) {
            b.jsonSchema("json_schema", tree(schema, "json_schema"));
            used.add("json_schema");
        }
        if (used.size() > 1) {
            throw ApiError.invalid(used.get(1), "only one of response_format, grammar and json_schema may constrain the output, got " + used);
        }
    }

    /** Ollama's {@code format}: "json" for any JSON object, or a JSON schema object. */
    public static void ollama(JsonNode format, SamplingParams.Builder b) {
        if (format == null || format.isNull() || format.isTextual() && format.asText().isEmpty()) return;
        if (format.isTextual()) {
            if (!format.asText().equals("json")) {
                throw ApiError.invalid("format", "format must be \"json\" or a JSON schema object, got \"" + format.asText() + "\"");
            }
            b.grammar(Grammar.anyJsonObject());
        } else if (format.isObject()) {
            b.jsonSchema("format", tree(format, "format"));
        } else {
            throw Fields.wrongType("format", "\"json\" or a JSON schema object", format);
        }
    }

    /** TGI's {@code parameters.grammar}: {@code {"type": "json", "value": schema}} or {@code {"type": "regex", "value": "..."}}. */
    public static void tgi(JsonNode grammar, SamplingParams.Builder b) {
        if (grammar == null || grammar.isNull()) return;
        if (!grammar.isObject()) throw Fields.wrongType("grammar", "an object with type and value", grammar);
        String type = Fields.string(grammar, "type", null);
        JsonNode value = grammar.get("value");
        if (value == null || value.isNull()) throw ApiError.invalid("grammar", "`grammar.value` is required");
        switch (type == null ? "" : type) {
            case "json", "json_schema" -> {
                JsonNode schema = value;
                if (value.isTextual()) { // TGI also takes the schema as a JSON string
                    try {
                        schema = Fields.JSON.readTree(value.asText());
                    } catch (JsonProcessingException e) {
                        throw ApiError.invalid("grammar", "`grammar.value` is not valid JSON: " + e.getOriginalMessage());
                    }
                }
                b.jsonSchema("grammar", tree(schema, "grammar"));
            }
            case "regex" -> {
                if (!value.isTextual()) throw Fields.wrongType("grammar", "a regex string as value", value);
                b.regex("grammar", value.asText());
            }
            default -> throw ApiError.invalid("grammar", "`grammar.type` must be \"json\" or \"regex\", got " + type);
        }
    }

    private static Object tree(JsonNode schema, String field) {
        if (!schema.isObject() && !schema.isBoolean()) throw Fields.wrongType(field, "a JSON schema object", schema);
        return Fields.JSON.convertValue(schema, Object.class);
    }
}
