package dev.hearth.server.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.FinishReason;
import dev.hearth.engine.generate.Generation;
import dev.hearth.engine.generate.GenerationListener;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.ModelInfo;
import dev.hearth.engine.generate.OverloadedException;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.server.ApiError;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A {@link Generator} that is another OpenAI-compatible server (vLLM, TGI, llama.cpp, another Hearth): every
 * request becomes a streaming {@code /v1/completions} (text and token prompts) or {@code /v1/chat/completions}
 * (chat prompts, rendered by the backend's own template) call, and each SSE chunk becomes a {@link TokenEvent}, so
 * all of Hearth's dialects work unchanged in front of it.
 *
 * <p>What the OpenAI wire format does not carry is not invented: token events have id -1 (chunks carry text, not
 * ids), a "stop" finish is reported as {@link FinishReason#END_OF_GENERATION} (the wire does not say whether a stop
 * string or the end token ended it), and logprobs are refused with a 400. Tokenize, detokenize and chat rendering
 * use the backend's llama.cpp-style {@code /tokenize}, {@code /detokenize} and {@code /apply-template} routes (llama.cpp
 * and Hearth have them); a backend without them gives a clear 501.
 */
public final class RemoteGenerator implements Generator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Non-streaming calls (model list, tokenize) are small: a backend that takes longer than this is stuck. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final URI base;
    private final String apiKey;
    private final HttpClient http;
    private final ModelInfo info;

    private RemoteGenerator(URI base, String apiKey, HttpClient http, ModelInfo info) {
        this.base = base;
        this.apiKey = apiKey;
        this.http = http;
        this.info = info;
    }

    /**
     * Connects to the backend at {@code baseUrl} (with or without a trailing {@code /v1}) and asks it which model
     * it serves ({@code GET /v1/models}, the first entry, plus {@code /props} when the backend has it).
     *
     * @param apiKey sent as {@code Authorization: Bearer}; null for none
     */
    public static RemoteGenerator connect(String baseUrl, String apiKey) throws IOException {
        URI base = baseUri(baseUrl);
        HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        RemoteGenerator probe = new RemoteGenerator(base, apiKey, http, null);
        JsonNode models = probe.getJson("/v1/models");
        JsonNode data = models == null ? null : models.path("data");
        if (data == null || !data.isArray() || data.isEmpty()) {
            throw new IOException("the backend " + base + " serves no model (GET /v1/models has no data)");
        }
        JsonNode model = data.get(0);
        JsonNode props = probe.getJsonIfPresent("/props");
        return new RemoteGenerator(base, apiKey, http, modelInfo(base, model, props));
    }

    /** {@code http://host:port}, {@code http://host:port/} and {@code http://host:port/v1} all mean the same server. */
    static URI baseUri(String url) {
        String u = url.strip();
        while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
        if (u.endsWith("/v1")) u = u.substring(0, u.length() - 3);
        URI uri = URI.create(u);
        if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
            throw new IllegalArgumentException("the backend must be an http:// or https:// URL, got " + url);
        }
        return uri;
    }

    private static ModelInfo modelInfo(URI base, JsonNode model, JsonNode props) {
        JsonNode meta = model.path("meta");
        int trained = meta.path("n_ctx_train").asInt(0);
        int ctx = props == null ? 0 : props.path("default_generation_settings").path("n_ctx").asInt(props.path("n_ctx").asInt(0));
        if (ctx == 0) ctx = model.path("max_model_len").asInt(trained); // vLLM says it here
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("hearth.backend", base.toString());
        String arch = props == null ? null : textOrNull(props.get("architecture"));
        if (arch == null) arch = textOrNull(meta.get("architecture"));
        return new ModelInfo(model.path("id").asText(), base.toString(), arch, meta.path("n_params").asLong(0),
                meta.path("size").asLong(0), ctx, trained, meta.path("n_vocab").asInt(0),
                props == null ? null : textOrNull(props.get("chat_template")), metadata);
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Generation submit(GenerationRequest request, GenerationListener listener) {
        if (request.sampling().wantsLogprobs()) {
            throw new IllegalArgumentException("logprobs are not forwarded to a remote backend");
        }
        boolean chat = request.prompt() instanceof Prompt.Chat;
        ObjectNode body = body(request);
        long start = System.nanoTime();
        // Waiting for the status here lets the backend's 400/429 reach the client as a refusal, like the local engine's.
        HttpResponse<Stream<String>> response = send(post(chat ? "/v1/chat/completions" : "/v1/completions", body),
                HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() / 100 != 2) {
            String text;
            try (Stream<String> lines = response.body()) {
                text = lines.collect(Collectors.joining("\n"));
            }
            throw refusal(response.statusCode(), text);
        }
        Upstream stream = new Upstream(response.body(), listener, chat, start);
        Thread.ofVirtual().name("hearth-remote").start(stream::run);
        return stream;
    }

    /** The OpenAI request for a Hearth request: every sampling field is sent, so the backend samples as Hearth would. */
    private ObjectNode body(GenerationRequest request) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", info.id());
        switch (request.prompt()) {
            case Prompt.Text t -> o.put("prompt", t.text());
            case Prompt.Tokens t -> {
                ArrayNode ids = o.putArray("prompt");
                for (int id : t.ids()) ids.add(id);
            }
            case Prompt.Chat c -> {
                o.set("messages", JSON.valueToTree(c.messages()));
                if (c.tools() != null && !c.tools().isEmpty()) o.set("tools", JSON.valueToTree(c.tools()));
                if (!c.addGenerationPrompt()) o.put("add_generation_prompt", false);
                if (!c.extraVariables().isEmpty()) o.set("chat_template_kwargs", JSON.valueToTree(c.extraVariables()));
            }
        }
        if (request.maxTokens() >= 0) o.put("max_tokens", request.maxTokens());
        SamplingParams s = request.sampling();
        o.put("temperature", s.temperature());
        o.put("top_k", s.topK());
        o.put("top_p", s.topP());
        o.put("min_p", s.minP());
        if (s.typicalP() != 1) o.put("typical_p", s.typicalP());
        if (s.repeatPenalty() != 1) {
            o.put("repeat_penalty", s.repeatPenalty()); // llama.cpp, Hearth
            o.put("repetition_penalty", s.repeatPenalty()); // vLLM, TGI
            o.put("repeat_last_n", s.repeatLastN());
        }
        if (s.presencePenalty() != 0) o.put("presence_penalty", s.presencePenalty());
        if (s.frequencyPenalty() != 0) o.put("frequency_penalty", s.frequencyPenalty());
        s.seed().ifPresent(seed -> o.put("seed", seed));
        if (!s.stop().isEmpty()) o.set("stop", JSON.valueToTree(s.stop()));
        if (!s.stopTokenIds().isEmpty()) o.set("stop_token_ids", JSON.valueToTree(s.stopTokenIds()));
        if (!s.logitBias().isEmpty()) {
            ObjectNode bias = o.putObject("logit_bias");
            // OpenAI's -100 is its ban; an infinite bias is not valid JSON
            s.logitBias().forEach((id, b) -> bias.put(Integer.toString(id), Double.isInfinite(b) ? (b < 0 ? -100 : 100) : b));
        }
        if (s.ignoreEos()) o.put("ignore_eos", true);
        o.put("stream", true);
        o.putObject("stream_options").put("include_usage", true);
        return o;
    }

    /** One upstream stream: reads SSE chunks on its own thread until [DONE], the end, an error or a cancel. */
    private static final class Upstream implements Generation, Runnable {
        private final Stream<String> lines;
        private final GenerationListener listener;
        private final boolean chat;
        private final long start;
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private volatile boolean done;
        private long firstChunk = -1;
        private int generated;
        private int promptTokens, cachedTokens, completionTokens = -1;
        private FinishReason finish;

        Upstream(Stream<String> lines, GenerationListener listener, boolean chat, long start) {
            this.lines = lines;
            this.listener = listener;
            this.chat = chat;
            this.start = start;
        }

        @Override
        public void cancel() {
            // closing the body closes the connection: the backend sees its client go and stops generating
            if (cancelled.compareAndSet(false, true)) lines.close();
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public void run() {
            try (lines) {
                Iterator<String> it = lines.iterator();
                while (!cancelled.get() && it.hasNext()) {
                    String line = it.next();
                    if (!line.startsWith("data:")) continue; // blank separators, ": ping" comments, event: lines
                    String data = line.substring(5).strip();
                    if (data.equals("[DONE]")) break;
                    if (!chunk(JSON.readTree(data))) return;
                }
                if (cancelled.get()) finish(FinishReason.CANCELLED);
                else if (finish != null) finish(finish);
                else fail(new ApiError(ApiError.Kind.UPSTREAM, "the backend's stream ended before the generation did", null, "backend_error"));
            } catch (IOException | RuntimeException e) {
                if (cancelled.get()) finish(FinishReason.CANCELLED);
                else fail(new ApiError(ApiError.Kind.UPSTREAM, "the backend's stream failed: " + e.getMessage(), null, "backend_error"));
            }
        }

        /** Handles one chunk; false when it was an error (reported). */
        private boolean chunk(JsonNode c) {
            if (c.has("error")) {
                fail(new ApiError(ApiError.Kind.UPSTREAM, "the backend failed: " + errorMessage(c), null, "backend_error"));
                return false;
            }
            JsonNode usage = c.get("usage");
            if (usage != null && usage.isObject()) {
                promptTokens = usage.path("prompt_tokens").asInt(0);
                completionTokens = usage.path("completion_tokens").asInt(-1);
                cachedTokens = usage.path("prompt_tokens_details").path("cached_tokens").asInt(0);
            }
            for (JsonNode choice : c.path("choices")) {
                String text = textOrNull(chat ? choice.path("delta").get("content") : choice.get("text"));
                if (text != null && !text.isEmpty()) {
                    if (firstChunk < 0) firstChunk = System.nanoTime();
                    generated++;
                    listener.onToken(new TokenEvent(-1, text, null, null));
                }
                String reason = textOrNull(choice.get("finish_reason"));
                if (reason != null) finish = reason.equals("length") ? FinishReason.LENGTH : FinishReason.END_OF_GENERATION;
            }
            return true;
        }

        private void finish(FinishReason reason) {
            if (done) return;
            done = true;
            long now = System.nanoTime();
            long first = firstChunk < 0 ? now : firstChunk;
            // without usage from the backend, a chunk with text is the best count there is
            int n = completionTokens >= 0 ? completionTokens : generated;
            listener.onDone(new Completion(reason, null, promptTokens, cachedTokens, n, 0, first - start, now - first));
        }

        private void fail(Throwable error) {
            if (done) return;
            done = true;
            listener.onError(error);
        }
    }

    @Override
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        ObjectNode body = JSON.createObjectNode().put("content", text).put("add_special", addSpecial).put("parse_special", parseSpecial);
        JsonNode tokens = call("/tokenize", body).path("tokens");
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = tokens.get(i).isObject() ? tokens.get(i).path("id").asInt() : tokens.get(i).asInt();
        return ids;
    }

    @Override
    public String detokenize(int[] ids) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode tokens = body.putArray("tokens");
        for (int id : ids) tokens.add(id);
        return call("/detokenize", body).path("content").asText();
    }

    @Override
    public String renderChat(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                             Map<String, Object> extraVariables) {
        ObjectNode body = JSON.createObjectNode();
        body.set("messages", JSON.valueToTree(messages));
        if (tools != null && !tools.isEmpty()) body.set("tools", JSON.valueToTree(tools));
        body.put("add_generation_prompt", addGenerationPrompt);
        if (extraVariables != null && !extraVariables.isEmpty()) body.set("chat_template_kwargs", JSON.valueToTree(extraVariables));
        return call("/apply-template", body).path("prompt").asText();
    }

    @Override
    public void close() {
        http.close();
    }

    /** A non-streaming POST whose answer is JSON; a backend without the route gives 501, its errors map as a refusal. */
    private JsonNode call(String path, ObjectNode body) {
        HttpResponse<String> r = send(post(path, body).timeout(CALL_TIMEOUT), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 404 || r.statusCode() == 405) {
            throw new ApiError(ApiError.Kind.NOT_SUPPORTED, "the backend " + base + " has no " + path + " route", null, "backend_unsupported");
        }
        if (r.statusCode() / 100 != 2) throw refusal(r.statusCode(), r.body());
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new ApiError(ApiError.Kind.UPSTREAM, "the backend's " + path + " answer is not JSON", null, "backend_error");
        }
    }

    private JsonNode getJson(String path) throws IOException {
        HttpResponse<String> r = get(path);
        if (r.statusCode() / 100 != 2) {
            throw new IOException("the backend answered " + r.statusCode() + " to GET " + path + ": " + errorMessage(parse(r.body())));
        }
        return JSON.readTree(r.body());
    }

    private JsonNode getJsonIfPresent(String path) throws IOException {
        HttpResponse<String> r = get(path);
        return r.statusCode() / 100 == 2 ? parse(r.body()) : null;
    }

    private HttpResponse<String> get(String path) throws IOException {
        try {
            return http.send(request(path).timeout(CALL_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + base, e);
        } catch (IOException e) {
            throw new IOException("cannot reach the backend " + base + ": " + describe(e), e);
        }
    }

    private HttpRequest.Builder post(String path, ObjectNode body) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (apiKey != null && !apiKey.isEmpty()) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request.build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(ApiError.Kind.UPSTREAM, "interrupted while waiting for the backend", null, "backend_error");
        } catch (IOException e) {
            throw new ApiError(ApiError.Kind.UPSTREAM, "cannot reach the backend " + base + ": " + describe(e), null, "backend_unreachable");
        }
    }

    /**
     * A backend's error status as the front's own: its 400/422 is the client's mistake, its 429/503 a busy engine;
     * anything else (its 401 means our --backend-api-key is wrong, its 404 a wrong model) is the gateway's problem.
     */
    static RuntimeException refusal(int status, String body) {
        String message = errorMessage(parse(body));
        if (message == null || message.isEmpty()) message = "status " + status;
        return switch (status) {
            case 400, 413, 422 -> new IllegalArgumentException(message);
            case 429, 503 -> new OverloadedException("the backend is busy: " + message, 1);
            default -> new ApiError(ApiError.Kind.UPSTREAM, "the backend answered " + status + ": " + message, null, "backend_error");
        };
    }

    /** The message of any of the usual error envelopes: OpenAI's, Ollama's/TGI's {@code error} string, vLLM's {@code message}. */
    static String errorMessage(JsonNode body) {
        if (body == null) return null;
        JsonNode e = body.get("error");
        if (e != null && e.isObject()) return e.path("message").asText(null);
        if (e != null && e.isTextual()) return e.asText();
        if (body.has("message")) return body.path("message").asText();
        if (body.isTextual()) return body.asText();
        return body.toString();
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) return null;
        try {
            return JSON.readTree(body);
        } catch (IOException notJson) {
            return JSON.getNodeFactory().textNode(body.length() > 300 ? body.substring(0, 300) + "..." : body);
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
