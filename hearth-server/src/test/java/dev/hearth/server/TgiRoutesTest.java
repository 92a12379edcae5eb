package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** TGI's API: /generate, /generate_stream (no [DONE]), POST / and /info, 422 validation errors. */
class TgiRoutesTest extends ServerTestBase {

    @Test
    void generateWithDetails() throws Exception {
        Reply r = post("/generate", "{\"inputs\":\"My name is\",\"parameters\":{\"max_new_tokens\":3,\"details\":true,\"seed\":4,"
                + "\"do_sample\":true,\"top_n_tokens\":2}}");
        assertEquals(200, r.status(), r.body());
        JsonNode o = r.json();
        assertEquals("Hel", o.path("generated_text").asText());
        JsonNode d = o.path("details");
        assertEquals("length", d.path("finish_reason").asText());
        assertEquals(3, d.path("generated_tokens").asInt());
        assertEquals(4, d.path("seed").asLong());
        assertEquals(3, d.path("tokens").size());
        JsonNode t = d.path("tokens").get(0);
        assertEquals((int) 'H', t.path("id").asInt());
        assertEquals("H", t.path("text").asText());
        assertFalse(t.path("special").asBoolean());
        assertTrue(t.path("logprob").isNumber());
        assertEquals(2, d.path("top_tokens").get(0).size());
        assertEquals("10", r.header("x-prompt-tokens"));
    }

    @Test
    void parameterSemantics() throws Exception {
        post("/generate", "{\"inputs\":\"x\",\"parameters\":{}}");
        assertTrue(fake.requests.getLast().sampling().isGreedy(), "parameters present without do_sample: greedy");
        post("/generate", "{\"inputs\":\"x\"}");
        assertFalse(fake.requests.getLast().sampling().isGreedy(), "no parameters: sampling");
        post("/generate", "{\"inputs\":\"x\",\"parameters\":{\"temperature\":0.5,\"repetition_penalty\":1.2,\"stop\":[\"wor\"]}}");
        var s = fake.requests.getLast().sampling();
        assertEquals(0.5, s.temperature());
        assertEquals(1.2, s.repeatPenalty());
        assertEquals(List.of("wor"), s.stop());
        JsonNode full = post("/generate", "{\"inputs\":\"Q:\",\"parameters\":{\"return_full_text\":true,\"details\":true,"
                + "\"stop\":[\"wor\"]}}").json();
        assertEquals("Q:Hello ", full.path("generated_text").asText());
        assertEquals("stop_sequence", full.path("details").path("finish_reason").asText());
        JsonNode eos = post("/generate", "{\"inputs\":\"x\",\"parameters\":{\"details\":true}}").json();
        assertEquals("eos_token", eos.path("details").path("finish_reason").asText());
    }

    @Test
    void generateStreamIsTgiSseWithoutDone() throws Exception {
        Reply r = post("/generate_stream", "{\"inputs\":\"x\",\"parameters\":{\"details\":true,\"max_new_tokens\":4}}");
        assertTrue(r.header("content-type").startsWith("text/event-stream"));
        assertTrue(r.body().startsWith("data:{"), "TGI writes data: without a space");
        List<String> data = sseData(r.body());
        assertFalse(data.contains("[DONE]"));
        assertEquals(4, data.size());
        for (int i = 0; i < 3; i++) {
            JsonNode e = parse(data.get(i));
            assertEquals(i + 1, e.path("index").asInt());
            assertTrue(e.path("generated_text").isNull());
            assertTrue(e.path("details").isNull());
        }
        JsonNode last = parse(data.getLast());
        assertEquals("l", last.path("token").path("text").asText());
        assertEquals("Hell", last.path("generated_text").asText());
        assertEquals("length", last.path("details").path("finish_reason").asText());
        assertEquals(4, last.path("details").path("generated_tokens").asInt());
        assertEquals(1, last.path("details").path("input_length").asInt());
    }

    @Test
    void compatRoute() throws Exception {
        JsonNode list = post("/", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":2}}").json();
        assertTrue(list.isArray());
        assertEquals("He", list.get(0).path("generated_text").asText());
        Reply s = post("/", "{\"inputs\":\"x\",\"stream\":true,\"parameters\":{\"max_new_tokens\":2}}");
        assertEquals("He", parse(sseData(s.body()).getLast()).path("generated_text").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"parameters\":{}}",
            "{\"inputs\":\"\"}",
            "{\"inputs\":\"x\",\"parameters\":{\"temperature\":0}}",
            "{\"inputs\":\"x\",\"parameters\":{\"top_p\":1.0}}",
            "{\"inputs\":\"x\",\"parameters\":{\"top_k\":0}}",
            "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":0}}",
            "{\"inputs\":\"x\",\"parameters\":{\"repetition_penalty\":-1}}",
            "{\"inputs\":\"x\",\"parameters\":{\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}}",
            "{\"inputs\":\"x\",\"parameters\":{\"best_of\":2}}",
            "{\"inputs\":\"x\",\"parameters\":{\"grammar\":{\"type\":\"json\",\"value\":{\"not\":{}}}}}",
            "{\"inputs\":\"x\",\"parameters\":{\"grammar\":{\"type\":\"regex\",\"value\":\"(?=a)\"}}}",
            "{\"inputs\":\"x\",\"parameters\":{\"grammar\":{\"type\":\"xml\",\"value\":\"x\"}}}",
            "{\"inputs\":\"x\",\"parameters\":{\"top_n_tokens\":50}}",
            "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":\"many\"}}",
            "{\"inputs\":7}",
            "not json",
    })
    void validationErrorsAre422(String body) throws Exception {
        Reply r = post("/generate", body);
        assertEquals(422, r.status(), r.body());
        assertEquals("validation", r.json().path("error_type").asText());
        assertFalse(r.json().path("error").asText().isEmpty());
        assertTrue(fake.requests.isEmpty());
    }

    @Test
    void contextOverflowIs422WithCounts() throws Exception {
        Reply r = post("/generate", "{\"inputs\":\"" + "x".repeat(300) + "\"}");
        assertEquals(422, r.status());
        String m = r.json().path("error").asText();
        assertTrue(m.contains("300 tokens") && m.contains(Integer.toString(FakeGenerator.CONTEXT)), m);
        assertEquals("validation", r.json().path("error_type").asText());
    }

    @Test
    void info() throws Exception {
        JsonNode o = get("/info").json();
        assertEquals("tiny-llama.Q8_0", o.path("model_id").asText());
        assertEquals(FakeGenerator.CONTEXT, o.path("max_total_tokens").asInt());
        assertEquals("text-generation-router", o.path("router").asText());
    }
}
