package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A load generator for an OpenAI-compatible server: {@code concurrency} clients (virtual threads) send
 * {@code requests} streaming chat completions in total, each as soon as its previous one ends, and time every
 * streamed chunk. Prompts are varied made-up text (so no two share a cached prefix beyond the template) sized to
 * about {@code promptTokens} with the server's {@code /tokenize} when it has one (llama.cpp and Hearth do), else at
 * an assumed four characters a token; the prompt sizes the server actually saw come back in {@code usage}.
 */
final class ServerLoad {
    static final ObjectMapper JSON = new ObjectMapper();

    record Settings(URI server, int concurrency, int requests, int promptTokens, int maxTokens, String apiKey,
                    String model, boolean ignoreEos, Duration timeout, long seed) {}

    /**
     * One request's timeline, in nanoseconds from its start. {@code chunkNanos} holds the arrival of each chunk
     * that carried text; {@code status} is the HTTP status, or 0 when the request failed without one.
     */
    record Outcome(int status, String error, long firstTokenNanos, long totalNanos, long[] chunkNanos,
                   int promptTokens, int completionTokens) {
        boolean ok() {
            return status == 200 && error == null;
        }
    }

    /** Percentiles by the nearest-rank method, in milliseconds; all NaN when there are no samples. */
    record Distribution(int count, double mean, double p50, double p95, double p99, double max) {
        static Distribution ofNanos(long[] nanos) {
            if (nanos.length == 0) return new Distribution(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            long[] s = nanos.clone();
            Arrays.sort(s);
            double sum = 0;
            for (long v : s) sum += v;
            return new Distribution(s.length, sum / s.length / 1e6, rank(s, 50), rank(s, 95), rank(s, 99), s[s.length - 1] / 1e6);
        }

        private static double rank(long[] sorted, double p) {
            int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
        }
    }

    record Report(Settings settings, String model, double wallSeconds, List<Outcome> outcomes) {
        long generatedTokens() {
            return outcomes.stream().filter(Outcome::ok).mapToLong(Outcome::completionTokens).sum();
        }

        long succeeded() {
            return outcomes.stream().filter(Outcome::ok).count();
        }

        /** Failures by HTTP status, or by kind ("timeout", "io", "stream") when there was no error status. */
        Map<String, Integer> errors() {
            Map<String, Integer> m = new TreeMap<>();
            for (Outcome o : outcomes) {
                if (o.ok()) continue;
                String key = o.status != 200 && o.status != 0 ? String.valueOf(o.status) : o.error.split(":", 2)[0];
                m.merge(key, 1, Integer::sum);
            }
            return m;
        }

        Distribution ttft() {
            return Distribution.ofNanos(outcomes.stream().filter(o -> o.ok() && o.firstTokenNanos >= 0)
                    .mapToLong(Outcome::firstTokenNanos).toArray());
        }

        /** Gaps between consecutive text chunks of a response (a chunk is normally one token). */
        Distribution interToken() {
            return Distribution.ofNanos(outcomes.stream().filter(Outcome::ok).flatMapToLong(o -> {
                long[] c = o.chunkNanos;
                long[] gaps = new long[Math.max(0, c.length - 1)];
                for (int i = 1; i < c.length; i++) gaps[i - 1] = c[i] - c[i - 1];
                return Arrays.stream(gaps);
            }).toArray());
        }

        Distribution latency() {
            return Distribution.ofNanos(outcomes.stream().filter(Outcome::ok).mapToLong(Outcome::totalNanos).toArray());
        }

        double meanPromptTokens() {
            return outcomes.stream().filter(o -> o.ok() && o.promptTokens >= 0).mapToInt(Outcome::promptTokens).average().orElse(Double.NaN);
        }
    }

    private final Settings settings;
    private final HttpClient http;

    ServerLoad(Settings settings, HttpClient http) {
        this.settings = settings;
        this.http = http;
    }

    Report run() throws IOException, InterruptedException {
        String model = settings.model() != null ? settings.model() : firstModel();
        List<String> prompts = prompts();
        Outcome[] outcomes = new Outcome[settings.requests()];
        AtomicInteger next = new AtomicInteger();
        long t0 = System.nanoTime();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < settings.concurrency(); c++) {
                clients.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < settings.requests(); ) outcomes[i] = request(model, prompts.get(i));
                });
            }
        }
        return new Report(settings, model, (System.nanoTime() - t0) / 1e9, List.of(outcomes));
    }

    private HttpRequest.Builder call(String path) {
        // Relative to the server URL (which ends in '/'), so a base path such as http://host/llm/ is kept.
        HttpRequest.Builder b = HttpRequest.newBuilder(settings.server().resolve(path.substring(1))).timeout(settings.timeout());
        if (settings.apiKey() != null) b.header("Authorization", "Bearer " + settings.apiKey());
        return b;
    }

    /** The id of the server's first model, or "default" when it does not list them. */
    private String firstModel() throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(call("/v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                JsonNode id = JSON.readTree(r.body()).path("data").path(0).path("id");
                if (id.isTextual()) return id.asText();
            }
        } catch (IOException e) {
            // an unreachable server shows up as the requests' errors
        }
        return "default";
    }

    /** Tokens in {@code text} by the server's /tokenize, or -1 when it has none. */
    private int countTokens(String text) throws InterruptedException {
        try {
            String body = JSON.writeValueAsString(Map.of("content", text, "add_special", false));
            HttpResponse<String> r = http.send(call("/tokenize").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) return -1;
            JsonNode tokens = JSON.readTree(r.body()).path("tokens");
            return tokens.isArray() ? tokens.size() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static final String[] WORDS = ("the of and a to in is was that for it as with be on by this are at from his "
            + "an which or had not but have they one were all their there been has when who more will would time "
            + "river mountain engine kernel winter garden market signal harbor lantern copper violet meadow orbit "
            + "thunder quiet silver canyon pepper marble ladder velvet hollow ember prism glacier falcon tide "
            + "measure carry build follow wander listen gather sketch borrow polish travel answer imagine").split(" ");

    /** One prompt per request: different words each, about the target size in tokens (the chat template adds more). */
    private List<String> prompts() throws InterruptedException {
        Random random = new Random(settings.seed());
        String sample = text(random, 4000);
        int sampleTokens = countTokens(sample);
        double charsPerToken = sampleTokens > 0 ? (double) sample.length() / sampleTokens : 4.0;
        int chars = Math.max(1, (int) Math.round(settings.promptTokens() * charsPerToken));
        List<String> prompts = new ArrayList<>(settings.requests());
        for (int i = 0; i < settings.requests(); i++) {
            String prefix = "Request " + i + ". "; // part of the budget, so the size is the user message's
            prompts.add(prefix + text(random, Math.max(1, chars - prefix.length())));
        }
        return prompts;
    }

    private static String text(Random random, int chars) {
        StringBuilder sb = new StringBuilder(chars + 16);
        while (sb.length() < chars) {
            if (!sb.isEmpty()) sb.append(random.nextInt(12) == 0 ? ". " : " ");
            sb.append(WORDS[random.nextInt(WORDS.length)]);
        }
        sb.setLength(chars);
        return sb.toString();
    }

    private Outcome request(String model, String prompt) {
        long start = System.nanoTime();
        try {
            ObjectNode body = JSON.createObjectNode();
            body.put("model", model);
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
            body.put("max_tokens", settings.maxTokens());
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            if (settings.ignoreEos()) body.put("ignore_eos", true);
            HttpRequest req = call("/v1/chat/completions").header("Content-Type", "application/json")
                    .header("Accept", "text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
            HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = r.body()) {
                if (r.statusCode() != 200) {
                    String text = String.join("\n", lines.limit(20).toList());
                    return failed(r.statusCode(), "http: " + firstLine(text), start);
                }
                return readStream(lines.iterator(), start);
            }
        } catch (HttpTimeoutException e) {
            return failed(0, "timeout: " + e.getMessage(), start);
        } catch (IOException | RuntimeException e) {
            return failed(0, "io: " + e, start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(0, "io: interrupted", start);
        }
    }

    private Outcome readStream(Iterator<String> lines, long start) throws IOException {
        List<Long> chunks = new ArrayList<>();
        int prompt = -1, completion = -1;
        boolean done = false;
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.startsWith("data:")) continue;
            String data = line.substring(5).trim();
            if (data.equals("[DONE]")) {
                done = true;
                break;
            }
            long now = System.nanoTime() - start;
            JsonNode chunk = JSON.readTree(data);
            if (chunk.has("error")) return failed(200, "stream: " + chunk.path("error").path("message").asText(chunk.path("error").toString()), start);
            JsonNode usage = chunk.path("usage");
            if (usage.isObject()) {
                prompt = usage.path("prompt_tokens").asInt(-1);
                completion = usage.path("completion_tokens").asInt(-1);
            }
            String content = chunk.path("choices").path(0).path("delta").path("content").asText("");
            if (!content.isEmpty()) chunks.add(now);
        }
        long total = System.nanoTime() - start;
        if (!done) return failed(200, "stream: ended without [DONE]", start);
        long[] c = chunks.stream().mapToLong(Long::longValue).toArray();
        return new Outcome(200, null, c.length > 0 ? c[0] : -1, total, c, prompt, completion >= 0 ? completion : c.length);
    }

    private static Outcome failed(int status, String error, long start) {
        return new Outcome(status, error, -1, System.nanoTime() - start, new long[0], -1, 0);
    }

    private static String firstLine(String s) {
        String line = s.lines().findFirst().orElse("").strip();
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    static String text(Report r) {
        Settings s = r.settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "server %s, model %s: %d requests, concurrency %d, prompts of ~%d tokens "
                        + "(server counted %.1f), max_tokens %d%s%n", s.server(), r.model(), s.requests(), s.concurrency(),
                s.promptTokens(), r.meanPromptTokens(), s.maxTokens(), s.ignoreEos() ? " (ignore_eos)" : ""));
        sb.append(String.format(Locale.ROOT, "%d ok, %d failed in %.2f s: %d tokens generated, %.2f tokens/s, %.3f requests/s%n",
                r.succeeded(), r.outcomes().size() - r.succeeded(), r.wallSeconds(), r.generatedTokens(),
                r.generatedTokens() / r.wallSeconds(), r.succeeded() / r.wallSeconds()));
        String row = "%-22s %8s %9s %9s %9s %9s %9s%n";
        sb.append(String.format(Locale.ROOT, row, "", "n", "mean", "p50", "p95", "p99", "max"));
        for (var e : List.of(Map.entry("time to first token ms", r.ttft()), Map.entry("inter-token ms", r.interToken()),
                Map.entry("request latency ms", r.latency()))) {
            Distribution d = e.getValue();
            sb.append(String.format(Locale.ROOT, row, e.getKey(), d.count(), ms(d.mean()), ms(d.p50()), ms(d.p95()),
                    ms(d.p99()), ms(d.max())));
        }
        if (!r.errors().isEmpty()) {
            sb.append("errors:");
            r.errors().forEach((k, v) -> sb.append(' ').append(k).append(" x").append(v));
            sb.append('\n');
            r.outcomes().stream().filter(o -> !o.ok()).findFirst().ifPresent(o -> sb.append("first error: ").append(o.error()).append('\n'));
        }
        return sb.toString();
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    static String json(Report r) throws IOException {
        Settings s = r.settings();
        ObjectNode o = JSON.createObjectNode();
        o.put("server", s.server().toString()).put("model", r.model()).put("concurrency", s.concurrency())
                .put("requests", s.requests()).put("prompt_tokens_target", s.promptTokens())
                .put("max_tokens", s.maxTokens()).put("ignore_eos", s.ignoreEos());
        double meanPrompt = r.meanPromptTokens();
        if (Double.isNaN(meanPrompt)) o.putNull("prompt_tokens_mean"); else o.put("prompt_tokens_mean", meanPrompt);
        o.put("succeeded", r.succeeded()).put("failed", r.outcomes().size() - r.succeeded());
        o.put("wall_seconds", r.wallSeconds()).put("generated_tokens", r.generatedTokens())
                .put("tokens_per_second", r.generatedTokens() / r.wallSeconds())
                .put("requests_per_second", r.succeeded() / r.wallSeconds());
        putDistribution(o, "ttft_ms", r.ttft());
        putDistribution(o, "itl_ms", r.interToken());
        putDistribution(o, "latency_ms", r.latency());
        ObjectNode errors = o.putObject("errors");
        r.errors().forEach(errors::put);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
    }

    private static void putDistribution(ObjectNode parent, String name, Distribution d) {
        ObjectNode o = parent.putObject(name);
        o.put("count", d.count());
        for (var e : Map.of("mean", d.mean(), "p50", d.p50(), "p95", d.p95(), "p99", d.p99(), "max", d.max()).entrySet()) {
            if (Double.isNaN(e.getValue())) o.putNull(e.getKey()); else o.put(e.getKey(), e.getValue());
        }
    }
}
