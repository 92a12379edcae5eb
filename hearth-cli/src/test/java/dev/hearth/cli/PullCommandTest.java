package dev.hearth.cli;

import io.javalin.Javalin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pull}, {@code list}, {@code rm} and {@code -m} resolution against a small stand-in for the hub (its
 * listing, and resolve redirecting to the bytes; resume and checksums are tested in hearth-server's ModelStoreTest).
 */
class PullCommandTest {
    @TempDir
    Path tmp;
    Javalin hub;
    byte[] model;

    @BeforeEach
    void startHub() throws Exception {
        model = Files.readAllBytes(CliFixtures.dir().resolve("models/llama-spm-q8_0.gguf"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
        hub = Javalin.create(c -> c.showJavalinBanner = false)
                .get("/api/models/acme/Spm-GGUF", ctx -> ctx.json(Map.of("id", "acme/Spm-GGUF", "siblings", List.of(
                        Map.of("rfilename", "README.md", "size", 5),
                        Map.of("rfilename", "Spm-Q8_0.gguf", "size", model.length,
                                "lfs", Map.of("sha256", sha, "size", model.length, "pointerSize", 130))))))
                .get("/acme/Spm-GGUF/resolve/main/Spm-Q8_0.gguf", ctx -> ctx.redirect("/blobs/" + sha, io.javalin.http.HttpStatus.FOUND))
                .get("/blobs/" + sha, ctx -> ctx.result(model))
                .start("127.0.0.1", 0);
    }

    @AfterEach
    void stopHub() {
        hub.stop();
    }

    String[] with(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 4);
        all[args.length] = "--cache-dir";
        all[args.length + 1] = tmp.resolve("cache").toString();
        all[args.length + 2] = "--hf-endpoint";
        all[args.length + 3] = "http://127.0.0.1:" + hub.port();
        return all;
    }

    @Test
    void pullListRm() throws Exception {
        Cli.Run pull = Cli.run(with("pull", "acme/Spm-GGUF:q8_0"));
        assertEquals(0, pull.exit(), pull.err());
        Path file = tmp.resolve("cache/acme/Spm-GGUF/Spm-Q8_0.gguf");
        assertEquals("pulled Spm-Q8_0 (" + Human.bytes(model.length) + ") to " + file, pull.out().strip());
        assertTrue(Files.exists(file));
        assertTrue(pull.err().contains("pulling Spm-Q8_0.gguf (" + Human.bytes(model.length) + ")"), pull.err());
        assertTrue(pull.err().contains("100% [========================] "), pull.err());
        assertTrue(pull.err().contains("verifying sha256 digest"), pull.err());
        assertFalse(pull.err().contains("\r"), "plain lines when stderr is not a terminal");

        Cli.Run list = Cli.run(with("list"));
        assertEquals(0, list.exit(), list.err());
        String row = list.out().lines().filter(l -> l.startsWith("Spm-Q8_0 ")).findFirst().orElseThrow(() -> new AssertionError(list.out()));
        assertTrue(row.contains("acme/Spm-GGUF:Q8_0") && row.contains(file.toString()), row);

        Cli.Run again = Cli.run(with("rm", "acme/Spm-GGUF:Q8_0"));
        assertEquals(0, again.exit(), again.err());
        assertEquals("deleted Spm-Q8_0 (" + Human.bytes(model.length) + ")", again.out().strip());
        assertFalse(Files.exists(file));
        Cli.Run gone = Cli.run(with("rm", "Spm-Q8_0"));
        assertEquals(1, gone.exit());
        assertEquals("hearth: no model Spm-Q8_0 in " + tmp.resolve("cache") + " (./hearth list shows what is there)", gone.err().strip());
        assertTrue(Cli.run(with("list")).out().startsWith("no models in "));
    }

    @Test
    void anUnknownQuantIsOneLineListingTheOthers() {
        Cli.Run r = Cli.run(with("pull", "acme/Spm-GGUF:Q4_K_M"));
        assertEquals(1, r.exit());
        assertTrue(r.err().strip().endsWith("\nhearth: no Q4_K_M file in acme/Spm-GGUF; available quantizations: Q8_0"), r.err());
        Cli.Run bad = Cli.run(with("pull", "not-a-reference"));
        assertEquals(1, bad.exit());
        assertTrue(bad.err().startsWith("hearth: not a model reference: not-a-reference"), bad.err());
    }

    @Test
    void dashMTakesAReferenceToPullThenTheCachedName() {
        Cli.Run first = Cli.run(with("generate", "-m", "acme/Spm-GGUF:Q8_0", "-p", "Hello", "-n", "2", "--temp", "0"));
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.err().contains("pulling acme/Spm-GGUF:Q8_0 from http://127.0.0.1:" + hub.port()), first.err());
        Cli.Run cached = Cli.run(with("generate", "-m", "Spm-Q8_0", "-p", "Hello", "-n", "2", "--temp", "0"));
        assertEquals(0, cached.exit(), cached.err());
        assertFalse(cached.err().contains("pulling"), cached.err());
        assertEquals(first.out(), cached.out(), "the same model, greedy: the same text");
        Cli.Run bench = Cli.run(with("bench", "-m", "acme/Spm-GGUF", "-p", "0", "-n", "1", "-r", "1"));
        assertEquals(0, bench.exit(), bench.err());
        Cli.Run unknown = Cli.run(with("generate", "-m", "no-such-model", "-p", "x"));
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().startsWith("hearth: no model file or cached model named no-such-model"), unknown.err());
    }

    @Test
    void theCatalogIsListed() {
        Cli.Run r = Cli.run("list", "--catalog");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Qwen2.5-0.5B-Instruct") && r.out().contains("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"), r.out());
    }

    @Test
    void serveFlagsAreChecked() {
        Cli.Run r = Cli.run(with("serve", "--port", "0", "--keep-alive", "soon"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--keep-alive"), r.err());
        Cli.Run m = Cli.run(with("serve", "--port", "0", "--max-memory", "200%"));
        assertEquals(2, m.exit(), m.err());
        assertTrue(m.err().contains("--max-memory"), m.err());
    }

    @Test
    void serveWithoutAModelPullsOneThroughTheApiAndServesIt() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        picocli.CommandLine cl = Main.commandLine(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
        ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
        java.util.concurrent.CompletableFuture<Integer> exit = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> cl.execute(with("serve", "--host", "127.0.0.1", "--port", "0", "--keep-alive=-1")));
        java.util.regex.Matcher port = java.util.regex.Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+) ").matcher("");
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!port.reset(out.toString()).find()) {
            assertFalse(exit.isDone(), "serve ended early: " + err);
            assertTrue(System.nanoTime() < deadline, "serve did not report its address: " + err);
            Thread.sleep(20);
        }
        assertTrue(out.toString().contains("serving no model (get one: ./hearth pull"), out.toString());
        String base = "http://127.0.0.1:" + port.group(1);
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            java.net.http.HttpResponse<String> pulled = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/pull"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\": \"acme/Spm-GGUF\", \"stream\": false}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, pulled.statusCode(), pulled.body());
            assertEquals("{\"status\":\"success\",\"model\":\"Spm-Q8_0\"}", pulled.body());
            java.net.http.HttpResponse<String> reply = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/generate"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\": \"Spm-Q8_0\", \"prompt\": \"Hi\", \"stream\": false, \"options\": {\"num_predict\": 2}}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, reply.statusCode(), reply.body());
            assertTrue(reply.body().contains("\"done\":true") && reply.body().contains("\"model\":\"Spm-Q8_0\""), reply.body());
        } finally {
            serve.stop();
        }
        assertEquals(0, exit.get(60, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(Files.exists(tmp.resolve("cache/acme/Spm-GGUF/Spm-Q8_0.gguf")));
    }

    @Test
    void onATerminalTheBarIsRedrawnInPlaceWithSpeedAndTimeLeft() throws Exception {
        java.io.StringWriter w = new java.io.StringWriter();
        ProgressBar bar = new ProgressBar(new java.io.PrintWriter(w, true), true);
        bar.progress("f.gguf", null, 4 << 20, 0);
        Thread.sleep(150); // a measurable speed
        bar.progress("f.gguf", null, 4 << 20, 1 << 20);
        bar.progress("f.gguf", null, 4 << 20, 4 << 20);
        bar.end();
        String s = w.toString();
        assertTrue(s.startsWith("\r  0% ["), s);
        assertTrue(s.contains("\r 25% [======                  ] 1.00 MiB / 4.00 MiB  "), s);
        assertTrue(s.contains("/s  ETA 0:"), s);
        assertTrue(s.contains("\r100% [========================] 4.00 MiB / 4.00 MiB"), s);
        assertTrue(s.endsWith("\n"), s);
    }
}
