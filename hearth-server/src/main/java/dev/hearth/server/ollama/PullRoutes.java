package dev.hearth.server.ollama;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.server.ApiError;
import dev.hearth.server.Fields;
import dev.hearth.server.HearthServer;
import dev.hearth.server.ModelRegistry;
import dev.hearth.server.Routes;
import dev.hearth.server.Sink;
import dev.hearth.server.hub.Catalog;
import dev.hearth.server.hub.HubClient;
import dev.hearth.server.hub.HubException;
import dev.hearth.server.hub.ModelRef;
import dev.hearth.server.hub.ModelStore;
import dev.hearth.server.hub.PullListener;
import io.javalin.http.Context;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Getting models while the server runs: Ollama's {@code POST /api/pull} (a catalog name or a hub reference,
 * downloaded into the cache and served at once) and {@code GET /api/hearth/catalog}, the curated list a web page
 * offers to people who have no model yet.
 */
public final class PullRoutes {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Progress lines at most this often per file (a line per 64 KiB read would be thousands). */
    private static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;

    /** Where pulled models go and the hub they come from. */
    public record Source(ModelStore store, HubClient hub) {}

    private final HearthServer server;
    private final Source source;

    public PullRoutes(HearthServer server, Source source) {
        this.server = server;
        this.source = source;
    }

    public void register(Routes routes) {
        routes.get("/api/hearth/catalog", "Models", "Small chat models that run well on CPUs: [{name, repo, quant, sizeBytes, description}]", this::catalog);
        if (source == null) return; // a server given only files has nowhere to put more
        routes.postStreaming("/api/pull", "Ollama", "Download a model (catalog name or REPO:QUANT) into the cache; NDJSON progress unless stream is false", """
                {"model": "Qwen2.5-0.5B-Instruct", "stream": false}""", this::pull);
    }

    private void catalog(Context ctx) throws Exception {
        ArrayNode a = F.arrayNode();
        for (Catalog.Model m : Catalog.MODELS) {
            ObjectNode o = a.addObject();
            o.put("name", m.name());
            o.put("repo", m.repo());
            o.put("quant", m.quant());
            o.put("sizeBytes", m.sizeBytes());
            o.put("description", m.description());
            o.put("pulled", source != null && source.store().find(m.reference()).isPresent());
        }
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(a));
    }

    private void pull(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String name = Fields.string(body, "model", Fields.string(body, "name", null));
        if (name == null || name.isBlank()) throw ApiError.invalid("model", "model is required: a catalog name or OWNER/REPO:QUANT");
        boolean stream = Fields.bool(body, "stream", true);
        Catalog.Model listed = Catalog.byName(name.strip());
        ModelRef ref;
        try {
            ref = ModelRef.parse(listed != null ? listed.reference() : name);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("model", e.getMessage() + "; or a name from GET /api/hearth/catalog");
        }
        if (!stream) {
            ModelRegistry.Model m = fetch(ref, PullListener.NONE);
            ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(success(m)));
            return;
        }
        Sink sink = new Sink(ctx, Sink.Format.NDJSON);
        try {
            sink.send(success(fetch(ref, new Progress(sink))));
        } catch (ApiError e) {
            sink.send(F.objectNode().put("error", e.getMessage()));
        } catch (UncheckedIOException clientGone) {
            LoggerFactory.getLogger(PullRoutes.class).info("pull of {} stopped: the client went away (the part file is kept to resume)", ref);
        }
    }

    private ModelRegistry.Model fetch(ModelRef ref, PullListener listener) {
        Path path;
        try {
            path = source.store().pull(ref, source.hub(), listener);
        } catch (HubException e) {
            throw new ApiError(switch (e.reason()) {
                case NOT_FOUND -> ApiError.Kind.NOT_FOUND;
                case UNAUTHORIZED -> ApiError.Kind.INVALID;
                case UNREACHABLE -> ApiError.Kind.LOADING;
                case BAD_DOWNLOAD -> ApiError.Kind.INTERNAL;
            }, e.getMessage(), "model", null);
        } catch (IOException e) {
            throw new ApiError(ApiError.Kind.INTERNAL, "pulling " + ref + " failed: " + e.getMessage(), null, null);
        }
        try {
            return server.models().add(path);
        } catch (IOException | RuntimeException e) {
            throw new ApiError(ApiError.Kind.INTERNAL, path + " was downloaded but cannot be read as a model: " + e.getMessage(), null, null);
        }
    }

    private static ObjectNode success(ModelRegistry.Model m) {
        return F.objectNode().put("status", "success").put("model", m.id());
    }

    /** Streams Ollama's progress lines: {status}, {status: downloading, digest, total, completed}. */
    private static final class Progress implements PullListener {
        private final Sink sink;
        private String file;
        private long lastNanos;

        Progress(Sink sink) {
            this.sink = sink;
        }

        @Override
        public void status(String status) {
            send(F.objectNode().put("status", status));
        }

        @Override
        public void progress(String file, String digest, long total, long completed) {
            long now = System.nanoTime();
            boolean fresh = !file.equals(this.file);
            if (!fresh && completed != total && now - lastNanos < PROGRESS_INTERVAL_NANOS) return;
            this.file = file;
            lastNanos = now;
            ObjectNode o = F.objectNode().put("status", "downloading").put("file", file);
            if (digest != null) o.put("digest", digest);
            o.put("total", total).put("completed", completed);
            send(o);
        }

        private void send(ObjectNode o) {
            try {
                sink.send(o);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
