package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** /v1/chat/completions over plain HTTP: shapes, streaming sequence, parameters reaching the engine. */
class OpenAiChatTest extends ServerTestBase {
    static final String HELLO = "{\"model\":\"tiny-llama.Q8_0\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    @Test
    void nonStreamingChatHasOpenAiShapeAndUsage() throws Exception {
        Reply r = post("/v1/chat/completions", HELLO + "}");
        assertEquals(200, r.status(), r.body());
        JsonNode o = r.json();
        assertTrue(o.path("id").asText().matches("chatcmpl-[A-Za-z0-9]{32}"), o.path("id").asText());
        assertEquals("chat.completion", o.path("object").asText());
        assertEquals("tiny-llama.Q8_0", o.path("model").asText());
        assertTrue(o.path("created").asLong() > 1_600_000_000L);
        JsonNode c = o.path("choices").get(0);
        assertEquals(0, c.path("index").asInt());
        assertEquals("assistant", c.path("message").path("role").asText());
        assertEquals("Hello world", c.path("message").path("content").asText());
        assertTrue(c.has("logprobs") && c.get("logprobs").isNull());
        assertEquals("stop", c.path("finish_reason").asText());
        String prompt = "<|user|>Hi\n<|assistant|>";
        JsonNode u = o.path("usage");
        assertEquals(prompt.length(), u.path("prompt_tokens").asInt());
        assertEquals(11, u.path("completion_tokens").asInt());
        assertEquals(prompt.length() + 11, u.path("total_tokens").asInt());
        assertEquals(0, u.path("prompt_tokens_details").path("cached_tokens").asInt());
        assertNotNull(r.header("X-Request-Id"));
    }

    @Test
    void parametersReachTheEngine() throws Exception {
        Reply r = post("/chat/completions", HELLO + ",\"temperature\":0.3,\"top_p\":0.5,\"top_k\":7,\"min_p\":0.1,"
                + "\"presence_penalty\":0.5,\"frequency_penalty\":-0.5,\"repeat_penalty\":1.1,\"seed\":42,\"stop\":\"wor\","
                + "\"max_completion_tokens\":30,\"logit_bias\":{\"5\":-100,\"7\":false},\"user\":\"u1\",\"store\":false,"
                + "\"metadata\":{\"x\":1},\"some_future_field\":[1,2]}");
        assertEquals(200, r.status(), r.body());
        var req = fake.requests.getFirst();
        var s = req.sampling();
        assertEquals(0.3, s.temperature());
        assertEquals(0.5, s.topP());
        assertEquals(7, s.topK());
        assertEquals(0.1, s.minP());
        assertEquals(0.5, s.presencePenalty());
        assertEquals(-0.5, s.frequencyPenalty());
        assertEquals(1.1, s.repeatPenalty());
        assertEquals(42, s.seed().getAsLong());
        assertEquals(List.of("wor"), s.stop());
        assertEquals(30, req.maxTokens());
        assertEquals(-100.0, s.logitBias().get(5));
        assertEquals(Double.NEGATIVE_INFINITY, s.logitBias().get(7));
        JsonNode c = r.json().path("choices").get(0);
        assertEquals("Hello ", c.path("message").path("content").asText(), "text before the stop string");
        assertEquals("stop", c.path("finish_reason").asText());
    }

    @Test
    void maxTokensEndsWithLength() throws Exception {
        Reply r = post("/v1/chat/completions", HELLO + ",\"max_tokens\":4}");
        JsonNode c = r.json().path("choices").get(0);
        assertEquals("Hell", c.path("message").path("content").asText());
        assertEquals("length", c.path("finish_reason").asText());
        assertEquals(4, r.json().path("usage").path("completion_tokens").asInt());
    }

    @Test
    void contentPartsAreAccepted() throws Exception {
        Reply r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":null},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}]}");
        assertEquals(200, r.status(), r.body());
        String prompt = "<|system|>\n<|user|>ab\n<|assistant|>";
        assertEquals(prompt.length(), r.json().path("usage").path("prompt_tokens").asInt());
    }

    @Test
    void severalChoicesWithN() throws Exception {
        Reply r = post("/v1/chat/completions", HELLO + ",\"n\":3,\"seed\":9}");
        assertEquals(200, r.status(), r.body());
        JsonNode choices = r.json().path("choices");
        assertEquals(3, choices.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, choices.get(i).path("index").asInt());
            assertEquals("Hello world", choices.get(i).path("message").path("content").asText());
        }
        assertEquals(33, r.json().path("usage").path("completion_tokens").asInt());
        assertEquals(3, fake.requests.size());
        assertEquals(List.of(9L, 10L, 11L), fake.requests.stream().map(q -> q.sampling().seed().getAsLong()).sorted().toList());
    }

    @Test
    void logprobsInChatShape() throws Exception {
        Reply r = post("/v1/chat/completions", HELLO + ",\"logprobs\":true,\"top_logprobs\":2,\"max_tokens\":3}");
        JsonNode content = r.json().path("choices").get(0).path("logprobs").path("content");
        assertEquals(3, content.size());
        JsonNode first = content.get(0);
        assertEquals("H", first.path("token").asText());
        assertEquals((int) 'H', first.path("bytes").get(0).asInt());
        assertEquals(-0.35, first.path("logprob").asDouble(), 1e-9);
        assertEquals(2, first.path("top_logprobs").size());
        assertEquals("H", first.path("top_logprobs").get(0).path("token").asText());
        assertTrue(fake.requests.getFirst().sampling().logprobs());
        assertEquals(2, fake.requests.getFirst().sampling().topLogprobs());
    }

    @Test
    void streamingSendsRoleDeltasFinishUsageAndDone() throws Exception {
        Reply r = post("/v1/chat/completions", HELLO + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertEquals(200, r.status());
        assertTrue(r.header("content-type").startsWith("text/event-stream"), r.header("content-type"));
        List<String> data = sseData(r.body());
        assertEquals("[DONE]", data.getLast());
        JsonNode first = parse(data.getFirst());
        assertEquals("chat.completion.chunk", first.path("object").asText());
        assertEquals("assistant", first.path("choices").get(0).path("delta").path("role").asText());
        String id = first.path("id").asText();
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String d : data.subList(1, data.size() - 1)) {
            JsonNode c = parse(d);
            assertEquals(id, c.path("id").asText(), "one id for the whole stream");
            if (c.path("choices").isEmpty()) {
                usage = c.path("usage");
                continue;
            }
            assertNull(usage, "the usage chunk comes last");
            JsonNode ch = c.path("choices").get(0);
            assertFalse(ch.path("delta").has("role"), "role only in the first chunk");
            text.append(ch.path("delta").path("content").asText(""));
            if (!ch.path("finish_reason").isNull()) {
                assertNull(finish, "one finish chunk");
                finish = ch.path("finish_reason").asText();
                assertTrue(ch.path("delta").isEmpty(), "the finish chunk's delta is empty");
            }
        }
        assertEquals("Hello world", text.toString());
        assertEquals("stop", finish);
        assertNotNull(usage, "usage chunk with choices: []");
        assertEquals(11, usage.path("completion_tokens").asInt());
    }

    @Test
    void streamingWithoutIncludeUsageHasNoUsageChunk() throws Exception {
        List<String> data = sseData(post("/v1/chat/completions", HELLO + ",\"stream\":true}").body());
        for (String d : data.subList(0, data.size() - 1)) assertFalse(parse(d).path("choices").isEmpty(), d);
    }

    @Test
    void streamingSeveralChoicesTagsEachWithItsIndex() throws Exception {
        List<String> data = sseData(post("/v1/chat/completions", HELLO + ",\"stream\":true,\"n\":2}").body());
        StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
        int finishes = 0;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode ch = parse(d).path("choices").get(0);
            text[ch.path("index").asInt()].append(ch.path("delta").path("content").asText(""));
            if (!ch.path("finish_reason").isNull()) finishes++;
        }
        assertEquals("Hello world", text[0].toString());
        assertEquals("Hello world", text[1].toString());
        assertEquals(2, finishes);
    }

    @Test
    void anEngineFailureMidStreamIsAnErrorEventThenDone() throws Exception {
        fake.failAfterTokens = 3;
        List<String> data = sseData(post("/v1/chat/completions", HELLO + ",\"stream\":true}").body());
        assertEquals("[DONE]", data.getLast());
        JsonNode err = parse(data.get(data.size() - 2)).path("error");
        assertEquals("server_error", err.path("type").asText());
        assertTrue(err.path("message").asText().contains("kernel exploded"), err.toString());
        assertTrue(err.path("message").asText().contains("request id"), err.toString());
    }

    @Test
    void anEngineFailureWithoutStreamingIsA500WithTheRequestId() throws Exception {
        fake.failAfterTokens = 0;
        Reply r = post("/v1/chat/completions", HELLO + "}");
        assertEquals(500, r.status());
        assertEquals("server_error", r.json().path("error").path("type").asText());
        String id = r.header("X-Request-Id");
        assertNotNull(id);
        assertTrue(r.json().path("error").path("message").asText().contains("request id " + id), r.body());
        // the other dialects carry it too, and reuse the client's own id
        Reply ollama = post("/api/chat", "{\"model\":\"tiny-llama.Q8_0\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                "X-Request-Id", "ollama-7");
        assertEquals(500, ollama.status());
        assertEquals("ollama-7", ollama.header("X-Request-Id"));
        assertTrue(ollama.json().path("error").asText().contains("request id ollama-7"), ollama.body());
        Reply tgi = post("/generate", "{\"inputs\":\"x\"}", "X-Request-Id", "tgi-8");
        assertEquals(500, tgi.status());
        assertEquals("generation", tgi.json().path("error_type").asText());
        assertTrue(tgi.json().path("error").asText().contains("request id tgi-8"), tgi.body());
    }

    @Test
    void pingsKeepAQuietStreamAlive() throws Exception {
        server.close();
        server = new HearthServer(config().withPingMillis(20), tinyModel(tmp.resolve("..").resolve(tmp.getFileName())), (m, s) -> fake)
                .start("127.0.0.1", 0);
        server.load();
        fake.promptDelayMillis = 300;
        Reply r = post("/v1/chat/completions", HELLO + ",\"stream\":true}");
        assertTrue(r.body().startsWith(": ping\n\n"), r.body());
        assertEquals("[DONE]", sseData(r.body()).getLast());
        Reply tgi = post("/generate_stream", "{\"inputs\":\"Hi\"}");
        assertTrue(tgi.body().startsWith(": ping\n\n"), tgi.body());
        assertEquals(fake.reply, parse(sseData(tgi.body()).getLast()).path("generated_text").asText());
    }
}
