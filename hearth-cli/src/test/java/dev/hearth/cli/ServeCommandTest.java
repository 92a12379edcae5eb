package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth serve} wired through the command line: a real server on an ephemeral loopback port. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    private Path model() throws Exception {
        Path file = tmp.resolve("unit-model.gguf");
        new GgufWriter().putString("general.architecture", "llama").addTensor("w", new float[32], 32).write(file);
        return file;
    }

    @Test
    void servesHealthAndModelsUntilStopped() throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
        String model = model().toString();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> cl.execute("serve", "-m", model, "--host", "127.0.0.1", "--port", "0"));

        // the command prints its address once the model is loaded
        Matcher m = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+) ").matcher("");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!m.reset(out.toString()).find()) {
            assertFalse(exit.isDone(), "serve ended early: " + err);
            assertTrue(System.nanoTime() < deadline, "serve did not report its address; stderr: " + err);
            Thread.sleep(20);
        }
        assertTrue(out.toString().contains("model unit-model"), out.toString());
        int port = Integer.parseInt(m.group(1));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertEquals("ok", new ObjectMapper().readTree(health.body()).path("status").asText());
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode data = new ObjectMapper().readTree(models.body()).path("data");
            assertEquals("unit-model", data.get(0).path("id").asText());
            assertEquals(32, data.get(0).path("meta").path("n_params").asLong());
        } finally {
            serve.stop();
        }
        assertEquals(0, exit.get(60, TimeUnit.SECONDS));
        assertEquals("", err.toString());
    }

    @Test
    void aDamagedModelFailsAtStartWithOneLine() throws Exception {
        byte[] b = Files.readAllBytes(model());
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(b, b.length - 7));
        Cli.Run r = Cli.run("serve", "-m", cut.toString(), "--port", "0");
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.startsWith("hearth: " + cut + ": "), err);
        assertTrue(err.contains("past the end"), err);
    }

    @Test
    void aMissingModelFailsAtStartWithOneLine() {
        Cli.Run r = Cli.run("serve", "-m", tmp.resolve("nope.gguf").toString(), "--port", "0");
        assertEquals(1, r.exit());
        assertEquals("hearth: no such file: " + tmp.resolve("nope.gguf"), r.err().strip());
    }
}
