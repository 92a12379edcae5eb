package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.engine.generate.Prompt;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class OpenAiCompletionsTest extends ServerTestBase {

    @Test
    void textCompletionShape() throws Exception {
        Reply r = post("/v1/completions", "{\"model\":\"tiny-llama.Q8_0\",\"prompt\":\"Once\",\"max_tokens\":5}");
        assertEquals(200, r.status(), r.body());
        JsonNode o = r.json();
        assertTrue(o.path("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", o.path("object").asText());
        JsonNode c = o.path("choices").get(0);
        assertEquals("Hello", c.path("text").asText());
        assertEquals("length", c.path("finish_reason").asText());
        assertTrue(c.get("logprobs").isNull());
        assertEquals(4, o.path("usage").path("prompt_tokens").asInt());
        assertInstanceOf(Prompt.Text.class, fake.requests.getFirst().prompt());
    }

    @Test
    void promptsAsListsAndTokenIds() throws Exception {
        Reply r = post("/completions", "{\"prompt\":[\"a\",\"bb\"],\"max_tokens\":2}");
        assertEquals(2, r.json().path("choices").size());
        assertEquals(3, r.json().path("usage").path("prompt_tokens").asInt(), "each prompt counted once");
        Reply t = post("/v1/completions", "{\"prompt\":[72,105],\"max_tokens\":2}");
        assertEquals(200, t.status(), t.body());
        Prompt p = fake.requests.getLast().prompt();
        assertArrayEquals(new int[]{72, 105}, ((Prompt.Tokens) p).ids());
    }

    @Test
    void legacyLogprobsShape() throws Exception {
        JsonNode lp = post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":2,\"logprobs\":2}")
                .json().path("choices").get(0).path("logprobs");
        assertEquals(List.of("H", "e"), List.of(lp.path("tokens").get(0).asText(), lp.path("tokens").get(1).asText()));
        assertEquals(2, lp.path("token_logprobs").size());
        assertEquals(2, lp.path("top_logprobs").get(0).size());
        assertEquals(0, lp.path("text_offset").get(0).asInt());
        assertEquals(1, lp.path("text_offset").get(1).asInt());
    }

    @Test
    void streamingCompletion() throws Exception {
        Reply r = post("/v1/completions", "{\"prompt\":\"x\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        List<String> data = sseData(r.body());
        assertEquals("[DONE]", data.getLast());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String d : data.subList(0, data.size() - 2)) {
            JsonNode ch = parse(d).path("choices").get(0);
            assertEquals("text_completion", parse(d).path("object").asText());
            text.append(ch.path("text").asText());
            if (!ch.path("finish_reason").isNull()) finish = ch.path("finish_reason").asText();
        }
        assertEquals("Hello world", text.toString());
        assertEquals("stop", finish);
        JsonNode usage = parse(data.get(data.size() - 2));
        assertTrue(usage.path("choices").isEmpty());
        assertEquals(11, usage.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void modelsListAndOneModel() throws Exception {
        for (String p : List.of("/v1/models", "/models")) {
            JsonNode m = get(p).json();
            assertEquals("list", m.path("object").asText());
            assertEquals("tiny-llama.Q8_0", m.path("data").get(0).path("id").asText());
        }
        Reply one = get("/v1/models/tiny-llama.Q8_0");
        assertEquals(200, one.status());
        assertEquals("model", one.json().path("object").asText());
    }
}
