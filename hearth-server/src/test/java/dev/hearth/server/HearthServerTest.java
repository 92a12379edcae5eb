package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.gguf.GgufFormatException;
import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The server on an ephemeral loopback port, with a small model written by GgufWriter. */
class HearthServerTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    HttpClient http;
    HearthServer server;

    record Reply(int status, String contentType, JsonNode body) {}

    @BeforeEach
    void client() {
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        http.close();
    }

    Reply get(String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("content-type").orElse(""), JSON.readTree(r.body()));
    }

    /** A tiny llama-like file: 2 tensors, 3 tokens. */
    Path tinyModel() throws Exception {
        Path file = tmp.resolve("tiny-llama.Q8_0.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "Tiny")
                .putU32("llama.context_length", 512)
                .putU32("llama.embedding_length", 64)
                .putU32("llama.block_count", 1)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, new String[]{"<unk>", "<s>", "</s>"})
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[]{64, 3}, new byte[3 * 2 * 34])
                .addTensor("output_norm.weight", new float[64], 64)
                .write(file);
        return file;
    }

    @Test
    void healthIsLoadingUntilTheModelIsOpenThenModelsListsIt() throws Exception {
        Path model = tinyModel();
        server = new HearthServer(model).start("127.0.0.1", 0);
        assertTrue(server.port() > 0);

        Reply loading = get("/health");
        assertEquals(503, loading.status);
        assertEquals("loading", loading.body.path("status").asText());
        assertEquals(503, get("/v1/models").status);

        server.load();
        Reply health = get("/health");
        assertEquals(200, health.status);
        assertTrue(health.contentType.startsWith("application/json"), health.contentType);
        assertEquals("ok", health.body.path("status").asText());

        Reply models = get("/v1/models");
        assertEquals(200, models.status);
        assertEquals("list", models.body.path("object").asText());
        assertEquals(1, models.body.path("data").size());
        JsonNode m = models.body.path("data").get(0);
        assertEquals("tiny-llama.Q8_0", m.path("id").asText(), "file name without .gguf");
        assertEquals("model", m.path("object").asText());
        assertEquals(Files.getLastModifiedTime(model).toMillis() / 1000, m.path("created").asLong());
        assertEquals("hearth", m.path("owned_by").asText());
        JsonNode meta = m.path("meta");
        assertEquals("llama", meta.path("architecture").asText());
        assertEquals("Tiny", meta.path("name").asText());
        assertEquals(64 * 3 + 64, meta.path("n_params").asLong());
        assertEquals(3 * 2 * 34 + 64 * 4, meta.path("size").asLong(), "tensor bytes");
        assertEquals(Files.size(model), meta.path("file_size").asLong());
        assertEquals(512, meta.path("n_ctx_train").asLong());
        assertEquals(64, meta.path("n_embd").asLong());
        assertEquals(1, meta.path("n_layer").asLong());
        assertEquals(3, meta.path("n_vocab").asLong());
    }

    @Test
    void unknownRoutesGetAJson404() throws Exception {
        server = new HearthServer(null).start("127.0.0.1", 0);
        Reply r = get("/v1/nothing-here");
        assertEquals(404, r.status);
        assertTrue(r.contentType.startsWith("application/json"), r.contentType);
        assertEquals("not_found_error", r.body.path("error").path("type").asText());
        assertTrue(r.body.path("error").path("message").asText().contains("/v1/nothing-here"));
        assertTrue(r.body.path("error").path("code").isNull(), "OpenAI envelope: code is a string or null");
    }

    @Test
    void withoutAModelHealthIsOkAndTheListIsEmpty() throws Exception {
        server = new HearthServer(null).start("127.0.0.1", 0);
        server.load();
        assertEquals(200, get("/health").status);
        Reply models = get("/v1/models");
        assertEquals(200, models.status);
        assertEquals(0, models.body.path("data").size());
    }

    @Test
    void aDamagedFileFailsToLoadWithItsName() throws Exception {
        Path model = tinyModel();
        byte[] b = Files.readAllBytes(model);
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(b, b.length / 2));
        server = new HearthServer(cut).start("127.0.0.1", 0);
        GgufFormatException e = assertThrows(GgufFormatException.class, server::load);
        assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
        assertEquals(503, get("/health").status, "still not ready");
    }

    @Test
    void aTakenPortIsReportedAsSuch() throws Exception {
        server = new HearthServer(null).start("127.0.0.1", 0);
        try (HearthServer second = new HearthServer(null)) {
            java.net.BindException e = assertThrows(java.net.BindException.class, () -> second.start("127.0.0.1", server.port()));
            assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + server.port() + ": "), e.getMessage());
        }
    }
}
