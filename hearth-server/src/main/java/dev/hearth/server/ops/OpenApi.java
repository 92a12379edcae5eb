package dev.hearth.server.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.server.Fields;
import dev.hearth.server.Routes;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An OpenAPI 3 document made from the server's own route table, so it lists exactly what the server answers. */
public final class OpenApi {
    private OpenApi() {}

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Pattern PARAM = Pattern.compile("[<{]([A-Za-z_][A-Za-z0-9_]*)[>}]");

    public static ObjectNode document(List<Routes.Route> routes, boolean secured, String modelId) {
        ObjectNode doc = F.objectNode();
        doc.put("openapi", "3.0.3");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Hearth");
        info.put("description", "OpenAI-, Ollama- and TGI-compatible inference API of a pure-Java GGUF server.");
        info.put("version", "1");
        ObjectNode paths = doc.putObject("paths");
        for (Routes.Route r : routes) {
            String path = PARAM.matcher(r.path()).replaceAll("{$1}");
            ObjectNode item = paths.has(path) ? (ObjectNode) paths.get(path) : paths.putObject(path);
            ObjectNode op = item.putObject(r.method().name().toLowerCase());
            op.putArray("tags").add(r.tag());
            op.put("summary", r.summary());
            op.put("operationId", operationId(r));
            ArrayNode params = F.arrayNode();
            Matcher m = PARAM.matcher(r.path());
            while (m.find()) {
                ObjectNode p = params.addObject();
                p.put("name", m.group(1));
                p.put("in", "path");
                p.put("required", true);
                p.putObject("schema").put("type", "string");
            }
            if (!params.isEmpty()) op.set("parameters", params);
            if (r.method().name().equals("POST")) {
                ObjectNode body = op.putObject("requestBody");
                body.put("required", true);
                ObjectNode json = body.putObject("content").putObject("application/json");
                json.putObject("schema").put("type", "object");
                if (r.example() != null) json.set("example", parse(r.example().replace("MODEL", modelId == null ? "model" : modelId)));
            }
            ObjectNode responses = op.putObject("responses");
            ObjectNode ok = responses.putObject("200");
            ok.put("description", "OK");
            ObjectNode content = ok.putObject("content");
            content.putObject(contentType(r)).putObject("schema").put("type", contentType(r).equals("application/json") ? "object" : "string");
            if (r.streams()) {
                String stream = r.tag().equals("Ollama") ? "application/x-ndjson" : "text/event-stream";
                content.putObject(stream).putObject("schema").put("type", "string");
            }
            if (r.method().name().equals("POST")) responses.putObject("4XX").put("description", "Client error, in the dialect's error envelope");
        }
        if (secured) {
            ObjectNode schemes = doc.putObject("components").putObject("securitySchemes");
            schemes.putObject("bearer").put("type", "http").put("scheme", "bearer");
            schemes.putObject("apiKey").put("type", "apiKey").put("in", "header").put("name", "x-api-key");
            ArrayNode sec = doc.putArray("security");
            sec.addObject().putArray("bearer");
            sec.addObject().putArray("apiKey");
        }
        return doc;
    }

    private static JsonNode parse(String json) {
        try {
            return Fields.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a route's example is not JSON: " + json, e);
        }
    }

    private static String contentType(Routes.Route r) {
        return switch (r.path()) {
            case "/metrics" -> "text/plain";
            case "/" -> r.method().name().equals("GET") ? "text/plain" : "application/json";
            case "/docs", "/swagger-ui", "/redoc" -> "text/html";
            default -> "application/json";
        };
    }

    private static String operationId(Routes.Route r) {
        String p = r.path().equals("/") ? "root" : r.path().replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "");
        return r.method().name().toLowerCase() + "_" + p;
    }
}
