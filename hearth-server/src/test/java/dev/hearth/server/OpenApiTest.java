package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** /openapi.json validates and lists the routes the server answers; the doc pages load their scripts offline. */
class OpenApiTest extends ServerTestBase {

    @Test
    void theDocumentValidatesAndMatchesTheRouteTable() throws Exception {
        Reply r = get("/openapi.json");
        assertEquals(200, r.status());
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(r.body());
        assertNotNull(parsed.getOpenAPI(), String.valueOf(parsed.getMessages()));
        assertEquals(java.util.List.of(), parsed.getMessages(), "no validation messages");
        var paths = parsed.getOpenAPI().getPaths();
        for (Routes.Route route : server.routes().table()) {
            String p = route.path().replaceAll("<(\\w+)>", "{$1}");
            assertNotNull(paths.get(p), p + " missing");
        }
        assertNotNull(paths.get("/v1/chat/completions").getPost());
        assertNotNull(paths.get("/api/chat").getPost());
        assertNotNull(paths.get("/generate_stream").getPost());
        assertNotNull(paths.get("/v1/models/{id}").getGet().getParameters());
        JsonNode doc = r.json();
        assertTrue(doc.path("paths").path("/v1/chat/completions").path("post").path("responses").path("200")
                .path("content").has("text/event-stream"));
        assertTrue(doc.path("paths").path("/api/chat").path("post").path("responses").path("200")
                .path("content").has("application/x-ndjson"));
    }

    @Test
    void everyDocumentedExampleIsAnsweredWith200() throws Exception {
        JsonNode paths = get("/openapi.json").json().path("paths");
        int tried = 0;
        for (var it = paths.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode example = e.getValue().path("post").path("requestBody").path("content").path("application/json").path("example");
            if (example.isMissingNode()) continue;
            Reply r = post(e.getKey(), example.toString());
            assertEquals(200, r.status(), e.getKey() + " <- " + example + ": " + r.body());
            tried++;
        }
        assertTrue(tried >= 13, "examples tried: " + tried);
    }

    @Test
    void swaggerUiAndRedocAreServedFromTheJar() throws Exception {
        for (String page : new String[]{"/docs", "/swagger-ui", "/redoc"}) {
            Reply r = get(page);
            assertEquals(200, r.status(), page);
            assertTrue(r.header("content-type").startsWith("text/html"));
            assertTrue(r.body().contains("/openapi.json"), page);
            Matcher m = Pattern.compile("src=\"(/webjars/[^\"]+\\.js)\"").matcher(r.body());
            assertTrue(m.find(), page + " has a script");
            do {
                Reply js = get(m.group(1));
                assertEquals(200, js.status(), m.group(1));
                assertTrue(js.body().length() > 100_000, m.group(1) + " is the real bundle");
            } while (m.find());
        }
        Matcher css = Pattern.compile("href=\"(/webjars/[^\"]+\\.css)\"").matcher(get("/docs").body());
        assertTrue(css.find());
        assertEquals(200, get(css.group(1)).status());
    }
}
