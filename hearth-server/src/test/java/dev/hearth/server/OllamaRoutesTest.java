package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.engine.generate.Prompt;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Ollama's native API: NDJSON by default, nanosecond durations, {"error": "..."} errors. */
class OllamaRoutesTest extends ServerTestBase {
    static final String MODEL = "\"model\":\"tiny-llama.Q8_0:latest\"";

    static List<JsonNode> lines(String body) {
        List<JsonNode> out = new ArrayList<>();
        for (String l : body.split("\n")) if (!l.isBlank()) out.add(parse(l));
        return out;
    }

    @Test
    void generateStreamsNdjsonByDefault() throws Exception {
        Reply r = post("/api/generate", "{" + MODEL + ",\"prompt\":\"Why?\",\"options\":{\"temperature\":0.2,\"num_predict\":5,\"top_k\":3}}");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("content-type").startsWith("application/x-ndjson"), r.header("content-type"));
        List<JsonNode> lines = lines(r.body());
        StringBuilder text = new StringBuilder();
        for (JsonNode l : lines.subList(0, lines.size() - 1)) {
            assertFalse(l.path("done").asBoolean());
            assertEquals("tiny-llama.Q8_0:latest", l.path("model").asText());
            assertTrue(l.path("created_at").asText().endsWith("Z"));
            text.append(l.path("response").asText());
        }
        assertEquals("Hello", text.toString());
        JsonNode last = lines.getLast();
        assertTrue(last.path("done").asBoolean());
        assertEquals("length", last.path("done_reason").asText());
        assertEquals(5, last.path("eval_count").asInt());
        assertTrue(last.path("prompt_eval_count").asInt() > 0);
        assertTrue(last.path("total_duration").asLong() >= last.path("eval_duration").asLong());
        assertEquals(0.2, fake.requests.getFirst().sampling().temperature());
        assertEquals(3, fake.requests.getFirst().sampling().topK());
        assertInstanceOf(Prompt.Chat.class, fake.requests.getFirst().prompt());
    }

    @Test
    void generateRawAndNonStreaming() throws Exception {
        Reply r = post("/api/generate", "{" + MODEL + ",\"prompt\":\"Why?\",\"raw\":true,\"stream\":false}");
        JsonNode o = r.json();
        assertEquals("Hello world", o.path("response").asText());
        assertTrue(o.path("done").asBoolean());
        assertEquals("stop", o.path("done_reason").asText());
        assertEquals(new Prompt.Text("Why?"), fake.requests.getFirst().prompt());
    }

    @Test
    void chatStreamsMessages() throws Exception {
        Reply r = post("/api/chat", "{" + MODEL + ",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"Hi\"}],\"options\":{\"stop\":[\"o w\"]}}");
        List<JsonNode> lines = lines(r.body());
        StringBuilder text = new StringBuilder();
        for (JsonNode l : lines) text.append(l.path("message").path("content").asText());
        assertEquals("Hell", text.toString());
        assertEquals("assistant", lines.getFirst().path("message").path("role").asText());
        assertEquals("stop", lines.getLast().path("done_reason").asText());
        Prompt.Chat chat = (Prompt.Chat) fake.requests.getFirst().prompt();
        assertEquals(2, chat.messages().size());
    }

    @Test
    void emptyPromptLoadsTheModel() throws Exception {
        JsonNode o = post("/api/generate", "{" + MODEL + "}").json();
        assertEquals("load", o.path("done_reason").asText());
        assertTrue(fake.requests.isEmpty());
    }

    @Test
    void errorsAreOllamaShaped() throws Exception {
        Reply missing = post("/api/chat", "{\"messages\":[]}");
        assertEquals(400, missing.status());
        assertEquals("model is required", missing.json().path("error").asText());
        Reply unknown = post("/api/generate", "{\"model\":\"llama9\",\"prompt\":\"x\"}");
        assertEquals(404, unknown.status());
        assertEquals("model 'llama9' not found", unknown.json().path("error").asText());
        Reply bad = post("/api/generate", "{" + MODEL + ",\"prompt\":\"x\",\"options\":{\"top_p\":7}}");
        assertEquals(400, bad.status());
        assertTrue(bad.json().path("error").asText().contains("top_p"));
        Reply json = post("/api/generate", "{nope");
        assertEquals(400, json.status());
        assertTrue(json.json().path("error").isTextual());
        Reply format = post("/api/chat", "{" + MODEL + ",\"format\":\"yaml\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(400, format.status());
        assertTrue(format.json().path("error").asText().contains("format"));
        Reply schema = post("/api/chat", "{" + MODEL + ",\"format\":{\"type\":\"string\",\"format\":\"email\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(400, schema.status());
        assertTrue(schema.json().path("error").asText().contains("'format'"), schema.body());
    }

    @Test
    void aPromptLongerThanTheContextIs400WithCounts() throws Exception {
        Reply r = post("/api/generate", "{" + MODEL + ",\"raw\":true,\"prompt\":\"" + "x".repeat(300) + "\"}");
        assertEquals(400, r.status());
        String m = r.json().path("error").asText();
        assertTrue(m.contains("300 tokens") && m.contains(Integer.toString(FakeGenerator.CONTEXT)), m);
    }

    @Test
    void midStreamErrorIsAnErrorLine() throws Exception {
        fake.failAfterTokens = 2;
        List<JsonNode> lines = lines(post("/api/generate", "{" + MODEL + ",\"prompt\":\"x\"}").body());
        assertTrue(lines.getLast().path("error").asText().contains("kernel exploded"));
    }

    @Test
    void tagsShowPsVersionAndRoot() throws Exception {
        JsonNode tags = get("/api/tags").json().path("models");
        assertEquals(1, tags.size());
        JsonNode m = tags.get(0);
        assertEquals("tiny-llama.Q8_0:latest", m.path("name").asText());
        assertEquals("gguf", m.path("details").path("format").asText());
        assertEquals("llama", m.path("details").path("family").asText());
        assertEquals("Q8_0", m.path("details").path("quantization_level").asText());
        assertTrue(m.path("size").asLong() > 0);

        JsonNode show = post("/api/show", "{" + MODEL + "}").json();
        assertEquals(512, show.path("model_info").path("llama.context_length").asInt());
        assertEquals("llama", show.path("model_info").path("general.architecture").asText());
        assertTrue(show.path("template").asText().contains("messages"));
        assertEquals("completion", show.path("capabilities").get(0).asText());
        assertEquals(404, post("/api/show", "{\"model\":\"other\"}").status());

        JsonNode ps = get("/api/ps").json().path("models").get(0);
        assertEquals(FakeGenerator.CONTEXT, ps.path("context_length").asInt());
        assertTrue(get("/api/version").json().path("version").asText().matches("\\d+\\.\\d+\\.\\d+"));
        Reply root = get("/");
        assertEquals(200, root.status());
        assertEquals("Ollama is running", root.body());
        var head = http.send(java.net.http.HttpRequest.newBuilder(uri("/")).method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody())
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode(), "Ollama's CLI probes HEAD /");
    }

    @Test
    void logprobsOnRequest() throws Exception {
        JsonNode o = post("/api/generate", "{" + MODEL + ",\"prompt\":\"x\",\"stream\":false,\"logprobs\":true,\"top_logprobs\":2,"
                + "\"options\":{\"num_predict\":2}}").json();
        JsonNode lp = o.path("logprobs");
        assertEquals(2, lp.size());
        assertEquals("H", lp.get(0).path("token").asText());
        assertEquals(2, lp.get(0).path("top_logprobs").size());
    }
}
