package dev.hearth.server;

import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** API keys (401 in each dialect's envelope), public routes, CORS allow-list, body size limit. */
class SecurityTest extends ServerTestBase {
    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @Override
    ServerConfig config() {
        return ServerConfig.defaults().withApiKeys(Set.of("sekrit", "other")).withCorsOrigins(List.of("https://app.example"))
                .withMaxBodyBytes(2048);
    }

    @Test
    void keysAreRequiredOnGenerationRoutes() throws Exception {
        Reply none = post("/v1/chat/completions", CHAT);
        assertEquals(401, none.status());
        assertEquals("authentication_error", none.json().path("error").path("type").asText());
        assertEquals("invalid_api_key", none.json().path("error").path("code").asText());
        assertEquals(401, post("/v1/chat/completions", CHAT, "Authorization", "Bearer wrong").status());
        assertEquals(200, post("/v1/chat/completions", CHAT, "Authorization", "Bearer sekrit").status());
        assertEquals(200, post("/v1/chat/completions", CHAT, "Authorization", "bearer other").status());
        assertEquals(200, post("/v1/chat/completions", CHAT, "x-api-key", "sekrit").status());
        assertEquals(1 + 1 + 1, fake.requests.size());
    }

    @Test
    void eachDialectAnswers401InItsOwnShape() throws Exception {
        Reply ollama = post("/api/generate", "{\"model\":\"tiny-llama.Q8_0\",\"prompt\":\"x\"}");
        assertEquals(401, ollama.status());
        assertTrue(ollama.json().path("error").isTextual());
        Reply tgi = post("/generate", "{\"inputs\":\"x\"}");
        assertEquals(401, tgi.status());
        assertEquals("authentication", tgi.json().path("error_type").asText());
        assertEquals(401, get("/props").status());
        assertEquals(401, get("/metrics").status());
    }

    @Test
    void healthAndModelsArePublic() throws Exception {
        assertEquals(200, get("/health").status());
        assertEquals(200, get("/v1/models").status());
        assertEquals(200, get("/openapi.json").status());
    }

    @Test
    void corsAllowsOnlyListedOrigins() throws Exception {
        Reply ok = get("/health", "Origin", "https://app.example");
        assertEquals("https://app.example", ok.header("Access-Control-Allow-Origin"));
        Reply other = get("/health", "Origin", "https://evil.example");
        assertNull(other.header("Access-Control-Allow-Origin"));
        HttpResponse<String> pre = http.send(HttpRequest.newBuilder(uri("/v1/chat/completions"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.example").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type").build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(pre.statusCode() == 204 || pre.statusCode() == 200, "preflight needs no key: " + pre.statusCode());
        assertEquals("https://app.example", pre.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertTrue(pre.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"));
    }

    @Test
    void oversizedBodiesAre413() throws Exception {
        String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(4000) + "\"}]}";
        Reply r = post("/v1/chat/completions", big, "Authorization", "Bearer sekrit");
        assertEquals(413, r.status());
        assertEquals("invalid_request_error", r.json().path("error").path("type").asText());
        assertTrue(r.json().path("error").path("message").asText().contains("2048"));
        HttpResponse<String> c = http.send(HttpRequest.newBuilder(uri("/generate")).header("Authorization", "Bearer sekrit")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                        ("{\"inputs\":\"" + "y".repeat(4000) + "\"}").getBytes()))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, c.statusCode(), "a chunked body without Content-Length is limited too: " + c.body());
        assertTrue(fake.requests.isEmpty());
    }
}
