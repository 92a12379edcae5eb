package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.hearth.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth bench --server}: the load generator against a real server on a fixture model (no timing checks). */
class BenchServerTest {
    @TempDir
    static Path tmp;

    static ServeCommand serve;
    static CompletableFuture<Integer> exit;
    static String base;

    @BeforeAll
    static void startServer() throws Exception {
        Path file = tmp.resolve("load-model.gguf");
        Files.copy(CliFixtures.dir().resolve("models/llama-spm-q8_0.gguf"), file);
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        serve = cl.getSubcommands().get("serve").getCommand();
        exit = CompletableFuture.supplyAsync(() -> cl.execute("serve", "-m", file.toString(), "--host", "127.0.0.1",
                "--port", "0", "--api-key", "sekret"));
        Matcher m = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+) ").matcher("");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!m.reset(out.toString()).find()) {
            assertFalse(exit.isDone(), "serve ended early: " + err);
            assertTrue(System.nanoTime() < deadline, "serve did not report its address; stderr: " + err);
            Thread.sleep(20);
        }
        base = "http://127.0.0.1:" + m.group(1);
    }

    @AfterAll
    static void stopServer() throws Exception {
        serve.stop();
        assertEquals(0, exit.get(60, TimeUnit.SECONDS));
    }

    @Test
    void jsonReportCountsEveryRequestAndToken() throws Exception {
        Cli.Run r = run("bench", "--server", base, "--api-key", "sekret", "--concurrency", "2", "--requests", "5",
                "--prompt-tokens", "24", "--max-tokens", "6", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(5, j.path("succeeded").asInt(), r.out());
        assertEquals(0, j.path("failed").asInt());
        assertEquals(30, j.path("generated_tokens").asInt(), "ignore_eos: exactly max_tokens each");
        assertEquals("load-model", j.path("model").asText());
        assertEquals(5, j.path("ttft_ms").path("count").asInt());
        assertEquals(5, j.path("latency_ms").path("count").asInt());
        assertTrue(j.path("itl_ms").path("count").asInt() > 0, r.out());
        assertTrue(j.path("ttft_ms").path("p50").asDouble() <= j.path("ttft_ms").path("p99").asDouble());
        assertTrue(j.path("tokens_per_second").asDouble() > 0);
        // the prompts were sized with /tokenize: the server's count (template included) is at least the target
        assertTrue(j.path("prompt_tokens_mean").asDouble() >= 24, r.out());
        assertTrue(j.path("errors").isEmpty(), r.out());
    }

    @Test
    void failuresAreReportedByStatus() throws Exception {
        Cli.Run r = run("bench", "--server", base, "--api-key", "wrong", "--requests", "3", "--max-tokens", "4", "--json");
        assertEquals(1, r.exit(), "nothing succeeded");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(0, j.path("succeeded").asInt());
        assertEquals(3, j.path("errors").path("401").asInt(), r.out());
        assertEquals(0, j.path("ttft_ms").path("count").asInt());
        assertTrue(j.path("ttft_ms").path("p50").isNull());

        Cli.Run text = run("bench", "--server", base, "--api-key", "sekret", "--requests", "2", "--max-tokens", "3");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("2 ok, 0 failed"), text.out());
        assertTrue(text.out().contains("time to first token ms"), text.out());
    }

    @Test
    void anUnreachableServerCountsAsIoErrors() throws Exception {
        Cli.Run r = run("bench", "--server", "http://127.0.0.1:1", "--requests", "2", "--max-tokens", "2", "--json");
        assertEquals(1, r.exit());
        assertEquals(2, new ObjectMapper().readTree(r.out()).path("errors").path("io").asInt(), r.out());
    }

    @Test
    void refusesBadOptions() {
        Cli.Run r = run("bench", "--requests", "2");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("either -m MODEL or --server URL"), r.err());
        assertEquals(2, run("bench", "--server", "ftp://x", "--requests", "1").exit());
        assertEquals(2, run("bench", "--server", base, "--concurrency", "0").exit());
        Cli.Run threads = run("bench", "-m", CliFixtures.dir().resolve("models/llama-spm-q8_0.gguf").toString(), "-t", "-1");
        assertEquals(2, threads.exit());
        assertTrue(threads.err().contains("-t must be >= 0"), threads.err());
    }
}
