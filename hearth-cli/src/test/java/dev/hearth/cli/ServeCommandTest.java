package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.model.KvCache;
import dev.hearth.server.GeneratorFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth serve} wired through the command line: a real server on an ephemeral loopback port. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    /** A small real model (a llama.cpp fixture) under a name of the test's own. */
    private Path model() throws Exception {
        Path file = tmp.resolve("unit-model.gguf");
        if (!Files.exists(file)) Files.copy(CliFixtures.dir().resolve("models/llama-spm-q8_0.gguf"), file);
        return file;
    }

    @Test
    void servesHealthAndModelsUntilStopped() throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
        String model = model().toString();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> cl.execute("serve", "-m", model, "--host", "127.0.0.1", "--port", "0"));

        // the command prints its address once the model is loaded
        Matcher m = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+) ").matcher("");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!m.reset(out.toString()).find()) {
            assertFalse(exit.isDone(), "serve ended early: " + err);
            assertTrue(System.nanoTime() < deadline, "serve did not report its address; stderr: " + err);
            Thread.sleep(20);
        }
        assertTrue(out.toString().contains("model unit-model"), out.toString());
        int port = Integer.parseInt(m.group(1));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertEquals("ok", new ObjectMapper().readTree(health.body()).path("status").asText());
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode data = new ObjectMapper().readTree(models.body()).path("data");
            assertEquals("unit-model", data.get(0).path("id").asText());
            try (GgufFile f = GgufFile.open(Path.of(model))) {
                assertEquals(f.parameterCount(), data.get(0).path("meta").path("n_params").asLong());
            }
        } finally {
            serve.stop();
        }
        assertEquals(0, exit.get(60, TimeUnit.SECONDS));
        assertEquals("", err.toString());
    }

    /** Starts serve in the background with the given environment; returns the port it reports. */
    private record Running(ServeCommand serve, CompletableFuture<Integer> exit, int port, StringWriter out, StringWriter err) {}

    private Running start(Map<String, String> env, String... args) throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        CommandLine serveCl = cl.getSubcommands().get("serve");
        serveCl.setDefaultValueProvider(new EnvDefaults(env::get));
        ServeCommand serve = serveCl.getCommand();
        String[] all = new String[args.length + 1];
        all[0] = "serve";
        System.arraycopy(args, 0, all, 1, args.length);
        // its own thread: the common pool may have a single one (2 cores), which a first running serve holds
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute(all), r -> Thread.ofVirtual().start(r));
        Matcher m = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+) ").matcher("");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!m.reset(out.toString()).find()) {
            assertFalse(exit.isDone(), "serve ended early: " + err);
            assertTrue(System.nanoTime() < deadline, "serve did not report its address; stderr: " + err);
            Thread.sleep(20);
        }
        return new Running(serve, exit, Integer.parseInt(m.group(1)), out, err);
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void flagsComeFromTheEnvironmentAndTheCommandLineWins() throws Exception {
        Path keys = tmp.resolve("keys.txt");
        Files.writeString(keys, "# team keys\n\nkey-from-file\n");
        Map<String, String> env = Map.of("MODEL", model().toString(), "PORT", "0", "HEARTH_API_KEY", "k1,k2",
                "HEARTH_API_KEY_FILE", keys.toString(), "HEARTH_CORS_ORIGINS", "https://a.example", "N_CTX", "128",
                "NUM_THREADS", "3", "HEARTH_HOST", "127.0.0.1", "HEARTH_REASONING_FORMAT", "none");
        Running r = start(env);
        try {
            assertTrue(r.out.toString().contains("model unit-model"), r.out.toString());
            assertTrue(r.out.toString().contains("API key required"), r.out.toString());
            assertEquals(3, r.serve.threads);
            assertEquals(128, r.serve.ctxSize);
            assertEquals(java.util.Set.of("k1", "k2", "key-from-file"), r.serve.config().apiKeys());
            assertEquals(dev.hearth.server.ReasoningFormat.NONE, r.serve.config().reasoningFormat());
            String base = "http://127.0.0.1:" + r.port;
            assertEquals(200, send(HttpRequest.newBuilder(URI.create(base + "/health"))).statusCode(), "public");
            String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
            assertEquals(401, send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(chat))).statusCode());
            HttpResponse<String> reply = send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Authorization", "Bearer key-from-file").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat.replace("}]}", "}],\"max_tokens\":5,\"temperature\":0}"))));
            assertEquals(200, reply.statusCode(), reply.body());
            JsonNode completion = new ObjectMapper().readTree(reply.body());
            assertEquals(5, completion.path("usage").path("completion_tokens").asInt(), reply.body());
            assertEquals("length", completion.path("choices").get(0).path("finish_reason").asText(), reply.body());
            HttpResponse<String> cors = send(HttpRequest.newBuilder(URI.create(base + "/health")).header("Origin", "https://a.example"));
            assertEquals("https://a.example", cors.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        } finally {
            r.serve.stop();
        }
        assertEquals(0, r.exit.get(60, TimeUnit.SECONDS));

        Running flags = start(Map.of("PORT", "1", "HEARTH_API_KEY", "k1"), "-m", model().toString(), "--port", "0",
                "--api-key", "cli-key");
        try {
            assertEquals(java.util.Set.of("cli-key"), flags.serve.config().apiKeys());
            assertEquals(dev.hearth.server.ReasoningFormat.DEEPSEEK, flags.serve.config().reasoningFormat(), "the default");
        } finally {
            flags.serve.stop();
        }
        assertEquals(0, flags.exit.get(60, TimeUnit.SECONDS));
    }

    @Test
    void backendFrontsAnotherServerWithItsKeyFromTheEnvironment() throws Exception {
        Running backend = start(Map.of(), "-m", model().toString(), "--port", "0", "--api-key", "inner");
        try {
            Running front = start(Map.of("HEARTH_BACKEND", "http://127.0.0.1:" + backend.port, "HEARTH_BACKEND_API_KEY", "inner"),
                    "--port", "0");
            try {
                assertTrue(front.out.toString().contains("model unit-model of http://127.0.0.1:" + backend.port), front.out.toString());
                String body = "{\"prompt\": \"Hello\", \"max_tokens\": 6, \"temperature\": 0}";
                HttpResponse<String> direct = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + backend.port + "/v1/completions"))
                        .header("Authorization", "Bearer inner").POST(HttpRequest.BodyPublishers.ofString(body)));
                HttpResponse<String> fronted = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.port + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)));
                assertEquals(200, fronted.statusCode(), fronted.body());
                ObjectMapper json = new ObjectMapper();
                assertEquals(json.readTree(direct.body()).path("choices").get(0).path("text"),
                        json.readTree(fronted.body()).path("choices").get(0).path("text"));
            } finally {
                front.serve.stop();
            }
            assertEquals(0, front.exit.get(60, TimeUnit.SECONDS));
        } finally {
            backend.serve.stop();
        }
        assertEquals(0, backend.exit.get(60, TimeUnit.SECONDS));
    }

    @Test
    void modelAndBackendExcludeEachOther() throws Exception {
        Cli.Run r = Cli.run("serve", "-m", model().toString(), "--backend", "http://127.0.0.1:1", "--port", "0");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--backend"), r.err());
    }

    @Test
    void anUnreachableBackendFailsAtStartWithOneLine() {
        Cli.Run r = Cli.run("serve", "--backend", "http://127.0.0.1:1", "--port", "0");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("cannot reach the backend http://127.0.0.1:1"), r.err());
    }

    @Test
    void helpNamesTheEnvironmentVariables() {
        Cli.Run r = Cli.run("serve", "--help");
        assertEquals(0, r.exit());
        for (var e : EnvDefaults.VARIABLES.entrySet()) {
            assertTrue(r.out().contains(e.getKey()), e.getKey());
            for (String v : e.getValue()) assertTrue(r.out().contains(v), v + " missing from --help");
        }
    }

    @Test
    void aBadSizeIsAUsageError() throws Exception {
        Cli.Run r = Cli.run("serve", "-m", model().toString(), "--port", "0", "--max-body-size", "lots");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--max-body-size"), r.err());
    }

    @Test
    void aBadReasoningFormatIsAUsageError() throws Exception {
        Cli.Run r = Cli.run("serve", "-m", model().toString(), "--port", "0", "--reasoning-format", "loud");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--reasoning-format must be none or deepseek, got 'loud'"), r.err());
    }

    @Test
    void aDamagedModelFailsAtStartWithOneLine() throws Exception {
        byte[] b = Files.readAllBytes(model());
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(b, b.length - 7));
        Cli.Run r = Cli.run("serve", "-m", cut.toString(), "--port", "0");
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.startsWith("hearth: " + cut + ": "), err);
        assertTrue(err.contains("past the end"), err);
    }

    @Test
    void aMissingModelFailsAtStartWithOneLine() {
        Cli.Run r = Cli.run("serve", "-m", tmp.resolve("nope.gguf").toString(), "--port", "0");
        assertEquals(1, r.exit());
        assertEquals("hearth: no such file: " + tmp.resolve("nope.gguf"), r.err().strip());
    }

    @Test
    void kvTypeFromTheEnvironmentOrTheFlag() throws Exception {
        CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        CommandLine serveCl = cl.getSubcommands().get("serve");
        serveCl.setDefaultValueProvider(new EnvDefaults(Map.of("HEARTH_KV_TYPE", "Q8_0")::get));
        cl.parseArgs("serve", "-m", model().toString());
        ServeCommand serve = serveCl.getCommand();
        assertEquals(KvCache.Type.Q8_0, serve.config().engine().kvType());
        cl.parseArgs("serve", "-m", model().toString(), "--kv-type", "F32");
        assertEquals(KvCache.Type.F32, serve.config().engine().kvType());

        // the engine is opened with it: Q8_0 is refused where a head is not whole blocks of 32 (gemma2's are 16)
        var q8 = new GeneratorFactory.EngineSettings(0, 64, 1, 4, 0, KvCache.Type.Q8_0);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ServeCommand.openEngine(CliFixtures.dir().resolve("models/gemma2-q8_0.gguf"), q8));
        assertTrue(e.getMessage().contains("Q8_0 KV cache"), e.getMessage());
    }

    @Test
    void servesWithAQ8_0KvCache() throws Exception {
        Running r = start(Map.of(), "-m", model().toString(), "--host", "127.0.0.1", "--port", "0", "--kv-type", "Q8_0");
        try {
            assertEquals(KvCache.Type.Q8_0, r.serve.kvType);
            String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":5,\"temperature\":0}";
            HttpResponse<String> reply = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat)));
            assertEquals(200, reply.statusCode(), reply.body());
            JsonNode completion = new ObjectMapper().readTree(reply.body());
            assertEquals(5, completion.path("usage").path("completion_tokens").asInt(), reply.body());
        } finally {
            r.serve.stop();
        }
        assertEquals(0, r.exit.get(60, TimeUnit.SECONDS));
    }
}
