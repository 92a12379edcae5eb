package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The container image tarball Jib built (profile "image"): its configuration (user, entrypoint, port, environment,
 * volume, health check) and its file tree, and, where this machine allows a chroot, the image actually serving.
 */
class ImageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path tar;
    private static JsonNode manifest, config;

    @BeforeAll
    static void read() throws IOException {
        tar = Path.of(System.getProperty("hearth.imageTar", "target/hearth-image.tar"));
        assertTrue(Files.isRegularFile(tar), "no image tarball at " + tar + " (built by -Pimage)");
        Map<String, byte[]> top = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tar)))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().endsWith(".json")) top.put(e.getName(), in.readAllBytes());
            }
        }
        manifest = JSON.readTree(top.get("manifest.json")).get(0);
        config = JSON.readTree(top.get(manifest.path("Config").asText()));
    }

    @Test
    void isTaggedAsTheManifestsExpect() {
        List<String> tags = new ArrayList<>();
        manifest.path("RepoTags").forEach(t -> tags.add(t.asText()));
        assertTrue(tags.contains(System.getProperty("hearth.image")), tags.toString());
    }

    @Test
    void runsHearthServeAsANonRootUser() {
        JsonNode c = config.path("config");
        assertEquals("10001:10001", c.path("User").asText());
        List<String> entrypoint = strings(c.path("Entrypoint"));
        assertEquals("java", entrypoint.getFirst());
        assertTrue(entrypoint.contains("--add-modules=jdk.incubator.vector"), entrypoint.toString());
        assertEquals("dev.hearth.cli.Main", entrypoint.getLast());
        assertEquals(List.of("serve"), strings(c.path("Cmd")));
    }

    @Test
    void listensOnAllInterfacesOn8080WithTheModelCacheAsAVolume() {
        JsonNode c = config.path("config");
        assertTrue(c.path("ExposedPorts").has("8080/tcp"), c.toString());
        assertTrue(c.path("Volumes").has("/models"), c.toString());
        List<String> env = strings(c.path("Env"));
        assertTrue(env.contains("HEARTH_HOST=0.0.0.0"), env.toString());
        assertTrue(env.contains("HEARTH_PORT=8080"), env.toString());
        assertTrue(env.contains("HEARTH_MODELS=/models"), env.toString());
        assertTrue(env.stream().anyMatch(e -> e.startsWith("PATH=/opt/java/bin")), env.toString());
    }

    @Test
    void hasAHealthCheckThatProbesHealth() {
        JsonNode h = config.path("config").path("Healthcheck");
        List<String> test = strings(h.path("Test"));
        assertEquals("CMD", test.getFirst());
        assertEquals("dev.hearth.cli.HealthCheck", test.getLast());
        assertTrue(h.path("Interval").asLong() > 0 && h.path("Retries").asInt() > 0, h.toString());
    }

    @Test
    void carriesAJreItsLibrariesAndTheApplication() throws IOException {
        Map<String, TarArchiveEntry> files = new HashMap<>();
        forEachLayerEntry((e, in) -> files.put(e.getName().replaceFirst("^\\./", ""), e));
        for (String f : List.of("opt/java/bin/java", "opt/java/lib/server/libjvm.so", "lib64/ld-linux-x86-64.so.2",
                "etc/passwd", "app/classes/dev/hearth/cli/Main.class", "app/classes/dev/hearth/cli/HealthCheck.class")) {
            assertNotNull(files.get(f), f + " is not in the image");
        }
        assertTrue(files.keySet().stream().anyMatch(f -> f.matches("app/libs/hearth-server-.*\\.jar")), "the server jar");
        assertTrue(files.keySet().stream().anyMatch(f -> f.matches("(usr/)?lib/.*/libc\\.so\\.6")), "glibc");
        assertEquals(10001, files.get("models/").getLongUserId(), "the runtime user owns the model volume's directory");
        assertNotEquals(0, files.get("opt/java/bin/java").getMode() & 0111, "java is executable");
    }

    /**
     * Unpacks the image's layers and runs its entrypoint in a chroot as its user (needs root and unshare, as in a
     * container): /health answers 200 and the health check command succeeds, which proves the JRE has every
     * module and shared library the server needs. Skipped where a chroot is not possible.
     */
    @Test
    void servesHealthFromInsideItsOwnFileTree(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("proc"));
        forEachLayerEntry((e, in) -> {
            Path p = root.resolve(e.getName()).normalize();
            if (!p.startsWith(root)) throw new IOException("entry outside the root: " + e.getName());
            if (e.isDirectory()) {
                Files.createDirectories(p);
            } else if (e.isSymbolicLink()) {
                Files.createDirectories(p.getParent());
                Files.deleteIfExists(p);
                Files.createSymbolicLink(p, Path.of(e.getLinkName()));
            } else if (e.isFile()) {
                Files.createDirectories(p.getParent());
                Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
                if ((e.getMode() & 0111) != 0) p.toFile().setExecutable(true, false);
            }
        });
        Files.setPosixFilePermissions(root.resolve("tmp"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        root.resolve("models").toFile().setWritable(true, false);
        Assumptions.assumeTrue(canChroot(root), "no chroot here (needs root and unshare): the image is not run");

        JsonNode c = config.path("config");
        int port = 18000 + (int) (ProcessHandle.current().pid() % 1000);
        List<String> command = new ArrayList<>(List.of(host("unshare"), "-m", "-p", "-f", "--mount-proc=" + root.resolve("proc"),
                host("chroot"), "--userspec=" + c.path("User").asText(), root.toString()));
        command.addAll(entrypointWithAbsoluteJava(c));
        command.addAll(strings(c.path("Cmd")));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear(); // the image's environment only (chroot passes it on)
        for (String env : strings(c.path("Env"))) {
            String[] kv = env.split("=", 2);
            pb.environment().put(kv[0], kv[0].equals("HEARTH_PORT") ? Integer.toString(port) : kv[1]);
        }
        Path log = dir.resolve("server.log");
        Process server = pb.redirectOutput(log.toFile()).start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            int status = -1;
            for (int i = 0; i < 300 && status != 200 && server.isAlive(); i++) {
                try {
                    status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode();
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertEquals(200, status, "server output: " + Files.readString(log));

            List<String> probe = new ArrayList<>(List.of("unshare", "-m", "-p", "-f", "--mount-proc=" + root.resolve("proc"),
                    "chroot", "--userspec=" + c.path("User").asText(), root.toString()));
            probe.addAll(strings(c.path("Healthcheck").path("Test")).subList(1, strings(c.path("Healthcheck").path("Test")).size()));
            ProcessBuilder hb = new ProcessBuilder(probe).redirectErrorStream(true);
            hb.environment().put("HEARTH_PORT", Integer.toString(port));
            Process check = hb.start();
            String out = new String(check.getInputStream().readAllBytes());
            assertTrue(check.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, check.exitValue(), out);
        } finally {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly();
            stopProcessesIn(root);
        }
    }

    /**
     * The server is pid 1 of its own pid namespace and a grandchild of unshare, which its death does not reach
     * (chroot's change of user clears the parent-death signal): stop whatever still runs inside the image's tree.
     */
    private static void stopProcessesIn(Path root) {
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            try {
                if (Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "root")).startsWith(root)) p.destroyForcibly();
            } catch (IOException | UnsupportedOperationException | SecurityException gone) {
                // not ours to read, or already ended
            }
        }
    }

    /** A host tool's absolute path (the server runs with the image's environment, whose PATH is not the host's). */
    private static String host(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return Path.of(dir, tool).toString();
        }
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, tool))) return Path.of(dir, tool).toString();
        }
        return tool;
    }

    /** The image's PATH is /opt/java/bin; outside a container runtime nothing resolves it, so name it. */
    private static List<String> entrypointWithAbsoluteJava(JsonNode c) {
        List<String> e = new ArrayList<>(strings(c.path("Entrypoint")));
        if (e.getFirst().equals("java")) e.set(0, "/opt/java/bin/java");
        return e;
    }

    private static boolean canChroot(Path root) {
        try {
            Process p = new ProcessBuilder("unshare", "-m", "-p", "-f", "--mount-proc=" + root.resolve("proc"),
                    "chroot", root.toString(), "/opt/java/bin/java", "-version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private interface LayerEntryConsumer {
        void accept(TarArchiveEntry entry, InputStream content) throws IOException;
    }

    /** Every entry of every layer, in order (later layers win, as when a runtime unpacks them). */
    private static void forEachLayerEntry(LayerEntryConsumer consumer) throws IOException {
        List<String> layers = strings(manifest.path("Layers"));
        for (String layer : layers) {
            try (TarArchiveInputStream outer = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tar)))) {
                for (TarArchiveEntry e; (e = outer.getNextEntry()) != null; ) {
                    if (!e.getName().equals(layer)) continue;
                    InputStream body = new BufferedInputStream(outer);
                    body.mark(4);
                    boolean gz = body.read() == 0x1f & body.read() == 0x8b;
                    body.reset();
                    TarArchiveInputStream in = new TarArchiveInputStream(gz ? new GZIPInputStream(body) : body);
                    for (TarArchiveEntry f; (f = in.getNextEntry()) != null; ) consumer.accept(f, in);
                    break;
                }
            }
        }
        if (layers.isEmpty()) fail("the image has no layers");
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
