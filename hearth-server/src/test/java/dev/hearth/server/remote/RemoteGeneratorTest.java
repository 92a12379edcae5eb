package dev.hearth.server.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.FinishReason;
import dev.hearth.engine.generate.Generation;
import dev.hearth.engine.generate.GenerationListener;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.generate.ModelInfo;
import dev.hearth.engine.generate.OverloadedException;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.server.ApiError;
import dev.hearth.server.HearthServer;
import dev.hearth.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A Hearth in front of another Hearth: a backend server runs a fixture model on the local engine, a front server
 * forwards to it through {@link RemoteGenerator}, both in this JVM on free ports. Greedy answers through the front
 * must be the backend's own, in every dialect, streamed or not.
 */
class RemoteGeneratorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "backend-secret";

    private static HearthServer backend, front;
    private static HttpClient http;
    /** How each generation the backend ran ended, in order. */
    private static final LinkedBlockingQueue<FinishReason> backendFinishes = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws Exception {
        Path model = fixtures().resolve("models/llama-spm-q8_0.gguf");
        http = HttpClient.newHttpClient();
        ServerConfig backendConfig = ServerConfig.defaults().withApiKeys(Set.of(KEY));
        backend = new HearthServer(backendConfig, model, (path, settings) ->
                new Recording(LocalGenerator.open(path, new LocalGenerator.Options(512, KvCache.Type.F16, 8)))).start("127.0.0.1", 0);
        backend.load();
        front = HearthServer.fronting(ServerConfig.defaults(), () -> RemoteGenerator.connect(backendUrl() + "/v1/", KEY))
                .start("127.0.0.1", 0);
        front.load();
    }

    @AfterAll
    static void stop() {
        if (front != null) front.close();
        if (backend != null) backend.close();
        if (http != null) http.close();
    }

    @Test
    void frontServesTheBackendsModel() throws Exception {
        assertEquals("llama-spm-q8_0", front.modelId());
        JsonNode models = get(front, "/v1/models");
        assertEquals("llama-spm-q8_0", models.path("data").get(0).path("id").asText());
        assertEquals(200, send(front, "GET", "/health", null, null).statusCode());
    }

    @Test
    void greedyCompletionsAreTheBackendsOwn() throws Exception {
        String body = """
                {"prompt": "Once upon a time", "max_tokens": 12, "temperature": 0}""";
        JsonNode direct = post(backend, "/v1/completions", body);
        JsonNode fronted = post(front, "/v1/completions", body);
        assertFalse(direct.path("choices").get(0).path("text").asText().isEmpty());
        assertEquals(direct.path("choices").get(0).path("text"), fronted.path("choices").get(0).path("text"));
        assertEquals(direct.path("choices").get(0).path("finish_reason"), fronted.path("choices").get(0).path("finish_reason"));
        assertEquals(direct.path("usage").path("prompt_tokens"), fronted.path("usage").path("prompt_tokens"));
        assertEquals(direct.path("usage").path("completion_tokens"), fronted.path("usage").path("completion_tokens"));
    }

    @Test
    void tokenPromptsAreForwardedAsIds() throws Exception {
        String body = """
                {"prompt": [1, 450, 496], "max_tokens": 8, "temperature": 0}""";
        assertEquals(post(backend, "/v1/completions", body).path("choices").get(0).path("text"),
                post(front, "/v1/completions", body).path("choices").get(0).path("text"));
    }

    @Test
    void streamedChatThroughTheFrontIsTheBackendsAnswer() throws Exception {
        String messages = """
                "messages": [{"role": "user", "content": "Hello there"}], "max_tokens": 10, "temperature": 0""";
        String direct = post(backend, "/v1/chat/completions", "{" + messages + "}").path("choices").get(0).path("message").path("content").asText();
        HttpResponse<String> r = send(front, "POST", "/v1/chat/completions", "{" + messages + ", \"stream\": true}", null);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        StringBuilder streamed = new StringBuilder();
        int chunks = 0;
        boolean doneSeen = false;
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: ")) continue;
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                doneSeen = true;
                continue;
            }
            JsonNode delta = JSON.readTree(data).path("choices").path(0).path("delta");
            if (delta.path("content").isTextual()) {
                streamed.append(delta.path("content").asText());
                chunks++;
            }
        }
        assertTrue(doneSeen, r.body());
        assertTrue(chunks > 1, "the answer arrives in several chunks: " + r.body());
        assertEquals(direct, streamed.toString());
    }

    @Test
    void ollamaAndTgiDialectsWorkInFrontOfTheBackend() throws Exception {
        String ollama = """
                {"model": "llama-spm-q8_0", "prompt": "Why", "raw": true, "stream": false, "options": {"temperature": 0, "num_predict": 8}}""";
        assertEquals(post(backend, "/api/generate", ollama).path("response"), post(front, "/api/generate", ollama).path("response"));
        String tgi = """
                {"inputs": "Why", "parameters": {"max_new_tokens": 8}}""";
        assertEquals(post(backend, "/generate", tgi).path("generated_text"), post(front, "/generate", tgi).path("generated_text"));
    }

    @Test
    void tokenizeDetokenizeAndTemplateUseTheBackends() throws Exception {
        String text = """
                {"content": "Hello world", "add_special": true}""";
        JsonNode tokens = post(backend, "/tokenize", text).path("tokens");
        assertTrue(tokens.size() > 1);
        assertEquals(tokens, post(front, "/tokenize", text).path("tokens"));
        String ids = "{\"tokens\": " + tokens + "}";
        assertEquals(post(backend, "/detokenize", ids).path("content"), post(front, "/detokenize", ids).path("content"));
        String chat = """
                {"messages": [{"role": "user", "content": "Hi"}]}""";
        assertEquals(post(backend, "/apply-template", chat).path("prompt"), post(front, "/apply-template", chat).path("prompt"));
    }

    @Test
    void cancellingAtTheFrontClosesTheBackendsGeneration() throws Exception {
        RemoteGenerator remote = RemoteGenerator.connect(backendUrl(), KEY);
        try {
            backendFinishes.clear();
            AtomicReference<Generation> generation = new AtomicReference<>();
            CompletableFuture<Completion> done = new CompletableFuture<>();
            SamplingParams forever = SamplingParams.builder().temperature(0).ignoreEos(true).build();
            generation.set(remote.submit(new GenerationRequest(new Prompt.Text("Once"), forever, -1), new GenerationListener() {
                @Override
                public void onToken(TokenEvent event) {
                    Generation g = generation.get();
                    if (g != null) g.cancel();
                }

                @Override
                public void onDone(Completion completion) {
                    done.complete(completion);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            }));
            assertEquals(FinishReason.CANCELLED, done.get(30, TimeUnit.SECONDS).finishReason());
            assertTrue(generation.get().isDone());
            // the backend noticed its client leave and stopped too, long before its 512-token context was full
            assertEquals(FinishReason.CANCELLED, backendFinishes.poll(30, TimeUnit.SECONDS));
        } finally {
            remote.close();
        }
    }

    @Test
    void theBackendsRefusalsKeepTheirMeaning() throws Exception {
        // too long for the backend's 512-token context: the backend's 400, in the front's dialect
        String longPrompt = "{\"prompt\": \"" + "hello ".repeat(2000) + "\", \"max_tokens\": 4}";
        HttpResponse<String> tooLong = send(front, "POST", "/v1/completions", longPrompt, null);
        assertEquals(400, tooLong.statusCode(), tooLong.body());
        assertTrue(JSON.readTree(tooLong.body()).path("error").path("message").asText().contains("context"), tooLong.body());
        HttpResponse<String> tgi = send(front, "POST", "/generate", "{\"inputs\": \"" + "hello ".repeat(2000) + "\"}", null);
        assertEquals(422, tgi.statusCode(), tgi.body());

        assertThrows(IllegalArgumentException.class, () -> { throw RemoteGenerator.refusal(400, "{\"error\": {\"message\": \"bad\"}}"); });
        assertInstanceOf(OverloadedException.class, RemoteGenerator.refusal(429, "{\"error\": \"busy\"}"));
        RuntimeException unauthorized = RemoteGenerator.refusal(401, "{\"object\": \"error\", \"message\": \"no key\"}");
        assertEquals(ApiError.Kind.UPSTREAM, assertInstanceOf(ApiError.class, unauthorized).kind());
        assertTrue(unauthorized.getMessage().contains("no key"));
    }

    @Test
    void aWrongBackendKeyIsABadGateway() throws Exception {
        // the model list is public, so the front starts; generation needs the key
        HearthServer wrongKey = HearthServer.fronting(ServerConfig.defaults(), () -> RemoteGenerator.connect(backendUrl(), "wrong"))
                .start("127.0.0.1", 0);
        try {
            wrongKey.load();
            HttpResponse<String> r = send(wrongKey, "POST", "/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 2}", null);
            assertEquals(502, r.statusCode(), r.body());
            assertTrue(r.body().contains("401"), r.body());
            HttpResponse<String> ollama = send(wrongKey, "POST", "/api/generate", "{\"model\": \"llama-spm-q8_0\", \"prompt\": \"Hi\"}", null);
            assertEquals(502, ollama.statusCode(), ollama.body());
        } finally {
            wrongKey.close();
        }
    }

    @Test
    void aStreamThatEndsBeforeItsFinishIsAnErrorNotACompletion() throws Exception {
        // a backend that dies mid-answer: one chunk, then the connection ends without finish_reason or [DONE]
        io.javalin.Javalin broken = io.javalin.Javalin.create(c -> c.showJavalinBanner = false)
                .get("/v1/models", ctx -> ctx.result("{\"data\": [{\"id\": \"m\"}]}"))
                .post("/v1/completions", ctx -> ctx.contentType("text/event-stream")
                        .result("data: {\"choices\": [{\"text\": \"Hel\", \"finish_reason\": null}]}\n\n"))
                .start("127.0.0.1", 0);
        try (RemoteGenerator remote = RemoteGenerator.connect("http://127.0.0.1:" + broken.port(), null)) {
            assertEquals("m", remote.info().id());
            CompletableFuture<Throwable> failed = new CompletableFuture<>();
            List<String> texts = new ArrayList<>();
            remote.submit(new GenerationRequest(new Prompt.Text("Hi"), SamplingParams.greedy(), 4), new GenerationListener() {
                @Override
                public void onToken(TokenEvent event) {
                    texts.add(event.text());
                }

                @Override
                public void onDone(Completion completion) {
                    failed.complete(null);
                }

                @Override
                public void onError(Throwable error) {
                    failed.complete(error);
                }
            });
            Throwable error = failed.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("Hel"), texts);
            assertEquals(ApiError.Kind.UPSTREAM, assertInstanceOf(ApiError.class, error).kind());
        } finally {
            broken.stop();
        }
    }

    @Test
    void anUnreachableBackendFailsAtStart() {
        IOException e = assertThrows(IOException.class, () -> RemoteGenerator.connect("http://127.0.0.1:1", null));
        assertTrue(e.getMessage().contains("cannot reach the backend"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RemoteGenerator.connect("ftp://example.org", null));
    }

    @Test
    void logprobsAreRefusedClearly() throws Exception {
        HttpResponse<String> r = send(front, "POST", "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Hi"}], "logprobs": true, "max_tokens": 2}""", null);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("logprobs"), r.body());
    }

    @Test
    void theBaseUrlMayEndInV1OrASlash() {
        assertEquals(URI.create("http://h:8000"), RemoteGenerator.baseUri("http://h:8000/v1/"));
        assertEquals(URI.create("http://h:8000"), RemoteGenerator.baseUri(" http://h:8000/ "));
        assertEquals(URI.create("https://h/prefix"), RemoteGenerator.baseUri("https://h/prefix/v1"));
    }

    private static String backendUrl() {
        return "http://127.0.0.1:" + backend.port();
    }

    private static JsonNode get(HearthServer s, String path) throws Exception {
        HttpResponse<String> r = send(s, "GET", path, null, null);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode post(HearthServer s, String path, String body) throws Exception {
        HttpResponse<String> r = send(s, "POST", path, body, s == backend ? KEY : null);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> send(HearthServer s, String method, String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Path fixtures() {
        Path dir = Path.of(System.getProperty("hearth.fixtures", "../shared/fixtures")).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            String msg = "golden fixtures not found at " + dir + " (expected ../shared/fixtures beside the clone)";
            if (System.getenv("CI") != null) fail(msg);
            Assumptions.abort(msg);
        }
        return dir;
    }

    /** The backend's engine, noting how each generation ended (to see a cancel arrive from the front). */
    private record Recording(Generator engine) implements Generator {
        @Override
        public ModelInfo info() {
            return engine.info();
        }

        @Override
        public Generation submit(GenerationRequest request, GenerationListener listener) {
            return engine.submit(request, new GenerationListener() {
                @Override
                public void onToken(TokenEvent event) {
                    listener.onToken(event);
                }

                @Override
                public void onDone(Completion completion) {
                    backendFinishes.add(completion.finishReason());
                    listener.onDone(completion);
                }

                @Override
                public void onError(Throwable error) {
                    listener.onError(error);
                }
            });
        }

        @Override
        public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
            return engine.tokenize(text, addSpecial, parseSpecial);
        }

        @Override
        public String detokenize(int[] ids) {
            return engine.detokenize(ids);
        }

        @Override
        public String renderChat(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                                 Map<String, Object> extraVariables) {
            return engine.renderChat(messages, tools, addGenerationPrompt, extraVariables);
        }

        @Override
        public void close() {
            engine.close();
        }
    }
}
