package dev.hearth.server;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Aborted streams cancel their generation; several streams run at once; keep-alive survives a stream. */
class StreamLifecycleTest extends ServerTestBase {
    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}";

    @Test
    void aClientThatGoesAwayCancelsItsGeneration() throws Exception {
        fake.reply = "x".repeat(200);
        fake.tokenDelayMillis = 20;
        HttpRequest req = HttpRequest.newBuilder(uri("/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        int events = 0;
        while (events < 3) if (in.readLine().startsWith("data:")) events++;
        in.close(); // aborts the exchange: the connection is closed
        await("the generation is cancelled", () -> !fake.submitted.isEmpty() && fake.submitted.getFirst().wasCancelled());
        await("the processing gauge is back to 0", () -> server.metrics().requestsProcessing() == 0);
        assertTrue(get("/metrics").body().contains("hearth_request_cancellations_total 1"));
        // and the server goes on serving others
        fake.reply = "ok";
        fake.tokenDelayMillis = 0;
        assertEquals("ok", post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .json().path("choices").get(0).path("message").path("content").asText());
    }

    @Test
    void ollamaAndTgiStreamsAreCancelledToo() throws Exception {
        fake.reply = "y".repeat(200);
        fake.tokenDelayMillis = 20;
        String[][] routes = {{"/api/generate", "{\"model\":\"tiny-llama.Q8_0\",\"prompt\":\"Hi\"}"},
                {"/generate_stream", "{\"inputs\":\"Hi\"}"}};
        for (int i = 0; i < routes.length; i++) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                byte[] body = routes[i][1].getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("POST " + routes[i][0] + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                int lines = 0;
                while (lines < 3) if (in.readLine().contains("\"y\"")) lines++;
            }
            int k = i;
            await("generation " + k + " is cancelled", () -> fake.submitted.size() > k && fake.submitted.get(k).wasCancelled());
        }
    }

    @Test
    void aClientThatLeavesWhileTheStreamIsQuietCancelsItsGeneration() throws Exception {
        server.close(); // pings so rare that only watching the connection can notice the client leave
        server = new HearthServer(config().withPingMillis(600_000), tinyModel(tmp.resolve("..").resolve(tmp.getFileName())),
                (m, s) -> fake).start("127.0.0.1", 0);
        server.load();
        fake.promptDelayMillis = 600_000;
        for (String[] route : new String[][]{{"/v1/chat/completions", CHAT}, {"/generate_stream", "{\"inputs\":\"Hi\"}"}}) {
            int k = fake.submitted.size();
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                send(s.getOutputStream(), route[0], route[1]);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("HTTP/1.1 200 OK", in.readLine()); // the headers come at once, then nothing: the prompt
                await("the generation has started", () -> fake.submitted.size() > k);
            }
            await(route[0] + " is cancelled", () -> fake.submitted.get(k).wasCancelled());
        }
    }

    @Test
    void aClientThatLeavesANonStreamingRequestCancelsItsGeneration() throws Exception {
        fake.reply = "z".repeat(200);
        fake.tokenDelayMillis = 20;
        String[][] routes = {{"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"},
                {"/v1/completions", "{\"prompt\":\"Hi\"}"},
                {"/api/generate", "{\"model\":\"tiny-llama.Q8_0\",\"prompt\":\"Hi\",\"stream\":false}"},
                {"/generate", "{\"inputs\":\"Hi\"}"}, {"/predict", "{\"prompt\":\"Hi\"}"}};
        for (int i = 0; i < routes.length; i++) {
            int k = i;
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                byte[] body = routes[i][1].getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("POST " + routes[i][0] + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                await("generation " + k + " has started", () -> fake.submitted.size() > k);
            } // closed before any response byte
            await("generation " + k + " (" + routes[k][0] + ") is cancelled", () -> fake.submitted.get(k).wasCancelled());
        }
        await("the processing gauge is back to 0", () -> server.metrics().requestsProcessing() == 0);
        assertTrue(get("/metrics").body().contains("hearth_request_cancellations_total " + routes.length));
        fake.reply = "ok";
        fake.tokenDelayMillis = 0;
        assertEquals("ok", post("/predict", "{\"prompt\":\"Hi\"}").json().path("response").asText());
    }

    @Test
    void aPipelinedRequestClosesTheConnectionAfterTheCurrentResponse() throws Exception {
        fake.reply = "p".repeat(40);
        fake.tokenDelayMillis = 10;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
            send(s.getOutputStream(), "/v1/chat/completions", chat);
            await("the generation has started", () -> !fake.submitted.isEmpty());
            send(s.getOutputStream(), "/v1/chat/completions", chat); // sent before the first answer: pipelined
            String first = readLengthResponse(s.getInputStream());
            assertTrue(first.startsWith("HTTP/1.1 200"), first);
            assertTrue(first.toLowerCase().contains("connection: close"), first);
            assertEquals(fake.reply, parse(first.substring(first.indexOf("\r\n\r\n") + 4))
                    .path("choices").get(0).path("message").path("content").asText());
            assertEquals(-1, s.getInputStream().read()); // closed: the client resends on a new connection
        }
        assertFalse(fake.submitted.getFirst().wasCancelled());
    }

    @Test
    void aNonStreamingClientThatStaysIsServedInFull() throws Exception {
        fake.reply = "w".repeat(30);
        fake.tokenDelayMillis = 10; // long enough for the connection to be looked at several times
        Reply r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertEquals("w".repeat(30), r.json().path("choices").get(0).path("message").path("content").asText());
        assertFalse(fake.submitted.getFirst().wasCancelled());
    }

    @Test
    void severalStreamsAtOnce() throws Exception {
        fake.tokenDelayMillis = 5;
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String route = i % 3 == 0 ? "/v1/chat/completions" : i % 3 == 1 ? "/api/chat" : "/generate_stream";
            String body = i % 3 == 0 ? CHAT : i % 3 == 1
                    ? "{\"model\":\"tiny-llama.Q8_0\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}" : "{\"inputs\":\"Hi\"}";
            all.add(http.sendAsync(HttpRequest.newBuilder(uri(route)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < all.size(); i++) {
            HttpResponse<String> r = all.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            StringBuilder text = new StringBuilder();
            if (i % 3 == 1) {
                for (String line : r.body().split("\n")) text.append(parse(line).path("message").path("content").asText());
            } else {
                for (String d : sseData(r.body())) {
                    if (d.equals("[DONE]")) continue;
                    var j = parse(d);
                    text.append(i % 3 == 0 ? j.path("choices").path(0).path("delta").path("content").asText("")
                            : j.path("token").path("text").asText());
                }
            }
            assertEquals("Hello world", text.toString(), "stream " + i);
        }
        assertEquals(6, fake.submitted.size());
    }

    @Test
    void aKeepAliveConnectionServesMoreRequestsAfterAStream() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            send(out, "/v1/chat/completions", CHAT);
            String first = readChunkedResponse(in);
            assertTrue(first.startsWith("HTTP/1.1 200"), first);
            assertTrue(first.contains("data: [DONE]"), first);
            // the same connection then answers a non-streamed generation, and another stream
            send(out, "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
            String second = readLengthResponse(in);
            assertTrue(second.startsWith("HTTP/1.1 200"), second);
            assertEquals(fake.reply, parse(second.substring(second.indexOf("\r\n\r\n") + 4))
                    .path("choices").get(0).path("message").path("content").asText());
            send(out, "/api/generate", "{\"model\":\"tiny-llama.Q8_0\",\"prompt\":\"Hi\"}");
            String third = readChunkedResponse(in);
            assertTrue(third.startsWith("HTTP/1.1 200") && third.contains("\"done\":true"), third);
        }
        assertEquals(3, fake.submitted.size());
    }

    private static void send(OutputStream out, String path, String json) throws Exception {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /** Reads one response with a Content-Length body. */
    private static String readLengthResponse(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        int c;
        while (!head.toString().endsWith("\r\n\r\n") && (c = in.read()) >= 0) head.append((char) c);
        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        assertTrue(m.find(), head.toString());
        return head + new String(in.readNBytes(Integer.parseInt(m.group(1))), StandardCharsets.UTF_8);
    }

    /** Reads one response whose body is chunked, up to its final zero-length chunk. */
    private static String readChunkedResponse(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() > 5 && b.toString().endsWith("\r\n0\r\n\r\n")) break;
        }
        return b.toString();
    }
}
