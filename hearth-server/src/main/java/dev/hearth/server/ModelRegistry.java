package dev.hearth.server;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.EngineStats;
import dev.hearth.engine.generate.Generation;
import dev.hearth.engine.generate.GenerationListener;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.ModelInfo;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.server.hub.ModelStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The models a server can answer with, by name: files given on the command line, GGUF files found in model
 * directories and the pull cache. A model's engine is opened on first use (the weights are memory-mapped, so this
 * is quick) and closed again after it has been idle for the keep-alive time, or earlier when opening another would
 * go over the memory budget (least recently used first; never one that has a request running).
 *
 * <p>Routes get a {@link Generator} that stands for the model, not the engine: every call reopens the engine if it
 * was unloaded meanwhile, and a submitted generation counts as running until its listener hears the end.
 */
public final class ModelRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    /** What Ollama shows as the expiry of a model that stays loaded. */
    public static final Instant NEVER = Instant.parse("2318-08-22T00:00:00Z");
    /** How long a model handed to a route is safe from the keep-alive before its generation is submitted. */
    private static final long HANDOUT_GRACE_MILLIS = 1000;

    /**
     * Where models come from and how long they stay.
     *
     * @param models         files given explicitly (-m); the first is the default model and is opened at start
     * @param dirs           directories searched (three levels deep) for more GGUF files, the pull cache among them
     * @param keepAlive      how long an idle model stays loaded; negative: for ever
     * @param maxMemoryBytes the budget for loaded models (their file sizes); 0 or less: no limit
     */
    public record Options(List<Path> models, List<Path> dirs, Duration keepAlive, long maxMemoryBytes) {
        public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofMinutes(5);

        public Options {
            models = List.copyOf(models);
            dirs = List.copyOf(dirs);
            if (keepAlive == null) keepAlive = DEFAULT_KEEP_ALIVE;
        }

        /** One model (or none), as {@code serve -m FILE} has always served. */
        public static Options single(Path model) {
            return new Options(model == null ? List.of() : List.of(model), List.of(), DEFAULT_KEEP_ALIVE, defaultMaxMemory());
        }

        /** 75% of the machine's RAM, as a starting point that leaves room for the KV caches and the rest. */
        public static long defaultMaxMemory() {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getTotalMemorySize() / 4 * 3;
            }
            return 0;
        }
    }

    /** One servable model: its card always, its engine while loaded. */
    public final class Model {
        private final Path path;
        private final ModelCard card;
        private final Generator handle = new Handle(this);
        private GgufFile file;
        private Generator engine;
        private ModelInfo info;
        private String whyNoEngine;
        private int running;
        private long lastUsedMillis;
        private long lastUseOrder;
        private Duration keepAlive; // null: the server's
        private boolean handedOut; // given to a route that has not submitted yet
        private boolean remote; // an engine opened elsewhere (--backend): always loaded, never unloaded
        private final long memoryBytes; // the weights once loaded (the engine's estimate from the file)

        private Model(Path path, ModelCard card, long memoryBytes) {
            this.path = path;
            this.card = card;
            this.memoryBytes = memoryBytes;
        }

        public ModelCard card() {
            return card;
        }

        public Path path() {
            return path;
        }

        public String id() {
            return card.id();
        }

        /** What the engine said about the model when it was last opened; null before that or without an engine. */
        public ModelInfo info() {
            synchronized (ModelRegistry.this) {
                return info;
            }
        }

        /** Memory the model's weights take once loaded (what the memory budget counts). */
        public long sizeBytes() {
            return memoryBytes;
        }

        public boolean loaded() {
            synchronized (ModelRegistry.this) {
                return file != null || remote;
            }
        }

        /** When it will be unloaded if nothing uses it ({@link #NEVER} for a keep-alive below zero). */
        public Instant expiresAt() {
            synchronized (ModelRegistry.this) {
                Duration k = keepAlive();
                if (k.isNegative()) return NEVER;
                long from = running > 0 ? System.currentTimeMillis() : lastUsedMillis;
                return Instant.ofEpochMilli(from).plus(k);
            }
        }

        private Duration keepAlive() {
            return keepAlive != null ? keepAlive : options.keepAlive();
        }
    }

    private final Options options;
    private final GeneratorFactory factory;
    private final GeneratorFactory.EngineSettings settings;
    private final Map<String, Model> models = new LinkedHashMap<>(); // by lower-case id
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hearth-model-sweeper");
        t.setDaemon(true);
        return t;
    });
    private Model defaultModel;
    private long useCounter;
    private boolean started, closed;

    public ModelRegistry(Options options, GeneratorFactory factory, GeneratorFactory.EngineSettings settings) {
        this.options = options;
        this.factory = factory;
        this.settings = settings;
    }

    public Options options() {
        return options;
    }

    /**
     * Validates the explicitly given files (a damaged one fails here, naming the file), finds the others and opens
     * the default model's engine, so a server given one model is ready when this returns.
     */
    public void start() throws IOException {
        List<Model> explicit = new ArrayList<>();
        for (Path p : options.models()) explicit.add(register(p));
        synchronized (this) {
            if (!explicit.isEmpty()) defaultModel = explicit.getFirst();
            refresh();
            if (defaultModel != null) {
                load(defaultModel);
                schedule(defaultModel);
            }
            started = true;
        }
    }

    /** True until {@link #start} has validated the files given explicitly. */
    public synchronized boolean loading() {
        return !started && !options.models().isEmpty();
    }

    /** Every model, after a look for new files in the model directories. */
    public synchronized List<Model> all() {
        refresh();
        return List.copyOf(models.values());
    }

    /** The models whose engine is open, most recently used first. */
    public synchronized List<Model> loadedModels() {
        return models.values().stream().filter(m -> m.file != null)
                .sorted((a, b) -> Long.compare(b.lastUseOrder, a.lastUseOrder)).toList();
    }

    /** The model a request without a name gets: the first given with -m, else the first found; null if none. */
    public synchronized Model defaultModel() {
        if (defaultModel != null) return defaultModel;
        return models.isEmpty() ? null : models.values().iterator().next();
    }

    /**
     * Serves an engine that is already open and has no model file (another server fronted with {@code --backend}):
     * it becomes the default model, always loaded, closed with the registry.
     */
    public synchronized Model addRemote(Generator engine, ModelCard card) {
        Model m = new Model(null, card, card.meta().fileSize());
        m.remote = true;
        m.engine = engine;
        m.info = engine.info();
        touch(m);
        models.put(card.id().toLowerCase(Locale.ROOT), m);
        defaultModel = m;
        return m;
    }

    /** Adds a file (e.g. one just pulled) and returns its model; a file already known returns the known one. */
    public Model add(Path path) throws IOException {
        return register(path);
    }

    /**
     * The model a request names. Empty, {@code "tgi"} and {@code "dummy"} (what Hugging Face clients send) name the
     * default model; otherwise the id matches with or without {@code .gguf} and {@code :latest}, in any case.
     * Unknown: a 404 that lists what there is; no model at all: a 503 saying how to get one.
     */
    public synchronized Model resolve(String requested) {
        if (requested == null || requested.isEmpty() || requested.equalsIgnoreCase("tgi") || requested.equalsIgnoreCase("dummy")) {
            Model d = defaultModel();
            if (d == null) throw noModel();
            return d;
        }
        Model m = find(requested);
        if (m == null) {
            refresh();
            m = find(requested);
        }
        if (m == null) {
            if (models.isEmpty()) throw noModel();
            throw ApiError.notFound("model '" + requested + "' not found; available: " + String.join(", ", models.values().stream().map(Model::id).toList())
                    + " (pull another with ./hearth pull REPO:QUANT or POST /api/pull)", "model_not_found").with("param_value", requested);
        }
        return m;
    }

    /** A model by name, or null (no error). */
    public synchronized Model find(String requested) {
        String r = requested.toLowerCase(Locale.ROOT);
        if (r.endsWith(":latest")) r = r.substring(0, r.length() - 7);
        if (r.endsWith(".gguf")) r = r.substring(0, r.length() - 5);
        return models.get(r);
    }

    /** The generator for a named model, its engine opened now (reporting a missing engine at once). */
    public Generator generator(String requested) {
        Model m;
        synchronized (this) {
            m = resolve(requested);
            ensureLoaded(m);
            touch(m);
            m.handedOut = true;
            // a request on its way to submit must not see its model go (keep-alive 0): look again a moment later
            schedule(m, HANDOUT_GRACE_MILLIS);
        }
        return m.handle;
    }

    /** Ollama's per-request {@code keep_alive}: how long this model stays after its requests (negative: for ever). */
    public synchronized void keepAlive(Model m, Duration keepAlive) {
        m.keepAlive = keepAlive;
        schedule(m);
    }

    public static ApiError noModel() {
        return new ApiError(ApiError.Kind.LOADING, "no model is loaded: pull one with `./hearth pull "
                + "bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M` (or POST /api/pull {\"model\": \"REPO:QUANT\"}; "
                + "GET /api/hearth/catalog lists small models that run well on CPUs), or start the server with -m FILE.gguf",
                null, "no_model");
    }

    private Model register(Path path) throws IOException {
        Path p = path.toAbsolutePath().normalize();
        synchronized (this) {
            for (Model m : models.values()) if (p.equals(m.path)) return m;
        }
        ModelCard card;
        long memory;
        try (GgufFile f = GgufFile.open(path)) {
            card = ModelCard.of(path, f);
            memory = dev.hearth.engine.model.Model.memoryBytes(f);
        }
        synchronized (this) {
            String key = card.id().toLowerCase(Locale.ROOT);
            Model known = models.get(key);
            if (known != null) {
                if (!p.equals(known.path)) log.warn("{}: a model named {} is already served from {}; this one is skipped", p, card.id(), known.path);
                return known;
            }
            Model m = new Model(p, card, memory);
            models.put(key, m);
            return m;
        }
    }

    /** Looks for GGUF files that appeared in the model directories; a file that cannot be read is skipped. */
    private void refresh() {
        for (Path dir : options.dirs()) {
            for (Path p : ModelStore.scan(dir)) {
                Path abs = p.toAbsolutePath().normalize();
                if (models.values().stream().anyMatch(m -> abs.equals(m.path))) continue;
                try {
                    register(p);
                } catch (IOException | RuntimeException e) {
                    log.warn("{}: not a usable model, skipped: {}", p, e.getMessage());
                }
            }
        }
    }

    private void touch(Model m) {
        m.lastUsedMillis = System.currentTimeMillis();
        m.lastUseOrder = ++useCounter;
    }

    /** Opens the engine of a model that needs it, first closing idle ones if the budget would be exceeded. */
    private void ensureLoaded(Model m) {
        if (closed) throw new ApiError(ApiError.Kind.LOADING, "the server is shutting down", null, null);
        if (m.file != null || m.remote) {
            if (m.engine == null) throw new ApiError(ApiError.Kind.NOT_SUPPORTED, m.whyNoEngine, null, "engine_unavailable");
            return;
        }
        makeRoomFor(m);
        try {
            load(m);
        } catch (IOException e) {
            throw new ApiError(ApiError.Kind.INTERNAL, "cannot load model " + m.id() + ": " + e.getMessage(), null, null);
        }
        if (m.engine == null) throw new ApiError(ApiError.Kind.NOT_SUPPORTED, m.whyNoEngine, null, "engine_unavailable");
    }

    private void makeRoomFor(Model m) {
        long budget = options.maxMemoryBytes();
        if (budget <= 0) return;
        long used = 0;
        for (Model o : models.values()) if (o.file != null) used += o.sizeBytes();
        while (used + m.sizeBytes() > budget) {
            Model victim = models.values().stream().filter(o -> o.file != null && o.running == 0 && o != m)
                    .min((a, b) -> Long.compare(a.lastUseOrder, b.lastUseOrder)).orElse(null);
            if (victim == null) {
                log.warn("loading {} goes over the memory budget of {} bytes: the other loaded models are busy", m.id(), budget);
                return;
            }
            log.info("unloading {} to make room for {} (memory budget {} bytes)", victim.id(), m.id(), budget);
            unload(victim);
            used -= victim.sizeBytes();
        }
    }

    private void load(Model m) throws IOException {
        GgufFile f = GgufFile.open(m.path);
        try {
            Generator g = null;
            String why = null;
            try {
                g = factory.open(m.path, settings);
            } catch (UnsupportedOperationException e) {
                why = e.getMessage();
                log.warn("{}: serving model metadata only", why);
            }
            m.file = f;
            m.engine = g;
            m.whyNoEngine = why;
            m.info = g == null ? null : g.info();
            touch(m);
            log.info("loaded model {}", m.id());
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private void unload(Model m) {
        if (m.remote && m.engine != null) {
            m.engine.close();
            m.engine = null;
            return;
        }
        if (m.file == null) return;
        if (m.engine != null) m.engine.close();
        if (m.file != null) m.file.close();
        m.engine = null;
        m.file = null;
        m.whyNoEngine = null;
        log.info("unloaded model {}", m.id());
    }

    /** Arranges a look at {@code m} when its keep-alive would run out. */
    private void schedule(Model m) {
        schedule(m, 0);
    }

    private void schedule(Model m, long atLeastMillis) {
        Duration k = m.keepAlive();
        if (k.isNegative() || closed) return;
        long delay = Math.max(atLeastMillis, m.lastUsedMillis + k.toMillis() - System.currentTimeMillis());
        sweeper.schedule(this::sweep, delay + 1, TimeUnit.MILLISECONDS);
    }

    private synchronized void sweep() {
        long now = System.currentTimeMillis();
        for (Model m : models.values()) {
            Duration k = m.keepAlive();
            long idleUntil = m.lastUsedMillis + Math.max(k.toMillis(), m.handedOut ? HANDOUT_GRACE_MILLIS : 0);
            if (m.file != null && m.running == 0 && !k.isNegative() && now >= idleUntil) unload(m);
        }
    }

    private synchronized Generator acquire(Model m) {
        ensureLoaded(m);
        m.handedOut = false;
        m.running++;
        touch(m);
        return m.engine;
    }

    private synchronized void release(Model m) {
        m.running--;
        touch(m);
        schedule(m);
    }

    private <T> T briefly(Model m, java.util.function.Function<Generator, T> call) {
        Generator g = acquire(m);
        try {
            return call.apply(g);
        } finally {
            release(m);
        }
    }

    /** Stands for a model in the routes: opens its engine when needed and counts the generations running. */
    private final class Handle implements Generator {
        private final Model m;

        Handle(Model m) {
            this.m = m;
        }

        @Override
        public ModelInfo info() {
            synchronized (ModelRegistry.this) {
                ensureLoaded(m);
                return m.engine.info();
            }
        }

        /** The engine's figures while it is loaded; a scrape never loads a model. */
        @Override
        public EngineStats stats() {
            synchronized (ModelRegistry.this) {
                return m.engine != null ? m.engine.stats() : EngineStats.NONE;
            }
        }

        @Override
        public Generation submit(GenerationRequest request, GenerationListener listener) {
            Generator g = acquire(m);
            try {
                return g.submit(request, new GenerationListener() {
                    @Override
                    public void onToken(TokenEvent event) {
                        listener.onToken(event);
                    }

                    @Override
                    public void onDone(Completion completion) {
                        release(m);
                        listener.onDone(completion);
                    }

                    @Override
                    public void onError(Throwable error) {
                        release(m);
                        listener.onError(error);
                    }
                });
            } catch (RuntimeException e) {
                release(m);
                throw e;
            }
        }

        @Override
        public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
            return briefly(m, g -> g.tokenize(text, addSpecial, parseSpecial));
        }

        @Override
        public String detokenize(int[] ids) {
            return briefly(m, g -> g.detokenize(ids));
        }

        @Override
        public String renderChat(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                                 boolean addGenerationPrompt, Map<String, Object> extraVariables) {
            return briefly(m, g -> g.renderChat(messages, tools, addGenerationPrompt, extraVariables));
        }

        @Override
        public void close() {
            // the registry owns the engine
        }
    }

    /** Closes every engine and unmaps every file. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        sweeper.shutdownNow();
        for (Model m : models.values()) unload(m);
    }
}
