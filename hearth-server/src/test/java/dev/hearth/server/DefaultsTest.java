package dev.hearth.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Without keys or CORS configured; a server still loading; a build without the engine. */
class DefaultsTest extends ServerTestBase {

    @Test
    void noKeysNoCors() throws Exception {
        Reply r = get("/health", "Origin", "https://app.example");
        assertNull(r.header("Access-Control-Allow-Origin"), "CORS is off by default");
        assertEquals(200, post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").status());
    }

    @Test
    void whileLoadingGenerationIs503() throws Exception {
        try (HearthServer loading = new HearthServer(ServerConfig.defaults(), tinyModel(tmp), (m, s) -> fake).start("127.0.0.1", 0)) {
            var c = java.net.http.HttpClient.newHttpClient();
            var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + loading.port() + "/v1/chat/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")).build();
            var r = c.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("unavailable_error"), r.body());
            var h = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + loading.port() + "/health")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(503, h.statusCode());
        }
    }

    @Test
    void withoutTheEngineMetadataRoutesWorkAndGenerationIs501() throws Exception {
        Path dir = tmp.resolve("noengine");
        java.nio.file.Files.createDirectories(dir);
        try (HearthServer s = new HearthServer(ServerConfig.defaults(), tinyModel(dir), GeneratorFactory.UNAVAILABLE).start("127.0.0.1", 0)) {
            s.load();
            var c = java.net.http.HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + s.port();
            var models = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/models")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, models.statusCode());
            var chat = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/chat/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(501, chat.statusCode());
            assertTrue(chat.body().contains("inference engine not available"), chat.body());
            var tags = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/tags")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertTrue(tags.body().contains("tiny-llama.Q8_0:latest"), tags.body());
        }
    }

    @Test
    void closingTheServerClosesTheEngine() {
        server.close();
        assertTrue(fake.closed);
    }
}
