package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.model.KvCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structured output through the real server and engine on a random-weight fixture model: sampling at temperature
 * 1 over many seeds, every output that ends by itself parses and validates against its schema (networknt).
 */
class StructuredOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCHEMA = """
            {"type":"object","properties":{
              "name":{"type":"string","minLength":1,"maxLength":6},
              "age":{"type":"integer","minimum":0,"maximum":120},
              "kind":{"enum":["cat","dog"]},
              "tags":{"type":"array","items":{"type":"string","pattern":"^[a-z]{1,3}$"},"maxItems":2},
              "score":{"type":"number","minimum":-1,"maximum":1}},
             "required":["name","age","kind"],"additionalProperties":false}""";
    static HearthServer server;
    static HttpClient http;
    static JsonSchema validator;

    @BeforeAll
    static void start() throws Exception {
        Path model = Path.of(System.getProperty("hearth.fixtures", "../shared/fixtures"), "models", "llama-spm-q8_0.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(model), "fixture model not found: " + model);
        server = new HearthServer(ServerConfig.defaults(), model,
                (path, settings) -> LocalGenerator.open(path, new LocalGenerator.Options(512, KvCache.Type.F32, 8)))
                .start("127.0.0.1", 0);
        server.load();
        http = HttpClient.newHttpClient();
        validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(JSON.readTree(SCHEMA));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static String modelName() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).path("data").get(0).path("id").asText();
    }

    static void assertValid(String text) throws Exception {
        JsonNode value = JSON.readTree(text);
        Set<ValidationMessage> errors = validator.validate(value);
        assertTrue(errors.isEmpty(), text + " -> " + errors);
    }

    @Test
    void openAiJsonSchemaOnChatAndCompletions() throws Exception {
        int stopped = 0;
        for (int seed = 0; seed < 12; seed++) {
            boolean chat = seed % 2 == 0;
            ObjectNode body = JSON.createObjectNode().put("temperature", 1.0).put("seed", seed).put("max_tokens", 160);
            if (chat) body.putArray("messages").addObject().put("role", "user").put("content", "Describe a pet as JSON.");
            else body.put("prompt", "A pet as JSON:");
            ObjectNode format = body.putObject("response_format").put("type", "json_schema");
            format.putObject("json_schema").put("name", "pet").put("strict", true).set("schema", JSON.readTree(SCHEMA));
            JsonNode r = post(chat ? "/v1/chat/completions" : "/v1/completions", body.toString());
            JsonNode choice = r.path("choices").get(0);
            if (!choice.path("finish_reason").asText().equals("stop")) continue;
            stopped++;
            assertValid(chat ? choice.path("message").path("content").asText() : choice.path("text").asText());
        }
        assertTrue(stopped >= 6, "most outputs should close before max_tokens: " + stopped);
    }

    @Test
    void llamaCppJsonSchemaAndGrammarFields() throws Exception {
        for (int seed = 0; seed < 4; seed++) {
            JsonNode r = post("/v1/completions", "{\"prompt\":\"x\",\"temperature\":1,\"seed\":" + seed
                    + ",\"max_tokens\":160,\"json_schema\":" + SCHEMA + "}");
            JsonNode choice = r.path("choices").get(0);
            if (choice.path("finish_reason").asText().equals("stop")) assertValid(choice.path("text").asText());
        }
        JsonNode r = post("/v1/completions", "{\"prompt\":\"x\",\"temperature\":1,\"seed\":1,\"max_tokens\":40,"
                + "\"grammar\":\"root ::= (\\\"yes\\\" | \\\"no\\\") \\\" \\\" [0-9]{2}\"}");
        assertEquals("stop", r.path("choices").get(0).path("finish_reason").asText());
        assertTrue(r.path("choices").get(0).path("text").asText().matches("(yes|no) [0-9]{2}"), r.toString());
    }

    @Test
    void jsonObjectModeGivesAnObject() throws Exception {
        int stopped = 0;
        for (int seed = 0; seed < 6; seed++) {
            JsonNode r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"JSON please\"}],"
                    + "\"temperature\":1,\"seed\":" + seed + ",\"max_tokens\":200,\"response_format\":{\"type\":\"json_object\"}}");
            JsonNode choice = r.path("choices").get(0);
            if (!choice.path("finish_reason").asText().equals("stop")) continue;
            stopped++;
            assertTrue(JSON.readTree(choice.path("message").path("content").asText()).isObject(), choice.toString());
        }
        assertTrue(stopped >= 1, "some object should close within 200 tokens");
    }

    @Test
    void ollamaFormatSchema() throws Exception {
        int stopped = 0;
        for (int seed = 0; seed < 6; seed++) {
            boolean chat = seed % 2 == 0;
            String body = "{\"model\":\"" + modelName() + "\",\"stream\":false,\"format\":" + SCHEMA
                    + ",\"options\":{\"temperature\":1,\"seed\":" + seed + ",\"num_predict\":160},"
                    + (chat ? "\"messages\":[{\"role\":\"user\",\"content\":\"pet\"}]}" : "\"prompt\":\"pet\"}");
            JsonNode r = post(chat ? "/api/chat" : "/api/generate", body);
            if (!r.path("done_reason").asText().equals("stop")) continue;
            stopped++;
            assertValid(chat ? r.path("message").path("content").asText() : r.path("response").asText());
        }
        assertTrue(stopped >= 3, "most outputs should close: " + stopped);
    }

    @Test
    void tgiJsonAndRegexGrammars() throws Exception {
        int stopped = 0;
        for (int seed = 0; seed < 4; seed++) {
            JsonNode r = post("/generate", "{\"inputs\":\"pet\",\"parameters\":{\"do_sample\":true,\"temperature\":1,\"seed\":"
                    + seed + ",\"max_new_tokens\":160,\"details\":true,\"grammar\":{\"type\":\"json\",\"value\":" + SCHEMA + "}}}");
            if (!r.path("details").path("finish_reason").asText().equals("eos_token")) continue;
            stopped++;
            assertValid(r.path("generated_text").asText());
        }
        assertTrue(stopped >= 2, "most outputs should close: " + stopped);
        JsonNode r = post("/generate", "{\"inputs\":\"date\",\"parameters\":{\"do_sample\":true,\"seed\":5,\"max_new_tokens\":30,"
                + "\"grammar\":{\"type\":\"regex\",\"value\":\"^20[0-9]{2}-(0[1-9]|1[0-2])$\"}}}");
        assertTrue(r.path("generated_text").asText().matches("20[0-9]{2}-(0[1-9]|1[0-2])"), r.toString());
    }
}
