package dev.hearth.server.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.chat.ChatDelta;
import dev.hearth.engine.chat.ChatFormat;
import dev.hearth.engine.chat.ChatOutputParser;
import dev.hearth.engine.chat.ChatReply;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.ModelInfo;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.sampling.SamplingParameterException;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.server.ApiError;
import dev.hearth.server.ChatPlan;
import dev.hearth.server.Fields;
import dev.hearth.server.GenerationRun;
import dev.hearth.server.HearthServer;
import dev.hearth.server.KeepAlive;
import dev.hearth.server.Logprobs;
import dev.hearth.server.ModelCard;
import dev.hearth.server.ModelRegistry;
import dev.hearth.server.ReasoningFormat;
import dev.hearth.server.Routes;
import dev.hearth.server.SamplingFields;
import dev.hearth.server.StructuredOutput;
import dev.hearth.server.Sink;
import dev.hearth.server.Streaming;
import dev.hearth.server.ToolChoice;
import dev.hearth.server.openai.Messages;
import dev.hearth.server.web.ChatPage;
import io.javalin.http.Context;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Ollama's native API: NDJSON streams by default, durations in nanoseconds, errors as {@code {"error": "..."}}.
 * {@code GET /} answers "Ollama is running" as Ollama does (clients probe it), except to a browser (Accept:
 * text/html), which gets the chat page.
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
        routes.get("/", "Ollama", "\"Ollama is running\"; the chat page when the client accepts text/html (a browser)", this::root);
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
        if (ChatPage.wanted(ctx)) {
            server.chatPage().serve(ctx);
            return;
        }
        ctx.contentType("text/plain; charset=utf-8").result("Ollama is running");
    }

    private void version(Context ctx) {
        ctx.json(Map.of("version", OLLAMA_VERSION));
    }

    private static String name(ModelCard c) {
        return c.id() + ":latest";
    }

    private static ObjectNode entry(ModelCard c) {
        ObjectNode m = F.objectNode();
        m.put("name", name(c));
        m.put("model", name(c));
        m.put("modified_at", Instant.ofEpochSecond(c.created()).toString());
        m.put("size", c.meta().fileSize());
        m.put("digest", "");
        m.set("details", details(c));
        return m;
    }

    private ModelCard requireCard(String model) {
        if (server.loading()) throw new ApiError(ApiError.Kind.LOADING, "the model is still loading", null, null);
        return server.models().resolve(model).card();
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
        if (!server.loading()) for (ModelRegistry.Model m : server.models().all()) models.add(entry(m.card()));
        respond(ctx, o);
    }

    private void ps(Context ctx) throws Exception {
        ObjectNode o = F.objectNode();
        ArrayNode models = o.putArray("models");
        if (!server.loading()) {
            for (ModelRegistry.Model loaded : server.models().loadedModels()) {
                ObjectNode m = entry(loaded.card());
                m.remove("modified_at");
                m.put("expires_at", loaded.expiresAt().toString());
                m.put("size_vram", 0);
                ModelInfo info = loaded.info(); // null in a metadata-only build
                if (info != null) m.put("context_length", info.contextLength());
                models.add(m);
            }
        }
        respond(ctx, o);
    }

    private void show(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String model = Fields.string(body, "model", Fields.string(body, "name", null));
        if (model == null) throw ApiError.invalid("model", "model is required");
        checkModel(model);
        ModelCard c = requireCard(model);
        ObjectNode o = F.objectNode();
        o.put("modelfile", "");
        o.put("parameters", "");
        ObjectNode info = F.objectNode();
        info.put("general.architecture", c.meta().architecture());
        info.put("general.parameter_count", c.meta().nParams());
        String template = "";
        try {
            ModelInfo mi = server.generator(model).info();
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
        ArrayNode capabilities = o.putArray("capabilities").add("completion");
        ChatFormat format = ChatFormat.detect(template);
        if (format.rendersTools()) capabilities.add("tools");
        if (format.thinks()) capabilities.add("thinking");
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
        keepAlive(body, model);
        Generator g = server.generator(model);
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
        run(ctx, body, model, g, prompt, null);
    }

    private void chat(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String model = Fields.string(body, "model", null);
        if (model == null || model.isEmpty()) throw ApiError.invalid("model", "model is required");
        checkModel(model);
        unsupported(body);
        JsonNode messages = body.get("messages");
        keepAlive(body, model);
        Generator g = server.generator(model);
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
        // think: false keeps any thinking inline (and asks templates that can for none); true returns it apart
        Boolean think = body.has("think") && body.get("think").isBoolean() ? body.get("think").asBoolean() : null;
        boolean separate = think == null ? server.config().reasoningFormat() == ReasoningFormat.DEEPSEEK : think;
        ChatPlan plan = ChatPlan.of(g, Messages.read(messages), Messages.tools(body), ToolChoice.AUTO, true,
                think == null ? Map.of() : Map.of("enable_thinking", think), separate);
        run(ctx, body, model, g, plan.prompt(), plan);
    }

    /** Ollama's {@code keep_alive} (absent: the server's --keep-alive): seconds, or a duration like "5m", "1h", "0" (unload after), "-1" (stay). */
    private void keepAlive(ObjectNode body, String model) {
        if (server.loading()) return;
        JsonNode k = body.get("keep_alive");
        Duration d;
        if (k == null || k.isNull()) {
            d = null; // the server's
        } else if (k.isNumber()) {
            d = Duration.ofMillis(Math.round(k.asDouble() * 1000));
        } else if (k.isTextual()) {
            try {
                d = KeepAlive.parse(k.asText());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("keep_alive", "keep_alive: " + e.getMessage());
            }
        } else {
            throw Fields.wrongType("keep_alive", "a duration string or a number of seconds", k);
        }
        server.models().keepAlive(server.models().resolve(model), d);
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

    /** A generation for /api/generate ({@code plan} null) or /api/chat (its reply parsed by the plan). */
    private void run(Context ctx, ObjectNode body, String model, Generator g, Prompt prompt, ChatPlan plan) throws Exception {
        boolean chat = plan != null;
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
            // a format constrains the whole reply already: the calls are then parsed as they come
            if (chat && sampling.grammar() == null) sampling = plan.withToolGrammar(sampling, true, "format");
        } catch (SamplingParameterException e) {
            throw ApiError.invalid(e.parameter(), e.getMessage());
        }
        int maxTokens = max == null || max < 0 ? -1 : Math.max(max, 1);
        GenerationRun run = GenerationRun.start(g, List.of(new GenerationRequest(prompt, sampling, maxTokens,
                chat && plan.specialTokenText())), server.metrics());
        long start = run.startNanos();
        if (!Fields.bool(body, "stream", true)) {
            GenerationRun.Choice c = run.collect(ctx, 1).getFirst();
            ObjectNode o = line(model, chat, c.text.toString());
            if (chat) {
                ChatOutputParser parser = plan.parser();
                List<ChatDelta> deltas = new ArrayList<>(parser.feed(c.text.toString()));
                deltas.addAll(parser.finish());
                o.set("message", message(ChatReply.of(deltas)));
            }
            if (logprobs) o.set("logprobs", logprobs(c.tokens, top != null && top > 0));
            finish(o, c.completion, start);
            respond(ctx, o);
            return;
        }
        ChatOutputParser parser = chat ? plan.parser() : null;
        Streaming.pump(ctx, run, Sink.Format.NDJSON, server.config().pingMillis(), (sink, e) -> {
            switch (e) {
                case GenerationRun.Token t -> {
                    List<ObjectNode> lines = new ArrayList<>();
                    if (chat) {
                        for (ChatDelta d : parser.feed(t.event().text())) lines.add(deltaLine(model, d));
                    } else if (!t.event().text().isEmpty()) {
                        lines.add(line(model, false, t.event().text()));
                    }
                    if (lines.isEmpty() && logprobs) lines.add(line(model, chat, ""));
                    for (int k = 0; k < lines.size(); k++) {
                        ObjectNode o = lines.get(k);
                        if (logprobs && k == 0) o.set("logprobs", logprobs(List.of(t.event()), top != null && top > 0));
                        o.put("done", false);
                        sink.send(o);
                    }
                }
                case GenerationRun.Done d -> {
                    if (chat) for (ChatDelta delta : parser.finish()) sink.send(deltaLine(model, delta).put("done", false));
                    sink.send(finish(line(model, chat, ""), d.completion(), start));
                }
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

    /** A stream line for one parsed piece of the reply: content, thinking, or a whole tool call. */
    private static ObjectNode deltaLine(String model, ChatDelta d) {
        ObjectNode o = line(model, true, "");
        o.set("message", switch (d) {
            case ChatDelta.Content c -> message(new ChatReply(c.text(), "", List.of()));
            case ChatDelta.Reasoning r -> message(new ChatReply("", r.text(), List.of()));
            case ChatDelta.ToolCall t -> message(new ChatReply("", "", List.of(t)));
        });
        return o;
    }

    /** Ollama's assistant message: content, thinking when there was some, tool_calls with object arguments. */
    private static ObjectNode message(ChatReply r) {
        ObjectNode m = F.objectNode().put("role", "assistant").put("content", r.content());
        if (!r.reasoning().isEmpty()) m.put("thinking", r.reasoning());
        if (!r.toolCalls().isEmpty()) {
            ArrayNode calls = m.putArray("tool_calls");
            for (ChatDelta.ToolCall c : r.toolCalls()) {
                ObjectNode fn = calls.addObject().putObject("function");
                fn.put("name", c.name());
                fn.set("arguments", arguments(c.arguments()));
            }
        }
        return m;
    }

    /** Ollama gives arguments as an object; text that is not one is passed on as it is. */
    private static JsonNode arguments(String json) {
        try {
            JsonNode n = Fields.JSON.readTree(json);
            if (n != null && n.isObject()) return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException notJson) {
            // below
        }
        return F.textNode(json);
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
