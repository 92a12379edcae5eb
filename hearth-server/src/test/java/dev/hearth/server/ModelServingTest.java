package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.server.hub.FakeHub;
import dev.hearth.server.hub.HubClient;
import dev.hearth.server.hub.ModelStore;
import dev.hearth.server.ollama.PullRoutes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Serving without a model, pulling while serving, and several models chosen by name, loaded and unloaded. */
class ModelServingTest extends ServerTestBase {
    FakeHub hub;
    /** The fake engine opened for each model file (a new one per load). */
    final Map<String, List<FakeGenerator>> opened = new ConcurrentHashMap<>();

    @Override
    @BeforeEach
    void startServer() throws Exception {
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        hub = new FakeHub();
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    GeneratorFactory fakes() {
        return (path, settings) -> {
            FakeGenerator g = new FakeGenerator();
            g.reply = "I am " + ModelCard.modelId(path);
            opened.computeIfAbsent(ModelCard.modelId(path), k -> new ArrayList<>()).add(g);
            return g;
        };
    }

    void serve(ModelRegistry.Options options, GeneratorFactory factory, boolean pulls) throws Exception {
        PullRoutes.Source source = pulls ? new PullRoutes.Source(new ModelStore(tmp.resolve("cache")), new HubClient(hub.endpoint(), null)) : null;
        server = new HearthServer(config(), options, factory, source).start("127.0.0.1", 0);
        server.load();
    }

    static Path model(Path dir, String name) throws Exception {
        Path file = dir.resolve(name + ".gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putU32("llama.context_length", 512)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, new String[]{"<unk>", "<s>", "</s>"})
                .addTensor("token_embd.weight", GgmlType.Q8_0, new long[]{64, 3}, new byte[3 * 2 * 34])
                .write(file);
        return file;
    }

    String chat(String model) throws Exception {
        Reply r = post("/v1/chat/completions", "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(200, r.status(), r.body());
        return r.json().path("choices").get(0).path("message").path("content").asText();
    }

    Set<String> loaded() throws Exception {
        Set<String> names = new java.util.TreeSet<>();
        for (JsonNode m : get("/api/ps").json().path("models")) names.add(m.path("name").asText());
        return names;
    }

    @Test
    void withoutAModelTheServerStartsAndSaysHowToGetOne() throws Exception {
        serve(new ModelRegistry.Options(List.of(), List.of(tmp.resolve("cache")), null, 0), fakes(), true);
        assertEquals("ok", get("/health").json().path("status").asText());
        assertEquals(0, get("/v1/models").json().path("data").size());
        assertEquals(0, get("/api/tags").json().path("models").size());

        Reply openai = post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(503, openai.status());
        assertEquals("no_model", openai.json().path("error").path("code").asText());
        assertTrue(openai.json().path("error").path("message").asText().contains("./hearth pull"), openai.body());
        assertTrue(openai.json().path("error").path("message").asText().contains("POST /api/pull"), openai.body());
        Reply ollama = post("/api/chat", "{\"model\": \"llama3\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(503, ollama.status());
        assertTrue(ollama.json().path("error").asText().startsWith("no model is loaded: pull one with"), ollama.body());
        Reply tgi = post("/generate", "{\"inputs\": \"hi\"}");
        assertEquals(503, tgi.status());
        assertEquals("unhealthy", tgi.json().path("error_type").asText());
    }

    @Test
    void theCatalogListsSmallModelsByRepositoryAndQuant() throws Exception {
        serve(new ModelRegistry.Options(List.of(), List.of(), null, 0), fakes(), false);
        JsonNode c = get("/api/hearth/catalog").json();
        assertTrue(c.isArray() && c.size() >= 9, c.toString());
        List<String> repos = new ArrayList<>();
        for (JsonNode m : c) {
            for (String f : List.of("name", "repo", "quant", "description")) assertFalse(m.path(f).asText().isBlank(), f + " in " + m);
            assertTrue(m.path("sizeBytes").asLong() > 100_000_000L, m.toString());
            repos.add(m.path("repo").asText());
        }
        assertTrue(repos.containsAll(List.of("microsoft/bitnet-b1.58-2B-4T-gguf", "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
                "bartowski/Llama-3.2-1B-Instruct-GGUF", "microsoft/Phi-3-mini-4k-instruct-gguf")), repos.toString());
    }

    @Test
    void apiPullStreamsProgressThenServesTheModel() throws Exception {
        byte[] gguf = Files.readAllBytes(model(tmp, "Tiny-Q8_0"));
        hub.repo("acme/Tiny-GGUF", false, Map.of("Tiny-Q8_0.gguf", gguf));
        serve(new ModelRegistry.Options(List.of(), List.of(tmp.resolve("cache")), null, 0), fakes(), true);

        Reply r = post("/api/pull", "{\"model\": \"acme/Tiny-GGUF:Q8_0\"}");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("Content-Type").startsWith("application/x-ndjson"), r.header("Content-Type"));
        List<JsonNode> lines = r.body().lines().map(ServerTestBase::parse).toList();
        assertEquals("pulling manifest", lines.getFirst().path("status").asText());
        List<JsonNode> downloading = lines.stream().filter(l -> l.path("status").asText().equals("downloading")).toList();
        assertFalse(downloading.isEmpty(), r.body());
        JsonNode last = downloading.getLast();
        assertEquals("sha256:" + FakeHub.sha256(gguf), last.path("digest").asText());
        assertEquals(gguf.length, last.path("total").asLong());
        assertEquals(gguf.length, last.path("completed").asLong());
        assertEquals("success", lines.getLast().path("status").asText());
        assertEquals("Tiny-Q8_0", lines.getLast().path("model").asText());

        assertEquals("Tiny-Q8_0", get("/v1/models").json().path("data").get(0).path("id").asText());
        assertEquals("I am Tiny-Q8_0", chat("Tiny-Q8_0"));

        Reply again = post("/api/pull", "{\"model\": \"acme/Tiny-GGUF:Q8_0\", \"stream\": false}");
        assertEquals(200, again.status(), again.body());
        assertEquals("success", again.json().path("status").asText());
        Reply wrong = post("/api/pull", "{\"model\": \"acme/Tiny-GGUF:Q5_K_S\", \"stream\": false}");
        assertEquals(404, wrong.status(), wrong.body());
        assertEquals("no Q5_K_S file in acme/Tiny-GGUF; available quantizations: Q8_0", wrong.json().path("error").asText());
        Reply bad = post("/api/pull", "{\"model\": \"not a reference\", \"stream\": false}");
        assertEquals(400, bad.status(), bad.body());
    }

    @Test
    void requestsChooseTheModelByName() throws Exception {
        Path a = model(tmp, "alpha-Q8_0"), b = model(tmp, "beta-Q8_0");
        serve(new ModelRegistry.Options(List.of(a, b), List.of(), null, 0), fakes(), false);
        assertEquals(Set.of("alpha-Q8_0:latest"), loaded(), "the first is opened at start, the other on first use");
        assertEquals("I am beta-Q8_0", chat("beta-Q8_0"));
        assertEquals("I am alpha-Q8_0", chat("alpha-Q8_0"));
        Reply ollama = post("/api/generate", "{\"model\": \"beta-Q8_0:latest\", \"prompt\": \"hi\", \"stream\": false}");
        assertEquals("I am beta-Q8_0", ollama.json().path("response").asText());
        assertEquals("I am alpha-Q8_0", post("/generate", "{\"inputs\": \"hi\"}").json().path("generated_text").asText(), "TGI: the default");

        assertEquals(2, get("/v1/models").json().path("data").size());
        assertEquals(2, get("/api/tags").json().path("models").size());
        assertEquals(Set.of("alpha-Q8_0:latest", "beta-Q8_0:latest"), loaded());

        Reply unknown = post("/v1/chat/completions", "{\"model\": \"gamma\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(404, unknown.status());
        assertEquals("model_not_found", unknown.json().path("error").path("code").asText());
        assertTrue(unknown.json().path("error").path("message").asText().contains("available: alpha-Q8_0, beta-Q8_0"), unknown.body());
        Reply ollamaUnknown = post("/api/chat", "{\"model\": \"gamma\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(404, ollamaUnknown.status());
    }

    @Test
    void anIdleModelIsUnloadedAfterTheKeepAlive() throws Exception {
        Path a = model(tmp, "alpha-Q8_0"), b = model(tmp, "beta-Q8_0");
        serve(new ModelRegistry.Options(List.of(a, b), List.of(), Duration.ofMillis(50), 0), fakes(), false);
        chat("beta-Q8_0");
        await("both unloaded", () -> {
            try {
                return loaded().isEmpty();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(opened.get("beta-Q8_0").getFirst().closed);
        assertEquals("I am beta-Q8_0", chat("beta-Q8_0"), "loaded again on the next request");
        assertEquals(2, opened.get("beta-Q8_0").size());
    }

    @Test
    void ollamasKeepAliveZeroUnloadsAfterTheRequestAndMinusOneKeeps() throws Exception {
        Path a = model(tmp, "alpha-Q8_0"), b = model(tmp, "beta-Q8_0");
        serve(new ModelRegistry.Options(List.of(a, b), List.of(), Duration.ofHours(1), 0), fakes(), false);
        assertEquals(200, post("/api/generate", "{\"model\": \"beta-Q8_0\", \"prompt\": \"hi\", \"stream\": false, \"keep_alive\": 0}").status());
        await("beta unloaded", () -> opened.get("beta-Q8_0").getFirst().closed);
        assertEquals(Set.of("alpha-Q8_0:latest"), loaded());
        assertEquals(200, post("/api/generate", "{\"model\": \"beta-Q8_0\", \"prompt\": \"hi\", \"stream\": false, \"keep_alive\": \"-1\"}").status());
        assertEquals(ModelRegistry.NEVER.toString(), get("/api/ps").json().path("models").get(0).path("expires_at").asText());
        Reply bad = post("/api/generate", "{\"model\": \"beta-Q8_0\", \"prompt\": \"hi\", \"keep_alive\": \"soon\"}");
        assertEquals(400, bad.status());
    }

    @Test
    void aTinyMemoryBudgetUnloadsTheLeastRecentlyUsedButNeverABusyModel() throws Exception {
        Path a = model(tmp, "alpha-Q8_0"), b = model(tmp, "beta-Q8_0"), c = model(tmp, "gamma-Q8_0");
        long one = Files.size(a);
        serve(new ModelRegistry.Options(List.of(a, b, c), List.of(), Duration.ofHours(1), 2 * one), fakes(), false);
        chat("beta-Q8_0");
        assertEquals(Set.of("alpha-Q8_0:latest", "beta-Q8_0:latest"), loaded());
        chat("alpha-Q8_0"); // beta is now the least recently used
        chat("gamma-Q8_0");
        assertEquals(Set.of("alpha-Q8_0:latest", "gamma-Q8_0:latest"), loaded());
        assertTrue(opened.get("beta-Q8_0").getFirst().closed);

        // gamma busy with a slow request: loading beta must unload alpha, not gamma, even though gamma is older
        FakeGenerator gamma = opened.get("gamma-Q8_0").getFirst();
        gamma.tokenDelayMillis = 20;
        chat("alpha-Q8_0");
        Thread slow = Thread.ofVirtual().start(() -> {
            try {
                chat("gamma-Q8_0");
            } catch (Exception e) {
                fail(e);
            }
        });
        await("gamma running", () -> gamma.submitted.size() == 2);
        chat("beta-Q8_0");
        assertTrue(loaded().contains("gamma-Q8_0:latest"), "the busy model stays");
        assertFalse(gamma.closed);
        slow.join();
        assertEquals(Set.of("beta-Q8_0:latest", "gamma-Q8_0:latest"), loaded());
    }

    @Test
    void twoFixtureModelsRunOnTheRealEngineChosenByName() throws Exception {
        Path dir = Path.of(System.getProperty("hearth.fixtures", "../../shared/fixtures"), "models").toAbsolutePath().normalize();
        Path llama = dir.resolve("llama-spm-q8_0.gguf"), qwen = dir.resolve("qwen2-q8_0.gguf");
        assumeTrue(Files.exists(llama) && Files.exists(qwen) || System.getenv("CI") != null, "fixtures not found at " + dir);
        serve(new ModelRegistry.Options(List.of(), List.of(tmp), null, 0),
                (path, s) -> LocalGenerator.open(path, new LocalGenerator.Options(64, KvCache.Type.F16, 4)), false);
        Files.createSymbolicLink(tmp.resolve("llama-spm-q8_0.gguf"), llama);
        Files.createSymbolicLink(tmp.resolve("qwen2-q8_0.gguf"), qwen);
        for (String m : List.of("qwen2-q8_0", "llama-spm-q8_0")) {
            Reply r = post("/v1/completions", "{\"model\": \"" + m + "\", \"prompt\": \"Hello\", \"max_tokens\": 2, \"temperature\": 0}");
            assertEquals(200, r.status(), r.body());
            assertEquals(m, r.json().path("model").asText());
            assertEquals(2, r.json().path("usage").path("completion_tokens").asInt());
        }
        assertEquals(Set.of("qwen2-q8_0:latest", "llama-spm-q8_0:latest"), loaded());
        assertEquals(2, get("/v1/models").json().path("data").size(), "found in the models directory after the start");
    }
}
