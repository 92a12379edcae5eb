package dev.hearth.server.ops;

import dev.hearth.server.Fields;
import dev.hearth.server.HearthServer;
import dev.hearth.server.Routes;
import io.javalin.http.Context;

/** The OpenAPI document built from the route table, and the pages that show it (Swagger UI, ReDoc). */
public final class DocsRoutes {
    private final HearthServer server;

    public DocsRoutes(HearthServer server) {
        this.server = server;
    }

    public void register(Routes routes) {
        routes.get("/openapi.json", "Documentation", "This API's OpenAPI 3 document", this::openapi);
    }

    private void openapi(Context ctx) throws Exception {
        ctx.contentType("application/json").result(Fields.JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(OpenApi.document(server.routes().table(), !server.config().apiKeys().isEmpty())));
    }
}
