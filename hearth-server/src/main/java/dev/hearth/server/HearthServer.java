package dev.hearth.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.hearth.engine.gguf.GgufFile;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import io.javalin.util.JavalinBindException;

import java.io.IOException;
import java.net.BindException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Hearth's HTTP server. So far it serves {@code GET /health} and {@code GET /v1/models}; the inference APIs come
 * later. Lifecycle: {@link #start} binds the port (health then answers 503 "loading"), {@link #load} opens and
 * validates the model file (health answers "ok"), {@link #close} stops both.
 */
public final class HearthServer implements AutoCloseable {
    private record Loaded(GgufFile file, ModelCard card) {}

    private final Path modelPath; // null: run without a model
    private final Javalin app;
    private volatile Loaded loaded;
    private boolean closed;

    public HearthServer(Path modelPath) {
        this.modelPath = modelPath;
        ObjectMapper mapper = new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
        this.app = Javalin.create(config -> {
            config.useVirtualThreads = true;
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.jsonMapper(new JavalinJackson(mapper, true));
        });
        app.get("/health", this::health);
        app.get("/v1/models", this::models);
        app.error(HttpStatus.NOT_FOUND.getCode(), ctx ->
                error(ctx, HttpStatus.NOT_FOUND, "not_found_error", "no route for " + ctx.method() + " " + ctx.path()));
        app.exception(Exception.class, (e, ctx) ->
                error(ctx, HttpStatus.INTERNAL_SERVER_ERROR, "server_error", e.getClass().getSimpleName() + ": " + e.getMessage()));
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

    /** Opens and validates the model file; until this returns, /health answers 503. */
    public void load() throws IOException {
        if (modelPath == null || loaded != null) return;
        GgufFile f = GgufFile.open(modelPath);
        try {
            loaded = new Loaded(f, ModelCard.of(modelPath, f));
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The port actually bound (useful after starting on port 0). */
    public int port() {
        return app.port();
    }

    /** The loaded model's id, or null before {@link #load} or without a model. */
    public String modelId() {
        Loaded l = loaded;
        return l == null ? null : l.card.id();
    }

    private boolean loading() {
        return modelPath != null && loaded == null;
    }

    private void health(Context ctx) {
        if (loading()) ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("status", "loading"));
        else ctx.json(Map.of("status", "ok"));
    }

    private void models(Context ctx) {
        if (loading()) {
            error(ctx, HttpStatus.SERVICE_UNAVAILABLE, "unavailable_error", "the model is still loading");
            return;
        }
        Loaded l = loaded;
        ctx.json(new ModelList("list", l == null ? List.of() : List.of(l.card)));
    }

    record ModelList(String object, List<ModelCard> data) {}

    /** Errors in OpenAI's shape: {"error": {"message", "type", "code"}}. */
    private static void error(Context ctx, HttpStatus status, String type, String message) {
        ctx.status(status).json(Map.of("error", Map.of("message", message, "type", type, "code", status.getCode())));
    }

    /** Stops answering and unmaps the model; safe to call more than once, from any thread. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        app.stop();
        Loaded l = loaded;
        loaded = null;
        if (l != null) l.file.close();
    }
}
