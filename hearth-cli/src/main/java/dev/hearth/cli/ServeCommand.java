package dev.hearth.cli;

import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.tensor.WorkerPool;
import dev.hearth.server.GeneratorFactory;
import dev.hearth.server.HearthServer;
import dev.hearth.server.KeepAlive;
import dev.hearth.server.ModelRegistry;
import dev.hearth.server.ReasoningFormat;
import dev.hearth.server.ServerConfig;
import dev.hearth.server.hub.ModelStore;
import dev.hearth.server.ollama.PullRoutes;
import dev.hearth.server.remote.RemoteGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, defaultValueProvider = EnvDefaults.class,
        description = {"Start the HTTP server: OpenAI (/v1/chat/completions, /v1/completions, /v1/models), "
                + "Ollama (/api/chat, /api/generate, ...), Hugging Face TGI (/generate, /generate_stream, /info), "
                + "/predict, and operations routes (/health, /metrics, /props, /tokenize, ...). "
                + "API description at /openapi.json, /docs and /redoc.",
                "Every option can also be set by the environment variables named in its description; the command line wins."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", split = ",",
            description = "A model to serve: a GGUF file, a cached model's name, or OWNER/REPO:QUANT (pulled first). "
                    + "Repeatable; requests choose by their model field, the first is the default (and is opened at start). "
                    + "Without any, the server still starts and serves what is in the cache and --models-dir. Env: HEARTH_MODEL, MODEL (comma-separated).")
    List<String> models;

    @Option(names = "--models-dir", paramLabel = "DIR", split = ",",
            description = "Also serve every GGUF file in this directory (three levels deep; files added later are found too). "
                    + "Repeatable. The pull cache is always served. Env: HEARTH_MODELS_DIR (comma-separated).")
    List<Path> modelsDirs;

    @Option(names = "--keep-alive", paramLabel = "DURATION", defaultValue = "5m",
            description = "How long an idle model stays loaded: 30s, 5m, 1h; 0 unloads after each request, -1 never "
                    + "(default: ${DEFAULT-VALUE}, as Ollama; a request's keep_alive overrides it). Env: HEARTH_KEEP_ALIVE, OLLAMA_KEEP_ALIVE.")
    String keepAlive;

    @Option(names = "--max-memory", paramLabel = "BYTES|PCT%", defaultValue = "75%",
            description = "Memory for loaded models (their file sizes): the least recently used idle model is unloaded "
                    + "to stay under it; k/m/g suffixes or a percentage of RAM, 0 = no limit (default: ${DEFAULT-VALUE}). Env: HEARTH_MAX_MEMORY.")
    String maxMemory;

    @Mixin
    HubOptions hub;

    @Option(names = "--backend", paramLabel = "URL",
            description = "Serve another OpenAI-compatible server's model (vLLM, TGI, llama.cpp, another Hearth at "
                    + "e.g. http://gpu-box:8000) instead of a model file: every API and the pages forward to it. Env: HEARTH_BACKEND.")
    String backend;

    @Option(names = "--backend-api-key", paramLabel = "KEY",
            description = "Sent to the --backend as Authorization: Bearer KEY. Env: HEARTH_BACKEND_API_KEY.")
    String backendApiKey;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}). Env: HEARTH_HOST.")
    String host;

    @Option(names = "--port", defaultValue = "8080",
            description = "Port to listen on, 0 for any free one; 11434 to stand in for Ollama (default: ${DEFAULT-VALUE}). Env: HEARTH_PORT, PORT.")
    int port;

    @Option(names = {"-t", "--threads"}, defaultValue = "0",
            description = "Threads for inference, 0 for the engine's choice (default: ${DEFAULT-VALUE}). Env: HEARTH_THREADS, NUM_THREADS.")
    int threads;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0",
            description = "Context length in tokens, 0 for the model's (default: ${DEFAULT-VALUE}). Env: HEARTH_CTX_SIZE, N_CTX.")
    int ctxSize;

    @Option(names = {"-np", "--parallel"}, defaultValue = "0",
            description = "Sequences generated at once, 0 for the engine's choice (default: ${DEFAULT-VALUE}). Env: HEARTH_PARALLEL.")
    int parallel;

    @Option(names = "--kv-type", defaultValue = "F16", paramLabel = "TYPE",
            description = "KV cache element type: ${COMPLETION-CANDIDATES}; Q8_0 takes about half the memory of F16 "
                    + "(default: ${DEFAULT-VALUE}, as llama.cpp). Env: HEARTH_KV_TYPE.")
    KvCache.Type kvType;

    @Option(names = "--max-queue", defaultValue = "64", paramLabel = "N",
            description = "Requests that may wait for a free sequence; more are refused with 429 and Retry-After "
                    + "(default: ${DEFAULT-VALUE}). Env: HEARTH_MAX_QUEUE.")
    int maxQueue;

    @Option(names = "--kv-budget", defaultValue = "0", paramLabel = "TOKENS",
            description = "KV cache cells all sequences may hold together; 0 = --parallel whole contexts. Cached "
                    + "prompts make room first; a request that still does not fit fails with 429 (default: ${DEFAULT-VALUE}). "
                    + "Env: HEARTH_KV_BUDGET.")
    int kvBudget;

    @Option(names = "--api-key", paramLabel = "KEY[,KEY...]",
            description = "Require one of these keys (Authorization: Bearer KEY, or x-api-key: KEY); /health, "
                    + "/v1/models and the docs stay public. Env: HEARTH_API_KEY.")
    String apiKeys;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "Keys one per line (blank lines and # comments ignored), in addition to --api-key. Env: HEARTH_API_KEY_FILE.")
    Path apiKeyFile;

    @Option(names = "--cors-origins", paramLabel = "ORIGIN[,ORIGIN...]",
            description = "Browser origins allowed to call the API, or * for any; CORS is off when unset. Env: HEARTH_CORS_ORIGINS.")
    String corsOrigins;

    @Option(names = "--max-body-size", defaultValue = "32m", paramLabel = "BYTES",
            description = "Largest request body; k/m suffixes allowed; larger ones get 413 (default: ${DEFAULT-VALUE}). Env: HEARTH_MAX_BODY_SIZE.")
    String maxBodySize;

    @Option(names = "--sse-ping-interval", defaultValue = "15", paramLabel = "SECONDS",
            description = "Send an SSE comment when a stream has been quiet this long (default: ${DEFAULT-VALUE}). Env: HEARTH_SSE_PING_INTERVAL.")
    double pingSeconds;

    @Option(names = "--reasoning-format", defaultValue = "deepseek", paramLabel = "none|deepseek",
            description = "deepseek: a thinking model's <think> text comes back apart (reasoning_content, Ollama's thinking); "
                    + "none: it stays inline in the content. Requests may override it (default: ${DEFAULT-VALUE}). Env: HEARTH_REASONING_FORMAT.")
    String reasoningFormat;

    @Option(names = {"-v", "--verbose"}, description = "Log at info level (start-up, Javalin); the one line per request is always logged. Env: HEARTH_VERBOSE=true.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    /** The engine's entry point (tests may swap in another). */
    GeneratorFactory factory = ServeCommand::openEngine;

    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        ServerConfig config = config();
        // slf4j-simple reads its level when the first logger is made, which is below: set it before.
        if (verbose) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
            System.setProperty("org.slf4j.simpleLogger.log.io.javalin.Javalin", "info");
        }
        if (backend != null && (models != null && !models.isEmpty() || modelsDirs != null && !modelsDirs.isEmpty())) {
            throw new ParameterException(spec.commandLine(), "--model and --backend exclude each other: serve a file or front a server");
        }
        HearthServer server;
        if (backend != null) {
            server = HearthServer.fronting(config, () -> RemoteGenerator.connect(backend, backendApiKey));
        } else {
            List<Path> files = new ArrayList<>();
            if (models != null) for (String m : models) if (!m.isBlank()) files.add(ModelLocator.locate(m.strip(), hub, spec.commandLine().getErr()));
            ModelStore store = hub.store();
            List<Path> dirs = new ArrayList<>(modelsDirs == null ? List.of() : modelsDirs);
            dirs.add(store.dir());
            ModelRegistry.Options options = new ModelRegistry.Options(files, dirs, keepAlive(), maxMemoryBytes());
            server = new HearthServer(config, options, factory, new PullRoutes.Source(store, hub.hub()));
        }
        server.start(host, port);
        try {
            server.load();
        } catch (Exception e) {
            server.close();
            throw e;
        }
        Thread hook = new Thread(() -> {
            stop();
            server.close();
        }, "hearth-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter out = spec.commandLine().getOut();
        int more = server.models().all().size() - 1;
        String what = server.modelId() == null ? "no model (get one: ./hearth pull OWNER/REPO:QUANT, or POST /api/pull)"
                : "model " + server.modelId() + (backend != null ? " of " + backend : more > 0 ? " and " + more + " more" : "");
        out.println("hearth: serving " + what + " on http://" + hostForUrl() + ":" + server.port()
                + " (OpenAI /v1, Ollama /api, TGI /generate; docs at /docs)"
                + (config.apiKeys().isEmpty() ? "" : ", API key required") + "; Ctrl-C stops");
        out.flush();
        try {
            stopped.await();
        } finally {
            server.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
        return 0;
    }

    /** The local engine: {@code parallel} sequences batched into shared passes, on one pool of {@code threads}. */
    static Generator openEngine(Path model, GeneratorFactory.EngineSettings settings) throws IOException {
        WorkerPool.configureShared(settings.threads());
        return LocalGenerator.open(model, new LocalGenerator.Options(settings.contextLength(), settings.kvType(),
                settings.maxQueue(), settings.parallel(), 0, settings.kvBudget()));
    }

    ServerConfig config() throws IOException {
        Set<String> keys = new LinkedHashSet<>();
        if (apiKeys != null) for (String k : apiKeys.split(",")) if (!k.isBlank()) keys.add(k.strip());
        if (apiKeyFile != null) {
            for (String line : Files.readAllLines(apiKeyFile)) {
                String k = line.strip();
                if (!k.isEmpty() && !k.startsWith("#")) keys.add(k);
            }
            if (keys.isEmpty()) throw new IOException(apiKeyFile + ": no API key in the file");
        }
        List<String> origins = corsOrigins == null ? List.of()
                : List.of(corsOrigins.split(",")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (!(pingSeconds > 0)) throw new ParameterException(spec.commandLine(), "--sse-ping-interval must be > 0, got " + pingSeconds);
        if (threads < 0 || ctxSize < 0 || parallel < 0) {
            throw new ParameterException(spec.commandLine(), "--threads, --ctx-size and --parallel must be >= 0");
        }
        if (maxQueue < 1) throw new ParameterException(spec.commandLine(), "--max-queue must be >= 1, got " + maxQueue);
        if (kvBudget < 0) throw new ParameterException(spec.commandLine(), "--kv-budget must be >= 0, got " + kvBudget);
        ReasoningFormat reasoning;
        try {
            reasoning = ReasoningFormat.parse(reasoningFormat);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--reasoning-format must be none or deepseek, got '" + reasoningFormat + "'");
        }
        return new ServerConfig(keys, origins, bytes(maxBodySize), Math.round(pingSeconds * 1000),
                new GeneratorFactory.EngineSettings(threads, ctxSize, parallel, maxQueue, kvBudget, kvType), reasoning);
    }

    Duration keepAlive() {
        try {
            return KeepAlive.parse(keepAlive);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--keep-alive: " + e.getMessage());
        }
    }

    long maxMemoryBytes() {
        String v = maxMemory.strip();
        if (v.endsWith("%")) {
            try {
                double pct = Double.parseDouble(v.substring(0, v.length() - 1));
                if (pct > 0 && pct <= 100) return (long) (ModelRegistry.Options.defaultMaxMemory() / 0.75 * pct / 100);
            } catch (NumberFormatException ignored) {
                // below
            }
            throw new ParameterException(spec.commandLine(), "--max-memory must be a size like 8g or a percentage of RAM like 75%, got " + maxMemory);
        }
        return "0".equals(v) ? 0 : bytes(v, "--max-memory");
    }

    private long bytes(String s) {
        return bytes(s, "--max-body-size");
    }

    private long bytes(String s, String option) {
        String v = s.strip().toLowerCase(Locale.ROOT);
        long unit = v.endsWith("k") ? 1L << 10 : v.endsWith("m") ? 1L << 20 : v.endsWith("g") ? 1L << 30 : 1;
        if (unit > 1) v = v.substring(0, v.length() - 1);
        try {
            long n = Long.parseLong(v) * unit;
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new ParameterException(spec.commandLine(), option + " must be a positive size like 1048576, 512k or 32m, got " + s);
    }

    private String hostForUrl() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** Ends {@link #call()}: from the shutdown hook (Ctrl-C), or from a test. */
    void stop() {
        stopped.countDown();
    }
}
