package dev.hearth.server.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real download code against {@link FakeHub}: choosing, redirects, resume, checksums, gated repositories. */
class ModelStoreTest {
    @TempDir
    Path tmp;
    FakeHub hub;
    ModelStore store;
    final byte[] q4 = bytes(300_000, 1), q8 = bytes(500_000, 2);
    final List<String> statuses = new ArrayList<>();
    final List<long[]> progress = new ArrayList<>();
    final PullListener listener = new PullListener() {
        @Override
        public void status(String status) {
            statuses.add(status);
        }

        @Override
        public void progress(String file, String digest, long total, long completed) {
            progress.add(new long[]{total, completed});
        }
    };

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @BeforeEach
    void start() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("Tiny-Model-Q4_K_M.gguf", q4);
        files.put("Tiny-Model-Q8_0.gguf", q8);
        hub = new FakeHub().repo("acme/Tiny-Model-GGUF", false, files);
        store = new ModelStore(tmp.resolve("models"));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubClient client(String token) {
        return new HubClient(hub.endpoint(), token);
    }

    @Test
    void pullsTheQuantNamedThroughTheRedirectAndChecksIt() throws IOException {
        Path p = store.pull(ModelRef.parse("acme/Tiny-Model-GGUF:q8_0"), client(null), listener);
        assertEquals(tmp.resolve("models/acme/Tiny-Model-GGUF/Tiny-Model-Q8_0.gguf"), p);
        assertArrayEquals(q8, Files.readAllBytes(p));
        assertFalse(Files.exists(p.resolveSibling(p.getFileName() + ".part")));
        assertEquals("pulling manifest", statuses.getFirst());
        assertTrue(statuses.contains("verifying sha256 digest"), statuses.toString());
        long[] last = progress.getLast();
        assertEquals(q8.length, last[0]);
        assertEquals(q8.length, last[1]);
        assertTrue(hub.seen.stream().anyMatch(s -> s.path().equals("/acme/Tiny-Model-GGUF/resolve/main/Tiny-Model-Q8_0.gguf")));
        assertEquals(1, hub.cdnRequests().size(), "followed the 302 to the CDN path");
        assertNull(hub.cdnRequests().getFirst().range(), "a fresh download asks for the whole file");
    }

    @Test
    void withoutAQuantTakesQ4KMAndAnUnknownQuantListsTheAvailableOnes() throws IOException {
        Path p = store.pull(ModelRef.parse("acme/Tiny-Model-GGUF"), client(null), listener);
        assertArrayEquals(q4, Files.readAllBytes(p));
        HubException e = assertThrows(HubException.class, () -> store.pull(ModelRef.parse("acme/Tiny-Model-GGUF:Q5_K_S"), client(null), listener));
        assertEquals("no Q5_K_S file in acme/Tiny-Model-GGUF; available quantizations: Q4_K_M, Q8_0", e.getMessage());
        HubException missing = assertThrows(HubException.class, () -> store.pull(ModelRef.parse("acme/Nothing-GGUF"), client(null), listener));
        assertEquals(HubException.Reason.NOT_FOUND, missing.reason());
    }

    @Test
    void aConnectionDroppedHalfWayIsResumedWithARangeRequest() throws IOException {
        hub.dropAfter.put("Tiny-Model-Q8_0.gguf", 200_000L);
        Path p = store.pull(ModelRef.parse("acme/Tiny-Model-GGUF:Q8_0"), client(null), listener);
        assertArrayEquals(q8, Files.readAllBytes(p), "the resumed file matches the hub's sha256 and bytes");
        List<FakeHub.Seen> cdn = hub.cdnRequests();
        assertEquals(2, cdn.size(), cdn.toString());
        assertNull(cdn.get(0).range());
        String range = cdn.get(1).range();
        assertTrue(range != null && range.matches("bytes=\\d+-"), String.valueOf(range));
        long from = Long.parseLong(range.substring(6, range.length() - 1));
        assertTrue(from > 0 && from <= 200_000, "resumed from what had arrived: " + from);
    }

    @Test
    void aPartFileLeftByAnEarlierRunIsResumed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("models/acme/Tiny-Model-GGUF"));
        Files.write(dir.resolve("Tiny-Model-Q8_0.gguf.part"), java.util.Arrays.copyOf(q8, 123_456));
        Path p = store.pull(ModelRef.parse("acme/Tiny-Model-GGUF:Q8_0"), client(null), listener);
        assertArrayEquals(q8, Files.readAllBytes(p));
        assertEquals(List.of("bytes=123456-"), hub.cdnRequests().stream().map(FakeHub.Seen::range).toList());
        assertEquals(123_456, progress.getFirst()[1], "progress starts where the part file ended");
    }

    @Test
    void aChecksumMismatchDeletesThePartFileAndSaysSo() {
        hub.wrongHash.put("Tiny-Model-Q8_0.gguf", true);
        HubException e = assertThrows(HubException.class, () -> store.pull(ModelRef.parse("acme/Tiny-Model-GGUF:Q8_0"), client(null), listener));
        assertEquals(HubException.Reason.BAD_DOWNLOAD, e.reason());
        assertTrue(e.getMessage().startsWith("Tiny-Model-Q8_0.gguf: SHA-256 mismatch (expected "), e.getMessage());
        assertTrue(e.getMessage().contains("got " + FakeHub.sha256(q8)), e.getMessage());
        Path dir = tmp.resolve("models/acme/Tiny-Model-GGUF");
        assertFalse(Files.exists(dir.resolve("Tiny-Model-Q8_0.gguf.part")));
        assertFalse(Files.exists(dir.resolve("Tiny-Model-Q8_0.gguf")));
    }

    @Test
    void aGatedRepositoryNeedsTheTokenWhichNeverGoesToTheCdn() throws IOException {
        hub.repo("meta/Gated-GGUF", true, Map.of("Gated-Q4_K_M.gguf", q4));
        HubException e = assertThrows(HubException.class, () -> store.pull(ModelRef.parse("meta/Gated-GGUF"), client(null), listener));
        assertEquals(HubException.Reason.UNAUTHORIZED, e.reason());
        assertTrue(e.getMessage().contains("Set HF_TOKEN") && e.getMessage().contains("accept the model's licence"), e.getMessage());

        hub.seen.clear();
        Path p = store.pull(ModelRef.parse("meta/Gated-GGUF"), client(FakeHub.TOKEN), listener);
        assertArrayEquals(q4, Files.readAllBytes(p));
        assertTrue(hub.seen.stream().filter(s -> s.path().startsWith("/api/")).allMatch(s -> ("Bearer " + FakeHub.TOKEN).equals(s.authorization())));
        assertTrue(hub.cdnRequests().stream().allMatch(s -> s.authorization() == null), "no token sent after the redirect");
    }

    @Test
    void withoutNetworkTheErrorSaysSo() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        HubClient down = new HubClient(URI.create("http://127.0.0.1:" + port), null);
        HubException e = assertThrows(HubException.class, () -> store.pull(ModelRef.parse("acme/Tiny-Model-GGUF"), down, listener));
        assertEquals(HubException.Reason.UNREACHABLE, e.reason());
        assertEquals("cannot reach http://127.0.0.1:" + port + " (connection refused): check the network connection or HF_ENDPOINT", e.getMessage());
    }

    @Test
    void splitModelsComeWholeAndAreListedOnceThenRemoved() throws IOException {
        byte[] a = bytes(1000, 3), b = bytes(700, 4);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("Big-Q8_0/Big-Q8_0-00001-of-00002.gguf", a);
        files.put("Big-Q8_0/Big-Q8_0-00002-of-00002.gguf", b);
        files.put("Big-Q2_K.gguf", bytes(10, 5));
        hub.repo("acme/Big-GGUF", false, files);
        Path first = store.pull(ModelRef.parse("acme/Big-GGUF:Q8_0"), client(null), listener);
        assertEquals("Big-Q8_0-00001-of-00002.gguf", first.getFileName().toString());
        assertArrayEquals(b, Files.readAllBytes(first.resolveSibling("Big-Q8_0-00002-of-00002.gguf")));
        store.pull(ModelRef.parse("acme/Tiny-Model-GGUF"), client(null), listener);

        List<ModelStore.Entry> all = store.list();
        assertEquals(List.of("Big-Q8_0", "Tiny-Model-Q4_K_M"), all.stream().map(ModelStore.Entry::name).toList());
        assertEquals(1700, all.getFirst().size(), "both parts counted");
        assertEquals("acme/Big-GGUF", all.getFirst().repo());

        assertEquals("Tiny-Model-Q4_K_M", store.find("acme/tiny-model-gguf:q4_k_m").orElseThrow().name());
        assertEquals("Tiny-Model-Q4_K_M", store.find("acme/Tiny-Model-GGUF").orElseThrow().name(), "the only one of its repository");
        assertEquals("Big-Q8_0", store.find("big-q8_0.gguf").orElseThrow().name());
        assertTrue(store.find("acme/Tiny-Model-GGUF:Q8_0").isEmpty());

        assertEquals("Big-Q8_0", store.remove("Big-Q8_0").orElseThrow().name());
        assertFalse(Files.exists(first));
        assertFalse(Files.exists(tmp.resolve("models/acme/Big-GGUF")), "empty directories go too");
        assertEquals(List.of("Tiny-Model-Q4_K_M"), store.list().stream().map(ModelStore.Entry::name).toList());
        assertTrue(store.remove("nothing").isEmpty());
    }

    @Test
    void aSecondPullOfACompleteFileDownloadsNothing() throws IOException {
        store.pull(ModelRef.parse("acme/Tiny-Model-GGUF"), client(null), listener);
        int before = hub.cdnRequests().size();
        store.pull(ModelRef.parse("acme/Tiny-Model-GGUF:Q4_K_M"), client(null), listener);
        assertEquals(before, hub.cdnRequests().size());
    }

    @Test
    void referencesParse() {
        ModelRef url = ModelRef.parse("https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf");
        assertEquals(URI.create("https://huggingface.co"), url.endpoint());
        assertEquals("bartowski/Llama-3.2-1B-Instruct-GGUF", url.repo());
        assertEquals("Llama-3.2-1B-Instruct-Q4_K_M.gguf", url.file());
        ModelRef hf = ModelRef.parse("hf.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q8_0");
        assertEquals("Qwen/Qwen2.5-0.5B-Instruct-GGUF", hf.repo());
        assertEquals("Q8_0", hf.quant());
        assertEquals("x.gguf", ModelRef.parse("a/b:x.gguf").file());
        assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("just-a-name"));
        assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("https://example.com/file.gguf"));
        assertTrue(ModelRef.looksLikeReference("a/b"));
        assertTrue(ModelRef.looksLikeReference("a/b:Q4_K_M"));
        assertFalse(ModelRef.looksLikeReference("models/x.gguf"));
        assertFalse(ModelRef.looksLikeReference("Llama-3.2-1B-Instruct-Q4_K_M"));
        assertEquals("Q4_K_M", Quants.of("qwen2.5-0.5b-instruct-q4_k_m.gguf"));
        assertEquals("I2_S", Quants.of("ggml-model-i2_s.gguf"));
        assertEquals("Q8_0", Quants.of("Big-Q8_0-00001-of-00002.gguf"));
    }
}
