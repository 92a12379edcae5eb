package dev.hearth.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.hearth.engine.generate.Generator;
import dev.hearth.server.ollama.OllamaRoutes;
import dev.hearth.server.ollama.PullRoutes;
import dev.hearth.server.openai.OpenAiRoutes;
import dev.hearth.server.ops.DocsRoutes;
import dev.hearth.server.ops.OpsRoutes;
import dev.hearth.server.tgi.TgiRoutes;
import dev.hearth.server.web.ChatPage;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.javalin.util.JavalinBindException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Hearth's HTTP server: the OpenAI, Ollama and TGI dialects plus llama.cpp's operations routes, over the models of a
 * {@link ModelRegistry} (one, several chosen by name, or none yet). Lifecycle: {@link #start} binds the port (health
 * then answers 503 "loading"), {@link #load} opens and validates the model files given and the default model's engine
 * (health answers "ok"), {@link #close} stops all.
 */
public final class HearthServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HearthServer.class);
    /** The one-line-per-request log, under its own name so it can be switched on alone. */
    private static final Logger requestLog = LoggerFactory.getLogger("dev.hearth.server.requests");

    /** Context attributes shared with the dialects. */
    public static final String RUN = "hearth.run", CLIENT_GONE = "hearth.clientGone", STREAMED = "hearth.streamed";
    private static final String ERRORED = "hearth.errored", REQUEST_ID = "hearth.requestId", MAX_BODY = "hearth.maxBody";
    private static final Set<String> PUBLIC = Set.of("/health", "/v1/health", "/v1/models", "/models", "/",
            "/openapi.json", "/docs", "/swagger-ui", "/redoc");

    private final ServerConfig config;
    private final ModelRegistry models;
    private final Callable<Generator> backend; // null: the models' own engines
    private volatile boolean backendReady;
    private final Javalin app;
    private final Routes routes;
    private final Metrics metrics = new Metrics();
    private final ChatPage chatPage = new ChatPage();
    private final long startedAt = System.currentTimeMillis() / 1000;
    private boolean closed;
    /** Where the one line per request goes (tests listen here). */
    volatile Consumer<String> requestLogSink = requestLog::info;

    public HearthServer(Path modelPath) {
        this(ServerConfig.defaults(), modelPath, GeneratorFactory.UNAVAILABLE);
    }

    /** One model (or none with {@code modelPath} null), loaded by {@link #load}. */
    public HearthServer(ServerConfig config, Path modelPath, GeneratorFactory factory) {
        this(config, ModelRegistry.Options.single(modelPath), factory, null);
    }

    /**
     * A server in front of another engine (e.g. a remote OpenAI-compatible server): {@link #load} opens it with
     * {@code backend}, and the model served is the one it reports.
     */
    public static HearthServer fronting(ServerConfig config, Callable<Generator> backend) {
        return new HearthServer(config, ModelRegistry.Options.single(null), GeneratorFactory.UNAVAILABLE, null, backend);
    }

    /**
     * Several models, chosen per request by name ({@link ModelRegistry}); {@code pulls} (may be null: no
     * {@code POST /api/pull}) downloads more into a cache that is one of the {@code models} directories.
     */
    public HearthServer(ServerConfig config, ModelRegistry.Options models, GeneratorFactory factory, PullRoutes.Source pulls) {
        this(config, models, factory, pulls, null);
    }

    private HearthServer(ServerConfig config, ModelRegistry.Options models, GeneratorFactory factory, PullRoutes.Source pulls,
                         Callable<Generator> backend) {
        this.config = config;
        this.models = new ModelRegistry(models, factory, config.engine());
        this.backend = backend;
        ObjectMapper mapper = new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
        this.app = Javalin.create(c -> {
            c.useVirtualThreads = true;
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.http.disableCompression();
            c.staticFiles.enableWebjars();
            c.staticFiles.add(files -> {
                files.hostedPath = ChatPage.ASSETS;
                files.directory = ChatPage.RESOURCES;
                files.location = Location.CLASSPATH;
            });
            c.jsonMapper(new JavalinJackson(mapper, true));
            c.requestLogger.http(this::logRequest);
        });
        this.routes = new Routes(app);
        app.before(this::before);
        if (!config.corsOrigins().isEmpty()) app.options("/*", ctx -> ctx.status(204));
        new OpsRoutes(this).register(routes);
        new OpenAiRoutes(this).register(routes);
        new OllamaRoutes(this).register(routes);
        new TgiRoutes(this).register(routes);
        new PullRoutes(this, pulls).register(routes);
        new DocsRoutes(this).register(routes);
        app.error(404, ctx -> {
            if (ctx.attribute(ERRORED) == null) {
                renderError(ctx, ApiError.notFound("no route for " + ctx.method() + " " + ctx.path(), null));
            }
        });
        app.exception(ApiError.class, (e, ctx) -> {
            if (e.kind() == ApiError.Kind.INTERNAL) log.error("request {} failed: {}", requestId(ctx), e.getMessage(), e.getCause());
            renderError(ctx, e);
        });
        app.exception(HttpResponseException.class, (e, ctx) -> renderError(ctx, switch (e.getStatus()) {
            case 413 -> new ApiError(ApiError.Kind.TOO_LARGE, "the request body is larger than the limit of "
                    + config.maxBodyBytes() + " bytes", null, "request_too_large");
            case 400 -> ApiError.invalid(null, e.getMessage());
            case 404 -> ApiError.notFound(e.getMessage(), null);
            default -> new ApiError(ApiError.Kind.INTERNAL, e.getMessage(), null, null);
        }));
        // the client closed the connection: nothing to write; 499 (nginx's "client closed request") for the log
        app.exception(ClientWatch.GoneException.class, (e, ctx) -> ctx.status(499));
        app.exception(Exception.class, (e, ctx) -> {
            String id = requestId(ctx);
            log.error("request {} {} {} failed", id, ctx.method(), ctx.path(), e);
            renderError(ctx, new ApiError(ApiError.Kind.INTERNAL, "internal error (request id " + id + "): "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), null, null));
        });
    }

    /** Binds {@code host:port} (port 0: any free port) and starts answering; call {@link #load} next. */
    public HearthServer start(String host, int port) throws BindException {
        try {
            app.start(host, port);
        } catch (JavalinBindException e) {
            // Javalin says "port already in use" for every bind failure; the root cause tells the real one
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            String why = root instanceof UnresolvedAddressException ? "cannot resolve the host"
                    : root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
            BindException b = new BindException("cannot listen on " + host + ":" + port + ": " + why);
            b.initCause(e);
            throw b;
        }
        return this;
    }

    /**
     * Opens and validates the model files given, then the default model's engine; until this returns, /health
     * answers 503. A build without the engine ({@link GeneratorFactory#UNAVAILABLE}) still loads: only generation
     * answers 501.
     */
    public void load() throws IOException {
        if (backend != null) {
            if (backendReady) return;
            Generator g;
            try {
                g = backend.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e.getMessage(), e);
            }
            models.addRemote(g, ModelCard.of(g.info(), startedAt));
            backendReady = true;
            return;
        }
        models.start();
    }

    /** The port actually bound (useful after starting on port 0). */
    public int port() {
        return app.port();
    }

    /** The default model's id, or null before {@link #load} or without a model. */
    public String modelId() {
        ModelCard c = card();
        return c == null ? null : c.id();
    }

    /** The default model's card, or null before {@link #load} or without a model. */
    public ModelCard card() {
        if (models.loading()) return null;
        ModelRegistry.Model m = models.defaultModel();
        return m == null ? null : m.card();
    }

    /** Every model this server can answer with. */
    public ModelRegistry models() {
        return models;
    }

    public ServerConfig config() {
        return config;
    }

    public ChatPage chatPage() {
        return chatPage;
    }

    public Metrics metrics() {
        return metrics;
    }

    public Routes routes() {
        return routes;
    }

    /** Unix seconds when the server was made (Ollama's and OpenAI's "created" for the model). */
    public long startedAt() {
        return startedAt;
    }

    public boolean loading() {
        return backend != null ? !backendReady : models.loading();
    }

    /** The default model's engine, or the reason there is none as an error (503 while loading or without a model). */
    public Generator generator() {
        return generator(null);
    }

    /**
     * The engine of the model a request names (see {@link ModelRegistry#resolve}), opened if it is not loaded;
     * 503 while loading, 404 for an unknown name, 501 in a build without the engine.
     */
    public Generator generator(String requested) {
        if (loading()) throw new ApiError(ApiError.Kind.LOADING, "Loading model", null, "model_loading").retryAfter(5);
        return models.generator(requested);
    }

    /**
     * Checks a request's {@code model} against the models served. Absent or empty names the default model; so do
     * the placeholders Hugging Face clients send ("tgi", "dummy"); a model's file name and Ollama's {@code :latest}
     * tag name it too.
     */
    public void checkModel(String requested) {
        if (models.loading()) return; // the generator() call reports the real problem
        models.resolve(requested);
    }

    /**
     * The request body as text, at most the configured limit: Javalin only checks a declared Content-Length, so a
     * chunked body is counted here while it is read.
     */
    public static String body(Context ctx) throws IOException {
        Long limit = ctx.attribute(MAX_BODY);
        if (limit == null) return ctx.body();
        byte[] b = ctx.req().getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (b.length > limit) {
            throw new ApiError(ApiError.Kind.TOO_LARGE, "the request body is larger than the limit of " + limit + " bytes",
                    null, "request_too_large");
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    public static String requestId(Context ctx) {
        String id = ctx.attribute(REQUEST_ID);
        return id == null ? "-" : id;
    }

    private void before(Context ctx) {
        String incoming = ctx.header("X-Request-Id");
        String id = incoming != null && incoming.matches("[A-Za-z0-9._:-]{1,64}") ? incoming
                : UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        ctx.attribute(REQUEST_ID, id);
        ctx.attribute(MAX_BODY, config.maxBodyBytes());
        ctx.header("X-Request-Id", id);
        cors(ctx);
        if (ctx.method().name().equals("OPTIONS")) return;
        String length = ctx.header("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > config.maxBodyBytes()) {
                    throw new ApiError(ApiError.Kind.TOO_LARGE, "the request body is larger than the limit of "
                            + config.maxBodyBytes() + " bytes", null, "request_too_large");
                }
            } catch (NumberFormatException ignored) {
                // Jetty rejects a malformed length itself
            }
        }
        if (!config.apiKeys().isEmpty() && !isPublic(ctx.path()) && !authorized(ctx)) {
            throw new ApiError(ApiError.Kind.UNAUTHORIZED, "Invalid API Key", null, "invalid_api_key");
        }
    }

    private static boolean isPublic(String path) {
        return PUBLIC.contains(path) || path.startsWith("/swagger-ui/") || path.startsWith("/redoc/") || path.startsWith("/webjars/")
                || path.startsWith(ChatPage.ASSETS + "/");
    }

    private boolean authorized(Context ctx) {
        String key = ctx.header("x-api-key");
        String auth = ctx.header("Authorization");
        if (key == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) key = auth.substring(7).strip();
        if (key == null) return false;
        byte[] given = key.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (String k : config.apiKeys()) ok |= MessageDigest.isEqual(given, k.getBytes(StandardCharsets.UTF_8));
        return ok;
    }

    private void cors(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null || config.corsOrigins().isEmpty()) return;
        boolean any = config.corsOrigins().contains("*");
        if (!any && !config.corsOrigins().contains(origin)) return;
        ctx.header("Access-Control-Allow-Origin", any ? "*" : origin);
        if (!any) ctx.header("Vary", "Origin");
        ctx.header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
        if (ctx.method().name().equals("OPTIONS")) {
            ctx.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            String asked = ctx.header("Access-Control-Request-Headers");
            ctx.header("Access-Control-Allow-Headers", asked != null ? asked : "Authorization, Content-Type, x-api-key");
            ctx.header("Access-Control-Max-Age", "600");
        }
    }

    private void renderError(Context ctx, ApiError e) {
        ctx.attribute(ERRORED, true);
        String id = requestId(ctx);
        if (e.kind() == ApiError.Kind.INTERNAL && (e.getMessage() == null || !e.getMessage().contains(id))) {
            ApiError withId = new ApiError(e.kind(), (e.getMessage() == null ? "internal error" : e.getMessage())
                    + " (request id " + id + ")", e.param(), e.code());
            e.extra().forEach(withId::with);
            e = withId;
        }
        if (Boolean.TRUE.equals(ctx.attribute(STREAMED))) return; // headers are gone; the stream reported it
        Dialect d = Dialect.of(ctx.method().name(), ctx.path());
        ctx.status(d.status(e.kind()));
        if (e.retryAfterSeconds() >= 0) ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
        try {
            ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(d.body(e)));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** One line per request: method, route, status, tokens, time to first token, tokens/s. */
    private void logRequest(Context ctx, Float ms) {
        GenerationRun run = ctx.attribute(RUN);
        StringBuilder b = new StringBuilder();
        b.append(ctx.method()).append(' ').append(ctx.path()).append(' ').append(ctx.statusCode())
                .append(' ').append(String.format(Locale.ROOT, "%.1fms", ms)).append(" id=").append(requestId(ctx));
        if (run != null) {
            b.append(" prompt_tokens=").append(run.promptTokens()).append(" generated_tokens=").append(run.generatedTokens());
            double ttft = run.timeToFirstTokenSeconds();
            if (ttft >= 0) b.append(String.format(Locale.ROOT, " ttft=%.3fs", ttft));
            b.append(String.format(Locale.ROOT, " tokens/s=%.1f", run.tokensPerSecond()));
            if (Boolean.TRUE.equals(ctx.attribute(CLIENT_GONE))) b.append(" client_gone=cancelled");
        }
        requestLogSink.accept(b.toString());
    }

    /** Stops answering, closes the engine and unmaps the model; safe to call more than once, from any thread. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        app.stop();
        models.close();
    }
}
