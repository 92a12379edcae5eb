package dev.hearth.server;

import io.javalin.Javalin;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

import java.util.ArrayList;
import java.util.List;

/**
 * Registers routes with Javalin and remembers them, so the OpenAPI document is built from the same table the
 * server answers from (it cannot drift from the code).
 */
public final class Routes {
    /** One route: {@code path} in Javalin's syntax ({@code <id>} for a parameter that may hold slashes). */
    public record Route(HandlerType method, String path, String tag, String summary, boolean streams, String example) {}

    private final Javalin app;
    private final List<Route> table = new ArrayList<>();

    Routes(Javalin app) {
        this.app = app;
    }

    public void get(String path, String tag, String summary, Handler handler) {
        add(HandlerType.GET, path, tag, summary, false, null, handler);
    }

    /** HEAD answered like GET (Ollama's clients probe {@code HEAD /}); not listed in the OpenAPI document twice. */
    public void head(String path, Handler handler) {
        app.addHttpHandler(HandlerType.HEAD, path, handler);
    }

    /** {@code example}: a request body shown in the API description (and tried by its test). */
    public void post(String path, String tag, String summary, String example, Handler handler) {
        add(HandlerType.POST, path, tag, summary, false, example, handler);
    }

    /** A POST route that may answer with a stream (SSE or NDJSON) as well as JSON. */
    public void postStreaming(String path, String tag, String summary, String example, Handler handler) {
        add(HandlerType.POST, path, tag, summary, true, example, handler);
    }

    private void add(HandlerType method, String path, String tag, String summary, boolean streams, String example,
                     Handler handler) {
        app.addHttpHandler(method, path, handler);
        table.add(new Route(method, path, tag, summary, streams, example));
    }

    public List<Route> table() {
        return List.copyOf(table);
    }
}
