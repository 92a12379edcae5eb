package dev.hearth.server.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Talks to the Hugging Face hub (or anything serving its routes): lists a repository's files with their sizes and
 * SHA-256 ({@code GET /api/models/REPO?blobs=true}, the LFS fields), and downloads one
 * ({@code GET /REPO/resolve/REV/FILE}, which redirects to a CDN) into a {@code .part} file that a later attempt
 * resumes with a range request. A finished file is checked against the size and hash the hub gave.
 */
public final class HubClient {
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    /** Attempts per file when the connection drops half-way (each resumes where the last one stopped). */
    private static final int ATTEMPTS = 4;
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file of a repository; {@code sha256} is null when the hub gave none (a small non-LFS file). */
    public record RemoteFile(String path, long size, String sha256) {
        public String name() {
            return path.substring(path.lastIndexOf('/') + 1);
        }

        public String digest() {
            return sha256 == null ? null : "sha256:" + sha256;
        }
    }

    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    public HubClient(URI endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(15))
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: the token must not go to the CDN
                .build();
    }

    /** {@code HF_ENDPOINT} (default https://huggingface.co) and {@code HF_TOKEN} from the environment given. */
    public static HubClient fromEnvironment(Map<String, String> env) {
        String e = env.get("HF_ENDPOINT");
        URI endpoint = e == null || e.isBlank() ? DEFAULT_ENDPOINT : URI.create(e.strip().replaceAll("/+$", ""));
        return new HubClient(endpoint, env.get("HF_TOKEN"));
    }

    public URI endpoint() {
        return endpoint;
    }

    /** The same client pointed at another hub (a full URL names its own host). */
    public HubClient at(URI other) {
        return other == null || other.equals(endpoint) ? this : new HubClient(other, token);
    }

    /** Every file in the repository at {@code revision}, with sizes and hashes. */
    public List<RemoteFile> files(String repo, String revision) throws IOException {
        String path = "/api/models/" + repo + ("main".equals(revision) ? "" : "/revision/" + encode(revision)) + "?blobs=true";
        HttpResponse<InputStream> r = send(URI.create(endpoint + path), null, repo);
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) throw new HubException(HubException.Reason.NOT_FOUND, "no repository " + repo + " on " + endpoint + " (check the name)");
            check(r, repo);
            JsonNode root = JSON.readTree(in);
            List<RemoteFile> out = new ArrayList<>();
            for (JsonNode s : root.path("siblings")) {
                String name = s.path("rfilename").asText(null);
                if (name == null) continue;
                JsonNode lfs = s.path("lfs");
                long size = lfs.has("size") ? lfs.path("size").asLong() : s.path("size").asLong(-1);
                out.add(new RemoteFile(name, size, lfs.path("sha256").asText(null)));
            }
            return out;
        }
    }

    /**
     * Downloads one file to {@code target}, through {@code target.part}: a part file left by an earlier attempt is
     * resumed. A size or SHA-256 mismatch deletes the part file and fails.
     */
    public void download(String repo, String revision, RemoteFile file, Path target, PullListener listener) throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        Files.createDirectories(target.getParent());
        URI url = URI.create(endpoint + "/" + repo + "/resolve/" + encode(revision) + "/" + encodePath(file.path()));
        IOException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                fetch(url, repo, file, part, listener);
                last = null;
                break;
            } catch (HubException e) {
                throw e;
            } catch (IOException dropped) {
                last = dropped; // the connection broke: go again from where the part file ends
            }
        }
        if (last != null) {
            throw new HubException(HubException.Reason.UNREACHABLE, "download of " + file.path() + " failed after " + ATTEMPTS + " attempts: " + describe(last)
                    + "; run the pull again to resume", last);
        }
        listener.status("verifying sha256 digest");
        verify(file, part);
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void fetch(URI url, String repo, RemoteFile file, Path part, PullListener listener) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (file.size() >= 0 && have > file.size()) {
            Files.delete(part);
            have = 0;
        }
        if (file.size() >= 0 && have == file.size()) {
            listener.progress(file.path(), file.digest(), file.size(), have);
            return;
        }
        HttpResponse<InputStream> r = send(url, have > 0 ? "bytes=" + have + "-" : null, repo);
        try (InputStream in = r.body()) {
            long total = file.size();
            boolean append;
            if (r.statusCode() == 206) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    throw new HubException(HubException.Reason.BAD_DOWNLOAD, "the server answered the range request for " + file.path() + " with an unexpected Content-Range: "
                            + r.headers().firstValue("Content-Range").orElse("(none)"));
                }
                if (total < 0 && !m.group(2).equals("*")) total = Long.parseLong(m.group(2));
                append = true;
            } else if (r.statusCode() == 416 && have > 0) {
                return; // nothing left to send: the part file is whole (verify says whether it is right)
            } else {
                if (r.statusCode() == 404) throw new HubException(HubException.Reason.NOT_FOUND, "no file " + file.path() + " in " + repo + " on " + endpoint);
                check(r, repo);
                append = false; // 200: the whole file, the range (if any) ignored
                have = 0;
                if (total < 0) total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            }
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                long done = have;
                listener.progress(file.path(), file.digest(), total, done);
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    done += n;
                    listener.progress(file.path(), file.digest(), total, done);
                }
                if (total >= 0 && done < total) throw new IOException("connection closed after " + done + " of " + total + " bytes");
            }
        }
    }

    private static void verify(RemoteFile file, Path part) throws IOException {
        long size = Files.size(part);
        if (file.size() >= 0 && size != file.size()) {
            Files.deleteIfExists(part);
            throw new HubException(HubException.Reason.BAD_DOWNLOAD, file.path() + ": downloaded " + size + " bytes but the hub lists " + file.size()
                    + "; the partial file was deleted, run the pull again");
        }
        if (file.sha256() == null) return;
        String actual = sha256(part);
        if (!actual.equalsIgnoreCase(file.sha256())) {
            Files.deleteIfExists(part);
            throw new HubException(HubException.Reason.BAD_DOWNLOAD, file.path() + ": SHA-256 mismatch (expected " + file.sha256() + ", got " + actual
                    + "); the download was deleted, run the pull again");
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** GET with redirects followed by hand; the token goes to the hub's own host only. */
    private HttpResponse<InputStream> send(URI url, String range, String repo) throws IOException {
        URI at = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(at).GET().header("User-Agent", "hearth");
            if (range != null) b.header("Range", range);
            if (token != null && sameHost(at, endpoint)) b.header("Authorization", "Bearer " + token);
            HttpResponse<InputStream> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException(HubException.Reason.UNREACHABLE, "interrupted");
            } catch (ConnectException | HttpConnectTimeoutException e) {
                throw new HubException(HubException.Reason.UNREACHABLE, "cannot reach " + at.getScheme() + "://" + at.getAuthority() + " (" + describe(e)
                        + "): check the network connection" + (sameHost(at, endpoint) ? " or HF_ENDPOINT" : ""), e);
            } catch (IOException e) {
                if (e.getCause() instanceof UnresolvedAddressException || e.getCause() instanceof java.net.UnknownHostException) {
                    throw new HubException(HubException.Reason.UNREACHABLE, "cannot resolve " + at.getHost() + ": check the network connection", e);
                }
                throw e;
            }
            int s = r.statusCode();
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                r.body().close();
                String location = r.headers().firstValue("Location")
                        .orElseThrow(() -> new HubException(HubException.Reason.BAD_DOWNLOAD, "redirect without a Location from " + url));
                at = at.resolve(location);
                continue;
            }
            return r;
        }
        throw new HubException(HubException.Reason.BAD_DOWNLOAD, "too many redirects from " + url);
    }

    private void check(HttpResponse<InputStream> r, String repo) throws IOException {
        int s = r.statusCode();
        if (s == 401 || s == 403) {
            throw new HubException(HubException.Reason.UNAUTHORIZED, repo + " needs authorization (HTTP " + s + "): it is gated or private. "
                    + (token == null ? "Set HF_TOKEN to a Hugging Face access token"
                    : "HF_TOKEN was sent but refused: check the token")
                    + ", and accept the model's licence on its page (" + endpoint + "/" + repo + ")");
        }
        if (s / 100 != 2) throw new HubException(HubException.Reason.UNREACHABLE, "the hub answered HTTP " + s + " for " + r.uri());
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    private static String describe(IOException e) {
        if (e instanceof ConnectException) return "connection refused";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        StringBuilder b = new StringBuilder();
        for (String seg : path.split("/")) {
            if (!b.isEmpty()) b.append('/');
            b.append(encode(seg));
        }
        return b.toString();
    }
}
