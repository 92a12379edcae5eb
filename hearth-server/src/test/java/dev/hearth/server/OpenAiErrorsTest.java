package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.engine.generate.OverloadedException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Every client mistake on the OpenAI routes is a 4xx in OpenAI's envelope that names what to change. */
class OpenAiErrorsTest extends ServerTestBase {

    JsonNode error(Reply r, int status) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.header("content-type").startsWith("application/json"), r.header("content-type"));
        JsonNode e = r.json().path("error");
        assertTrue(e.isObject(), r.body());
        assertTrue(e.has("message") && e.has("type") && e.has("param") && e.has("code"), r.body());
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "invalid JSON|{\"messages\": [|invalid JSON|",
            "empty body|   |missing request body|",
            "not an object|[1,2]|must be a JSON object|",
            "missing messages|{\"model\":\"tiny-llama.Q8_0\"}|'messages' is required|messages",
            "messages not a list|{\"messages\":\"hi\"}|must be a list|messages",
            "empty messages|{\"messages\":[]}|at least one|messages",
            "no role|{\"messages\":[{\"content\":\"x\"}]}|role|messages[0].role",
            "bad role|{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}|must be one of|messages[0].role",
            "image part|{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}|not supported|messages[0].content[0]",
            "temperature a string|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}|must be a number|temperature",
            "top_p out of range|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":1.5}|between 0 and 1|top_p",
            "negative temperature|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":-1}|>= 0|temperature",
            "penalty out of range|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"presence_penalty\":3}|between|presence_penalty",
            "n too big|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":100}|n must be|n",
            "max_tokens zero|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}|at least 1|max_tokens",
            "max_tokens fractional|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2.5}|integer|max_tokens",
            "top_logprobs without logprobs|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":3}|requires logprobs|top_logprobs",
            "top_logprobs too many|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":true,\"top_logprobs\":21}|between 0 and 20|top_logprobs",
            "stop not strings|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1]}|string or a list|stop",
            "logit_bias key|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":{\"abc\":1}}|token ids|logit_bias",
            "logit_bias outside vocab|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":{\"999\":1}}|outside the vocabulary|logit_bias",
            "json_schema keyword|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"string\",\"format\":\"email\"}}}}|'format'|response_format",
            "json_schema missing|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}}|json_schema.schema|response_format",
            "response_format type|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"xml\"}}|must be 'text'|response_format",
            "bad gbnf|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"grammar\":\"root ::= (\\\"a\\\"\"}|expected ')'|grammar",
            "llama.cpp json_schema|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"json_schema\":{\"type\":\"array\",\"uniqueItems\":true}}|'uniqueItems'|json_schema",
            "two constraints|{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"grammar\":\"root ::= \\\"a\\\"\",\"json_schema\":{}}|only one of|json_schema",
    })
    void badRequestsAre400(String name, String body, String messagePart, String param) throws Exception {
        JsonNode e = error(post("/v1/chat/completions", body == null ? "" : body), 400);
        assertEquals("invalid_request_error", e.path("type").asText());
        assertTrue(e.path("message").asText().contains(messagePart), e.toString());
        if (param == null) assertTrue(e.path("param").isNull(), e.toString());
        else assertEquals(param, e.path("param").asText());
        assertTrue(fake.requests.isEmpty(), "nothing reached the engine");
    }

    @Test
    void unknownModelIs404() throws Exception {
        JsonNode e = error(post("/v1/chat/completions", "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 404);
        assertEquals("model_not_found", e.path("code").asText());
        assertTrue(e.path("message").asText().contains("gpt-9"));
        assertEquals(404, post("/v1/completions", "{\"model\":\"gpt-9\",\"prompt\":\"x\"}").status());
        assertEquals(404, get("/v1/models/gpt-9").status());
    }

    @Test
    void aPromptLongerThanTheContextIs400WithCounts() throws Exception {
        String big = "x".repeat(FakeGenerator.CONTEXT + 10);
        JsonNode e = error(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + big + "\"}]}"), 400);
        assertEquals("context_length_exceeded", e.path("code").asText());
        assertEquals("exceed_context_size_error", e.path("type").asText());
        int promptTokens = fake.renderChat(List.of(Map.of("role", "user", "content", big)), null, true, null).length();
        assertEquals(promptTokens, e.path("n_prompt_tokens").asInt());
        assertEquals(FakeGenerator.CONTEXT, e.path("n_ctx").asInt());
        String m = e.path("message").asText();
        assertTrue(m.contains(promptTokens + " tokens") && m.contains(Integer.toString(FakeGenerator.CONTEXT)), m);
    }

    @Test
    void otherEngineRefusalsAre400WithoutTheContextCode() throws Exception {
        fake.submitFailure = new IllegalArgumentException("the chat template raised an error: no system role");
        JsonNode e = error(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400);
        assertEquals("the chat template raised an error: no system role", e.path("message").asText());
        assertEquals("invalid_request_error", e.path("type").asText());
        assertTrue(e.path("code").isNull());
    }

    @Test
    void anOverloadedEngineIs429WithRetryAfter() throws Exception {
        fake.submitFailure = new OverloadedException("the queue is full", 7);
        Reply r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        JsonNode e = error(r, 429);
        assertEquals("7", r.header("Retry-After"));
        assertEquals("the queue is full", e.path("message").asText());
    }

    @Test
    void unexpectedEngineExceptionsAre500WithRequestIdNeverTheStack() throws Exception {
        fake.submitFailure = new IllegalStateException("boom");
        Reply r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                "X-Request-Id", "trace-123");
        JsonNode e = error(r, 500);
        assertEquals("trace-123", r.header("X-Request-Id"));
        assertTrue(e.path("message").asText().contains("trace-123"), e.toString());
        assertEquals("server_error", e.path("type").asText());
    }

    @Test
    void unknownRoutesAre404InOpenAiShape() throws Exception {
        JsonNode e = error(get("/v1/nothing-here"), 404);
        assertEquals("not_found_error", e.path("type").asText());
        assertTrue(e.path("message").asText().contains("/v1/nothing-here"));
    }

    @Test
    void completionsRejectUnsupportedFieldsByName() throws Exception {
        assertEquals("suffix", error(post("/v1/completions", "{\"prompt\":\"x\",\"suffix\":\"y\"}"), 400).path("param").asText());
        assertEquals("prompt", error(post("/v1/completions", "{\"prompt\":5}"), 400).path("param").asText());
        assertEquals("prompt", error(post("/v1/completions", "{}"), 400).path("param").asText());
    }
}
