package dev.hearth.server.ops;

import dev.hearth.server.Fields;
import dev.hearth.server.HearthServer;
import dev.hearth.server.Routes;
import dev.hearth.server.WebJars;
import io.javalin.http.Context;

/**
 * The OpenAPI document built from the route table, and the pages that show it: Swagger UI at /docs and
 * /swagger-ui, ReDoc at /redoc. Their scripts come from WebJars on the classpath (served under /webjars), so the
 * pages work offline.
 */
public final class DocsRoutes {
    private final HearthServer server;

    public DocsRoutes(HearthServer server) {
        this.server = server;
    }

    public void register(Routes routes) {
        routes.get("/openapi.json", "Documentation", "This API's OpenAPI 3 document", this::openapi);
        String swagger = swaggerPage(WebJars.version("org.webjars", "swagger-ui"));
        String redoc = redocPage(WebJars.version("org.webjars.npm", "redoc"));
        routes.get("/docs", "Documentation", "Swagger UI", ctx -> ctx.html(swagger));
        routes.get("/swagger-ui", "Documentation", "Swagger UI", ctx -> ctx.html(swagger));
        routes.get("/redoc", "Documentation", "ReDoc", ctx -> ctx.html(redoc));
    }

    private void openapi(Context ctx) throws Exception {
        ctx.contentType("application/json").result(Fields.JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(OpenApi.document(server.routes().table(), !server.config().apiKeys().isEmpty(), server.modelId())));
    }

    private static String swaggerPage(String version) {
        String base = "/webjars/swagger-ui/" + version;
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Hearth API</title>
                <link rel="stylesheet" href="%1$s/swagger-ui.css"></head>
                <body><div id="swagger-ui"></div>
                <script src="%1$s/swagger-ui-bundle.js"></script>
                <script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});</script>
                </body></html>
                """.formatted(base);
    }

    private static String redocPage(String version) {
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Hearth API</title>
                <meta name="viewport" content="width=device-width, initial-scale=1"></head>
                <body><redoc spec-url="/openapi.json"></redoc>
                <script src="/webjars/redoc/%s/bundles/redoc.standalone.js"></script>
                </body></html>
                """.formatted(version);
    }
}
