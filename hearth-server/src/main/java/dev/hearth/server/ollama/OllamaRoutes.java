package dev.hearth.server.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.ModelInfo;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.sampling.SamplingParameterException;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.server.ApiError;
import dev.hearth.server.Fields;
import dev.hearth.server.GenerationRun;
import dev.hearth.server.HearthServer;
import dev.hearth.server.Logprobs;
import dev.hearth.server.ModelCard;
import dev.hearth.server.Routes;
import dev.hearth.server.SamplingFields;
import dev.hearth.server.StructuredOutput;
import dev.hearth.server.Sink;
import dev.hearth.server.Streaming;
import dev.hearth.server.openai.Messages;
import io.javalin.http.Context;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Ollama's native API: NDJSON streams by default, durations in nanoseconds, errors as {@code {"error": "..."}}.
 * {@code GET /} answers "Ollama is running" as Ollama does (clients probe it); a web UI would need to take {@code /}
 * over for browsers (e.g. by the Accept header).
 */
public final class OllamaRoutes {
    /** The Ollama API level this emulates (clients compare it against minimum versions). */
    static final String OLLAMA_VERSION = "0.6.0";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final HearthServer server;

    public OllamaRoutes(HearthServer server) {
        this.server = server;
    }

    public void register(Routes routes) {
        routes.get("/", "Ollama", "\"Ollama is running\"", this::root);
        routes.head("/", this::root);
        routes.get("/api/version", "Ollama", "Ollama API version", this::version);
        routes.head("/api/version", this::version);
        routes.get("/api/tags", "Ollama", "Local models", this::tags);
        routes.head("/api/tags", this::tags);
        routes.get("/api/ps", "Ollama", "Loaded models", this::ps);
        routes.post("/api/show", "Ollama", "Model details", """
                {"model": "MODEL"}""", this::show);
        routes.postStreaming("/api/generate", "Ollama", "Completion (NDJSON stream unless stream is false)", """
                {"model": "MODEL", "prompt": "Why is the sky blue?", "stream": false}""", this::generate);
        routes.postStreaming("/api/chat", "Ollama", "Chat (NDJSON stream unless stream is false)", """
                {"model": "MODEL", "messages": [{"role": "user", "content": "Hello"}], "stream": false}""", this::chat);
    }

    private void root(Context ctx) {
        ctx.contentType("text/plain; charset=utf-8").result("Ollama is running");
    }

    private void version(Context ctx) {
        ctx.json(Map.of("version", OLLAMA_VERSION));
    }

    private String name() {
        return server.modelId() + ":latest";
    }

    private ObjectNode entry() {
        ModelCard c = requireCard();
        ObjectNode m = F.objectNode();
        m.put("name", name());
        m.put("model", name());
        m.put("modified_at", Instant.ofEpochSecond(c.created()).toString());
        m.put("size", c.meta().fileSize());
        m.put("digest", "");
        m.set("details", details(c));
        return m;
    }

    private ModelCard requireCard() {
        if (server.loading()) throw new ApiError(ApiError.Kind.LOADING, "the model is still loading", null, null);
        ModelCard c = server.card();
        if (c == null) throw ApiError.notFound("no model is loaded", null);
        return c;
    }

    private static ObjectNode details(ModelCard c) {
        ObjectNode d = F.objectNode();
        String arch = c.meta().architecture() == null ? "" : c.meta().architecture();
        d.put("parent_model", "");
        d.put("format", "gguf");
        d.put("family", arch);
        d.putArray("families").add(arch);
        d.put("parameter_size", parameterSize(c.meta().nParams()));
        d.put("quantization_level", Quantization.level(c.id()));
        return d;
    }

    static String parameterSize(long n) {
        if (n >= 1_000_000_000L) return String.format(java.util.Locale.ROOT, "%.1fB", n / 1e9);
        if (n >= 1_000_000L) return String.format(java.util.Locale.ROOT, "%.0fM", n / 1e6);
        return Long.toString(n);
    }

    private void tags(Context ctx) throws Exception {
        ObjectNode o = F.objectNode();
        ArrayNode models = o.putArray("models");
        if (!server.loading() && server.card() != null) models.add(entry());
        respond(ctx, o);
    }

    private void ps(Context ctx) throws Exception {
        ObjectNode o = F.objectNode();
        ArrayNode models = o.putArray("models");
        if (!server.loading() && server.card() != null) {
            ObjectNode m = entry();
            m.remove("modified_at");
            m.put("expires_at", "2318-08-22T00:00:00Z"); // never unloaded: Ollama's far-future stamp for keep_alive -1
            m.put("size_vram", 0);
            try {
                m.put("context_length", server.generator().info().contextLength());
            } catch (ApiError noEngine) {
                // metadata-only build: no context length to report
            }
            models.add(m);
        }
        respond(ctx, o);
    }

    private void show(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String model = Fields.string(body, "model", Fields.string(body, "name", null));
        if (model == null) throw ApiError.invalid("model", "model is required");
        checkModel(model);
        ModelCard c = requireCard();
        ObjectNode o = F.objectNode();
        o.put("modelfile", "");
        o.put("parameters", "");
        ObjectNode info = F.objectNode();
        info.put("general.architecture", c.meta().architecture());
        info.put("general.parameter_count", c.meta().nParams());
        String template = "";
        try {
            ModelInfo mi = server.generator().info();
            template = mi.chatTemplate() == null ? "" : mi.chatTemplate();
            if (mi.metadata() != null) {
                mi.metadata().forEach((k, v) -> {
                    if (!k.startsWith("tokenizer.ggml.")) info.putPOJO(k, v);
                });
            }
            info.put(c.meta().architecture() + ".context_length", mi.trainedContextLength());
        } catch (ApiError noEngine) {
            if (c.meta().nCtxTrain() != null) info.put(c.meta().architecture() + ".context_length", c.meta().nCtxTrain());
        }
        o.put("template", template);
        o.set("details", details(c));
        o.set("model_info", info);
        o.putArray("capabilities").add("completion");
        o.put("modified_at", Instant.ofEpochSecond(c.created()).toString());
        respond(ctx, o);
    }

    private void checkModel(String model) {
        try {
            server.checkModel(model);
        } catch (ApiError e) {
            if (e.kind() == ApiError.Kind.NOT_FOUND) throw ApiError.notFound("model '" + model + "' not found", null);
            throw e;
        }
    }

    private void generate(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String model = Fields.string(body, "model", null);
        if (model == null || model.isEmpty()) throw ApiError.invalid("model", "model is required");
        checkModel(model);
        unsupported(body);
        if (Fields.has(body, "suffix") && !Fields.string(body, "suffix", "").isEmpty()) {
            throw ApiError.invalid("suffix", "suffix (fill-in-the-middle) is not supported");
        }
        String text = Fields.string(body, "prompt", "");
        Generator g = server.generator();
        if (text.isEmpty()) {
            respond(ctx, loaded(model, "load", F.objectNode().put("response", "")));
            return;
        }
        Prompt prompt;
        if (Fields.bool(body, "raw", false)) {
            prompt = new Prompt.Text(text);
        } else {
            List<Map<String, Object>> msgs = new ArrayList<>();
            String system = Fields.string(body, "system", null);
            if (system != null && !system.isEmpty()) msgs.add(Map.of("role", "system", "content", system));
            msgs.add(Map.of("role", "user", "content", text));
            prompt = new Prompt.Chat(msgs, null, true, null);
        }
        run(ctx, body, model, g, prompt, false);
    }

    private void chat(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String model = Fields.string(body, "model", null);
        if (model == null || model.isEmpty()) throw ApiError.invalid("model", "model is required");
        checkModel(model);
        unsupported(body);
        JsonNode messages = body.get("messages");
        Generator g = server.generator();
        if (messages == null || messages.isNull() || messages.isArray() && messages.isEmpty()) {
            ObjectNode msg = F.objectNode().put("role", "assistant").put("content", "");
            ObjectNode r = F.objectNode();
            r.set("message", msg);
            respond(ctx, loaded(model, "load", r));
            return;
        }
        for (JsonNode m : messages) {
            if (m.has("images") && !m.get("images").isNull() && !m.get("images").isEmpty()) {
                throw ApiError.invalid("images", "images are not supported: this model takes text only");
            }
        }
        Prompt prompt = new Prompt.Chat(Messages.read(messages), Messages.tools(body), true, think(body));
        run(ctx, body, model, g, prompt, true);
    }

    private static Map<String, Object> think(ObjectNode body) {
        Boolean think = body.has("think") && body.get("think").isBoolean() ? body.get("think").asBoolean() : null;
        return think == null ? Map.of() : Map.of("enable_thinking", think);
    }

    private static void unsupported(ObjectNode body) {
        JsonNode images = body.get("images");
        if (images != null && images.isArray() && !images.isEmpty()) {
            throw ApiError.invalid("images", "images are not supported: this model takes text only");
        }
    }

    private ObjectNode loaded(String model, String reason, ObjectNode fields) {
        ObjectNode o = F.objectNode();
        o.put("model", model);
        o.put("created_at", Instant.now().toString());
        o.setAll(fields);
        o.put("done", true);
        o.put("done_reason", reason);
        return o;
    }

    private void run(Context ctx, ObjectNode body, String model, Generator g, Prompt prompt, boolean chat) throws Exception {
        ObjectNode options = Fields.objectField(body, "options");
        if (options == null) options = F.objectNode();
        Integer max = Fields.integer(options, "num_predict");
        boolean logprobs = Fields.bool(body, "logprobs", false);
        Integer top = Fields.integer(body, "top_logprobs");
        if (top != null && (top < 0 || top > 20)) throw ApiError.invalid("top_logprobs", "top_logprobs must be between 0 and 20");
        SamplingParams sampling;
        try {
            SamplingParams.Builder b = SamplingFields.read(options).logprobs(logprobs).topLogprobs(logprobs && top != null ? top : 0);
            StructuredOutput.ollama(body.get("format"), b);
            sampling = b.build();
        } catch (SamplingParameterException e) {
            throw ApiError.invalid(e.parameter(), e.getMessage());
        }
        int maxTokens = max == null || max < 0 ? -1 : Math.max(max, 1);
        GenerationRun run = GenerationRun.start(g, List.of(new GenerationRequest(prompt, sampling, maxTokens)), server.metrics());
        long start = run.startNanos();
        if (!Fields.bool(body, "stream", true)) {
            ctx.attribute(HearthServer.RUN, run);
            GenerationRun.Choice c = run.collect(1).getFirst();
            ObjectNode o = line(model, chat, c.text.toString());
            if (logprobs) o.set("logprobs", logprobs(c.tokens, top != null && top > 0));
            finish(o, c.completion, start);
            respond(ctx, o);
            return;
        }
        Streaming.pump(ctx, run, Sink.Format.NDJSON, server.config().pingMillis(), (sink, e) -> {
            switch (e) {
                case GenerationRun.Token t -> {
                    if (t.event().text().isEmpty() && !logprobs) return;
                    ObjectNode o = line(model, chat, t.event().text());
                    if (logprobs) o.set("logprobs", logprobs(List.of(t.event()), top != null && top > 0));
                    o.put("done", false);
                    sink.send(o);
                }
                case GenerationRun.Done d -> sink.send(finish(line(model, chat, ""), d.completion(), start));
                case GenerationRun.Failed f -> {
                    run.cancel();
                    org.slf4j.LoggerFactory.getLogger(OllamaRoutes.class)
                            .error("request {} failed while streaming", HearthServer.requestId(ctx), f.error());
                    sink.send(F.objectNode().put("error", "generation failed: " + f.error().getMessage()
                            + " (request id " + HearthServer.requestId(ctx) + ")"));
                }
            }
        }, sink -> { });
    }

    private static ObjectNode line(String model, boolean chat, String text) {
        ObjectNode o = F.objectNode();
        o.put("model", model);
        o.put("created_at", Instant.now().toString());
        if (chat) o.putObject("message").put("role", "assistant").put("content", text);
        else o.put("response", text);
        return o;
    }

    private static ObjectNode finish(ObjectNode o, Completion c, long startNanos) {
        o.put("done", true);
        o.put("done_reason", switch (c.finishReason()) {
            case LENGTH, CONTEXT_FULL -> "length";
            case END_OF_GENERATION, STOP -> "stop";
            case CANCELLED -> "";
        });
        o.put("total_duration", System.nanoTime() - startNanos);
        o.put("load_duration", 0);
        o.put("prompt_eval_count", c.promptTokens());
        o.put("prompt_eval_duration", c.promptNanos());
        o.put("eval_count", c.generatedTokens());
        o.put("eval_duration", c.generationNanos());
        return o;
    }

    private static ArrayNode logprobs(List<TokenEvent> events, boolean withTop) {
        ArrayNode a = F.arrayNode();
        for (TokenEvent e : events) {
            ObjectNode entry = Logprobs.openAiEntry(e, withTop);
            if (entry != null) a.add(entry);
        }
        return a;
    }

    private static void respond(Context ctx, JsonNode body) throws Exception {
        ctx.contentType("application/json; charset=utf-8").result(Fields.JSON.writeValueAsString(body));
    }
}
