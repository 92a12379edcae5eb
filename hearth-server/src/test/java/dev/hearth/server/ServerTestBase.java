package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A real server on a free loopback port over a {@link FakeGenerator}, and a plain java.net.http client. */
abstract class ServerTestBase {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    HttpClient http;
    HearthServer server;
    FakeGenerator fake;

    record Reply(int status, HttpResponse<String> response) {
        JsonNode json() {
            try {
                return JSON.readTree(response.body());
            } catch (Exception e) {
                throw new AssertionError("not JSON (" + status + "): " + response.body(), e);
            }
        }

        String body() {
            return response.body();
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    /** Override to change the configuration. */
    ServerConfig config() {
        return ServerConfig.defaults();
    }

    @BeforeEach
    void startServer() throws Exception {
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        fake = new FakeGenerator();
        server = new HearthServer(config(), tinyModel(tmp), (model, settings) -> fake).start("127.0.0.1", 0);
        server.load();
    }

    @AfterEach
    void stopServer() {
        if (server != null) server.close();
        http.close();
    }

    static Path tinyModel(Path dir) throws Exception {
        Path file = dir.resolve("tiny-llama.Q8_0.gguf");
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

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    Reply get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).GET();
        if (headers.length > 0) b.headers(headers);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r);
    }

    Reply post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r);
    }

    /** The payloads of an SSE body's {@code data:} lines, in order (comments dropped). */
    static List<String> sseData(String body) {
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            for (String line : event.split("\n")) {
                if (line.startsWith("data:")) out.add(line.substring(5).strip());
            }
        }
        return out;
    }

    static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    /** Waits (generously) for a condition the server reaches asynchronously; never asserts on time itself. */
    static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("never happened: " + what);
            Thread.sleep(10);
        }
    }
}
