package dev.hearth.server.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An imitation of the Hugging Face hub's routes on a loopback port: {@code GET /api/models/OWNER/REPO?blobs=true}
 * (siblings with LFS size and sha256), {@code GET /OWNER/REPO/resolve/main/FILE} answering 302 to a "CDN" on another port,
 * which serves the bytes with range requests (206 + Content-Range). It can drop a connection half-way, advertise a
 * wrong hash, and gate a repository behind a token.
 */
public final class FakeHub implements AutoCloseable {
    public static final String TOKEN = "hf_test_token";
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/main/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    /** One request as the hub saw it. */
    public record Seen(String path, String range, String authorization) {}

    private record Repo(Map<String, byte[]> files, boolean gated) {}

    private final HttpServer http, cdn; // the CDN on its own port, as the real one is another host
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Files whose next CDN transfer stops after this many bytes (the connection is then cut). */
    public final Map<String, Long> dropAfter = new ConcurrentHashMap<>();
    /** Files listed with a wrong SHA-256. */
    public final Map<String, Boolean> wrongHash = new ConcurrentHashMap<>();

    public FakeHub() throws IOException {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", this::handle);
        http.start();
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn.createContext("/", this::handle);
        cdn.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    public FakeHub repo(String name, boolean gated, Map<String, byte[]> files) {
        repos.put(name, new Repo(files, gated));
        return this;
    }

    public List<Seen> cdnRequests() {
        return seen.stream().filter(s -> s.path().startsWith("/cdn/")).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        seen.add(new Seen(path, ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            if (path.startsWith("/api/models/")) {
                listing(ex, path.substring("/api/models/".length()));
            } else if (path.startsWith("/cdn/")) {
                cdn(ex, path.substring("/cdn/".length()));
            } else {
                Matcher m = RESOLVE.matcher(path);
                if (!m.matches()) {
                    send(ex, 404, "{\"error\":\"not found\"}");
                    return;
                }
                Repo r = repos.get(m.group(1));
                if (r == null || !r.files.containsKey(m.group(2))) {
                    send(ex, 404, "{\"error\":\"Entry not found\"}");
                    return;
                }
                if (r.gated && !authorized(ex)) {
                    send(ex, 401, "{\"error\":\"Access to model " + m.group(1) + " is restricted.\"}");
                    return;
                }
                ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/cdn/" + m.group(1) + "/" + m.group(2));
                ex.sendResponseHeaders(302, -1);
            }
        }
    }

    private void listing(HttpExchange ex, String repo) throws IOException {
        Repo r = repos.get(repo);
        if (r == null) {
            send(ex, 404, "{\"error\":\"Repository not found\"}");
            return;
        }
        if (r.gated && !authorized(ex)) {
            send(ex, 401, "{\"error\":\"Access to model " + repo + " is restricted.\"}");
            return;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode().put("id", repo);
        ArrayNode siblings = root.putArray("siblings");
        siblings.addObject().put("rfilename", "README.md").put("size", 10);
        for (Map.Entry<String, byte[]> f : r.files.entrySet()) {
            ObjectNode s = siblings.addObject().put("rfilename", f.getKey()).put("size", f.getValue().length);
            String sha = sha256(f.getValue());
            if (wrongHash.containsKey(f.getKey())) sha = sha256(new byte[]{1});
            s.putObject("lfs").put("sha256", sha).put("size", f.getValue().length).put("pointerSize", 134);
        }
        send(ex, 200, json.writeValueAsString(root));
    }

    private void cdn(HttpExchange ex, String rest) throws IOException {
        int slash = rest.indexOf('/', rest.indexOf('/') + 1);
        Repo r = repos.get(rest.substring(0, slash));
        byte[] data = r == null ? null : r.files.get(rest.substring(slash + 1));
        if (data == null) {
            send(ex, 404, "{}");
            return;
        }
        String file = rest.substring(slash + 1);
        long from = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (m.matches()) from = Long.parseLong(m.group(1));
        }
        if (from >= data.length) {
            ex.getResponseHeaders().add("Content-Range", "bytes */" + data.length);
            ex.sendResponseHeaders(416, -1);
            return;
        }
        long length = data.length - from;
        if (from > 0) {
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
            ex.sendResponseHeaders(206, length);
        } else {
            ex.sendResponseHeaders(200, length);
        }
        Long drop = dropAfter.remove(file);
        OutputStream out = ex.getResponseBody();
        if (drop != null) {
            out.write(data, (int) from, (int) Math.min(drop, length));
            out.flush();
            // cut the connection: the client has fewer bytes than the Content-Length promised
            throw new IOException("dropped on purpose");
        }
        out.write(data, (int) from, (int) length);
        out.close();
    }

    private static boolean authorized(HttpExchange ex) {
        return ("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"));
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        cdn.stop(0);
    }
}
