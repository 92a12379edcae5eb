package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** One log line per request: method, route, status, request id, tokens, time to first token, tokens/s. */
class RequestLogTest extends ServerTestBase {
    final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeEach
    void listen() {
        server.requestLogSink = lines::add;
    }

    private String lineFor(String id) throws InterruptedException {
        await("a log line for " + id, () -> lines.stream().anyMatch(l -> l.contains(" id=" + id)));
        return lines.stream().filter(l -> l.contains(" id=" + id)).findFirst().orElseThrow();
    }

    @Test
    void aGenerationLogsItsTokensAndSpeed() throws Exception {
        Reply r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "X-Request-Id", "log-1");
        JsonNode usage = r.json().path("usage");
        String line = lineFor("log-1");
        assertTrue(line.startsWith("POST /v1/chat/completions 200 "), line);
        assertTrue(line.contains(" prompt_tokens=" + usage.path("prompt_tokens").asInt()
                + " generated_tokens=" + usage.path("completion_tokens").asInt()), line);
        Matcher m = Pattern.compile(" ttft=([0-9.]+)s tokens/s=([0-9.]+)").matcher(line);
        assertTrue(m.find(), line);
    }

    @Test
    void aStreamAndAnErrorAreLoggedToo() throws Exception {
        post("/generate_stream", "{\"inputs\":\"Hi\"}", "X-Request-Id", "log-2");
        // the fake makes one token per byte
        assertTrue(lineFor("log-2").matches("POST /generate_stream 200 .* prompt_tokens=" + "Hi".length()
                + " generated_tokens=" + fake.reply.length() + " ttft=.*"), lineFor("log-2"));
        get("/nowhere", "X-Request-Id", "log-3");
        assertTrue(lineFor("log-3").startsWith("GET /nowhere 404 "), lineFor("log-3"));
        assertFalse(lineFor("log-3").contains("tokens"), lineFor("log-3"));
    }

    @Test
    void aClientThatLeftIsLoggedAs499() throws Exception {
        fake.reply = "z".repeat(200);
        fake.tokenDelayMillis = 20;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            byte[] body = "{\"prompt\":\"Hi\"}".getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("POST /predict HTTP/1.1\r\nHost: x\r\nX-Request-Id: log-4\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            await("the generation has started", () -> !fake.submitted.isEmpty());
        }
        String line = lineFor("log-4");
        assertTrue(line.startsWith("POST /predict 499 ") && line.endsWith(" client_gone=cancelled"), line);
    }
}
