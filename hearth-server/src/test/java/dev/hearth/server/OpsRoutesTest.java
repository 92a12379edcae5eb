package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.engine.generate.EngineStats;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** llama.cpp's operations routes and /predict. */
class OpsRoutesTest extends ServerTestBase {

    @Test
    void tokenizeAndDetokenize() throws Exception {
        JsonNode t = post("/tokenize", "{\"content\":\"Hi\"}").json();
        assertEquals("[72,105]", t.path("tokens").toString());
        assertEquals("[1,72,105]", post("/tokenize", "{\"content\":\"Hi\",\"add_special\":true}").json().path("tokens").toString());
        JsonNode pieces = post("/tokenize", "{\"content\":\"Hi\",\"with_pieces\":true}").json().path("tokens");
        assertEquals("H", pieces.get(0).path("piece").asText());
        assertEquals(72, pieces.get(0).path("id").asInt());
        assertEquals("Hi", post("/detokenize", "{\"tokens\":[72,105]}").json().path("content").asText());
        assertEquals(400, post("/detokenize", "{\"tokens\":[72,9999]}").status());
        assertEquals(400, post("/detokenize", "{}").status());
        assertEquals(400, post("/tokenize", "{\"content\":3}").status());
    }

    @Test
    void applyTemplate() throws Exception {
        JsonNode o = post("/apply-template", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").json();
        assertEquals("<|user|>Hi\n<|assistant|>", o.path("prompt").asText());
    }

    @Test
    void predictUsesTheChatTemplateAndReportsUsage() throws Exception {
        JsonNode o = post("/predict", "{\"prompt\":\"Hi\"}").json();
        assertEquals("Hello world", o.path("response").asText());
        int prompt = "<|user|>Hi\n<|assistant|>".length();
        assertEquals(prompt, o.path("usage").path("prompt_tokens").asInt());
        assertEquals(11, o.path("usage").path("completion_tokens").asInt());
        assertEquals(prompt + 11, o.path("usage").path("total_tokens").asInt());
        assertEquals(400, post("/predict", "{}").status());
    }

    @Test
    void propsDescribeTheModel() throws Exception {
        JsonNode o = get("/props").json();
        assertEquals(FakeGenerator.CONTEXT, o.path("default_generation_settings").path("n_ctx").asInt());
        assertTrue(o.path("chat_template").asText().contains("messages"));
        assertEquals(1, o.path("total_slots").asInt());
    }

    @Test
    void metricsCountTokensInPrometheusText() throws Exception {
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":5}");
        post("/v1/completions", "{\"prompt\":\"abc\",\"max_tokens\":3}");
        Reply r = get("/metrics");
        assertEquals(200, r.status());
        assertTrue(r.header("content-type").startsWith("text/plain"), r.header("content-type"));
        String text = r.body();
        assertEquals(8, value(text, "llamacpp:tokens_predicted_total"));
        int prompt = "<|user|>Hi\n<|assistant|>".length() + 3;
        assertEquals(prompt, value(text, "llamacpp:prompt_tokens_total"));
        assertEquals(0, value(text, "llamacpp:requests_processing"));
        assertEquals(2, value(text, "hearth_time_to_first_token_seconds_count"));
        assertTrue(text.contains("# TYPE llamacpp:prompt_tokens_total counter"));
        assertTrue(text.contains("hearth_time_per_output_token_seconds_bucket{le=\"+Inf\"} 2"));
        for (String line : text.split("\n")) {
            assertTrue(line.startsWith("#") || line.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*})? -?[0-9.eE+-]+"), line);
        }
    }

    @Test
    void metricsReportTheEnginesQueueCacheAndForwardPasses() throws Exception {
        fake.stats = new EngineStats(3, 1, 64, 256, 42, 1);
        Reply r = get("/metrics");
        String text = r.body();
        assertEquals(3, value(text, "llamacpp:requests_deferred"));
        assertEquals(64, value(text, "llamacpp:kv_cache_tokens"));
        assertEquals(0.25, value(text, "llamacpp:kv_cache_usage_ratio"));
        assertEquals(42, value(text, "llamacpp:n_decode_total"));
        assertEquals(1, value(text, "llamacpp:n_busy_slots_per_decode"));
        assertTrue(text.contains("# TYPE llamacpp:kv_cache_usage_ratio gauge"));
        assertEquals(server.startedAt(), Long.parseLong(r.header("Process-Start-Time-Unix")));
        for (String name : List.of("hearth_time_to_first_token_seconds", "hearth_time_per_output_token_seconds",
                "hearth_queue_time_seconds")) {
            assertTrue(text.contains("# TYPE " + name + " histogram"), name);
        }
    }

    @Test
    void requestsWaitingInTheEngineAreDeferredNotProcessing() throws Exception {
        fake.reply = "x".repeat(100);
        fake.tokenDelayMillis = 20;
        var pending = http.sendAsync(java.net.http.HttpRequest.newBuilder(uri("/predict"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        await("the generation runs", () -> !fake.submitted.isEmpty());
        assertEquals(1, value(get("/metrics").body(), "llamacpp:requests_processing"));
        fake.stats = new EngineStats(1, 0, 0, 256, 0, 0); // the engine says it has not started it
        String text = get("/metrics").body();
        assertEquals(0, value(text, "llamacpp:requests_processing"));
        assertEquals(1, value(text, "llamacpp:requests_deferred"));
        fake.submitted.getFirst().cancel();
        assertEquals(200, pending.get(20, java.util.concurrent.TimeUnit.SECONDS).statusCode());
    }

    static double value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), name + " missing");
        return Double.parseDouble(m.group(1));
    }

    @Test
    void healthIsOk() throws Exception {
        Reply r = get("/health");
        assertEquals(200, r.status());
        assertEquals("ok", r.json().path("status").asText());
    }
}
