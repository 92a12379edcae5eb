package dev.hearth.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.FinishReason;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.server.ApiError;
import dev.hearth.server.ChatPlan;
import dev.hearth.server.Dialect;
import dev.hearth.server.Fields;
import dev.hearth.server.GenerationRun;
import dev.hearth.server.HearthServer;
import dev.hearth.server.Logprobs;
import dev.hearth.server.ReasoningFormat;
import dev.hearth.server.ModelCard;
import dev.hearth.server.ModelRegistry;
import dev.hearth.server.Routes;
import dev.hearth.server.Sink;
import dev.hearth.server.Streaming;
import dev.hearth.server.ToolChoice;
import io.javalin.http.Context;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** OpenAI's chat/completions/models routes, with and without the /v1 prefix, as llama.cpp's server serves them. */
public final class OpenAiRoutes {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String FINGERPRINT = "hearth";
    private static final SecureRandom RANDOM = new SecureRandom();

    static final String CHAT_EXAMPLE = """
            {"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 32, "stream": false}""";
    static final String COMPLETION_EXAMPLE = """
            {"prompt": "Once upon a time", "max_tokens": 32}""";

    private final HearthServer server;

    public OpenAiRoutes(HearthServer server) {
        this.server = server;
    }

    public void register(Routes routes) {
        for (String p : List.of("/v1", "")) {
            routes.postStreaming(p + "/chat/completions", "OpenAI", "Chat completion (SSE when stream is true)", CHAT_EXAMPLE, this::chat);
            routes.postStreaming(p + "/completions", "OpenAI", "Text completion (SSE when stream is true)", COMPLETION_EXAMPLE, this::completions);
            routes.get(p + "/models", "OpenAI", "The served model", this::models);
            routes.get(p + "/models/<id>", "OpenAI", "One model by id", this::model);
        }
    }

    record ModelList(String object, List<ModelCard> data) {}

    private void models(Context ctx) {
        if (server.loading()) throw new ApiError(ApiError.Kind.LOADING, "the model is still loading", null, "model_loading");
        ctx.json(new ModelList("list", server.models().all().stream().map(ModelRegistry.Model::card).toList()));
    }

    private void model(Context ctx) {
        if (server.loading()) throw new ApiError(ApiError.Kind.LOADING, "the model is still loading", null, "model_loading");
        String id = ctx.pathParam("id");
        ModelRegistry.Model m = server.models().find(id);
        if (m == null) {
            throw ApiError.notFound("The model '" + id + "' does not exist", "model_not_found");
        }
        ctx.json(m.card());
    }

    private void chat(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        OpenAiRequest req = OpenAiRequest.read(body, true);
        server.checkModel(req.model());
        List<Map<String, Object>> messages = Messages.read(body.get("messages"));
        List<Map<String, Object>> tools = Messages.tools(body);
        ToolChoice choice = Messages.toolChoice(body, tools);
        boolean parallel = Fields.bool(body, "parallel_tool_calls", true);
        ReasoningFormat reasoning = server.config().reasoningFormat();
        String rf = Fields.string(body, "reasoning_format", null);
        if (rf != null) {
            try {
                reasoning = ReasoningFormat.parse(rf);
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("reasoning_format", e.getMessage());
            }
        }
        Generator g = server.generator(req.model());
        ChatPlan plan = ChatPlan.of(g, messages, tools, choice, Fields.bool(body, "add_generation_prompt", true),
                Messages.templateKwargs(body), reasoning == ReasoningFormat.DEEPSEEK);
        String grammarField = Fields.has(body, "grammar") ? "grammar" : Fields.has(body, "json_schema") ? "json_schema" : "response_format";
        req = req.withSampling(plan.withToolGrammar(req.sampling(), parallel, grammarField));
        GenerationRun run = GenerationRun.start(g, req.requests(plan.prompt(), plan.specialTokenText()), server.metrics());
        Envelope env = new Envelope("chatcmpl-" + randomId(), modelName(req));
        Supplier<AssistantReply> replies = () -> new AssistantReply(plan.parser(), parallel);
        if (req.stream()) {
            streamChat(ctx, run, req, env, replies);
            return;
        }
        respond(ctx, chatResult(run.collect(ctx, req.n()), req, env, replies));
    }

    private void completions(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        OpenAiRequest req = OpenAiRequest.read(body, false);
        server.checkModel(req.model());
        if (Fields.has(body, "suffix")) throw ApiError.invalid("suffix", "'suffix' (fill-in-the-middle) is not supported");
        if (Fields.bool(body, "echo", false)) throw ApiError.invalid("echo", "'echo' is not supported");
        Integer bestOf = Fields.integer(body, "best_of");
        if (bestOf != null && bestOf != 1) throw ApiError.invalid("best_of", "best_of other than 1 is not supported; use n");
        List<Prompt> prompts = Prompts.read(body.get("prompt"));
        if (prompts.size() > 1 && req.stream()) {
            throw ApiError.invalid("prompt", "streaming supports one prompt per request, got " + prompts.size());
        }
        Generator g = server.generator(req.model());
        List<GenerationRequest> all = new ArrayList<>();
        for (Prompt p : prompts) all.addAll(req.requests(p));
        GenerationRun run = GenerationRun.start(g, all, server.metrics());
        Envelope env = new Envelope("cmpl-" + randomId(), modelName(req));
        if (req.stream()) {
            streamCompletion(ctx, run, req, env);
            return;
        }
        respond(ctx, completionResult(run.collect(ctx, all.size()), req, env, prompts.size()));
    }

    private String modelName(OpenAiRequest req) {
        return req.model() != null && !req.model().isEmpty() ? req.model() : server.modelId();
    }

    /** The fields every response and chunk starts with, in OpenAI's order. */
    record Envelope(String id, String model) {
        ObjectNode start(String object) {
            ObjectNode o = F.objectNode();
            o.put("id", id);
            o.put("object", object);
            o.put("created", System.currentTimeMillis() / 1000);
            o.put("model", model);
            o.put("system_fingerprint", FINGERPRINT);
            return o;
        }
    }

    static String randomId() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder(32);
        for (int i = 0; i < 32; i++) b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return b.toString();
    }

    static String finishReason(FinishReason r) {
        return switch (r) {
            case LENGTH, CONTEXT_FULL -> "length";
            case END_OF_GENERATION, STOP, CANCELLED -> "stop";
        };
    }

    /** A reply that ended naturally with calls in it ends with "tool_calls". */
    static String chatFinishReason(FinishReason r, AssistantReply reply) {
        String reason = finishReason(r);
        return reason.equals("stop") && r != FinishReason.CANCELLED && reply.hasToolCalls() ? "tool_calls" : reason;
    }

    static ObjectNode usage(List<Completion> completions, int prompts) {
        // OpenAI counts each distinct prompt once, however many choices it had
        int promptTokens = 0, cached = 0, generated = 0;
        int perPrompt = completions.size() / Math.max(1, prompts);
        for (int i = 0; i < completions.size(); i++) {
            Completion c = completions.get(i);
            if (c == null) continue;
            if (i % perPrompt == 0) {
                promptTokens += c.promptTokens();
                cached += c.cachedPromptTokens();
            }
            generated += c.generatedTokens();
        }
        ObjectNode u = F.objectNode();
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", generated);
        u.put("total_tokens", promptTokens + generated);
        u.putObject("prompt_tokens_details").put("cached_tokens", cached);
        return u;
    }

    static ObjectNode timings(Completion c) {
        ObjectNode t = F.objectNode();
        int processed = c.promptTokens() - c.cachedPromptTokens();
        double promptMs = c.promptNanos() / 1e6, predictedMs = c.generationNanos() / 1e6;
        t.put("cache_n", c.cachedPromptTokens());
        t.put("prompt_n", processed);
        t.put("prompt_ms", promptMs);
        t.put("prompt_per_token_ms", processed == 0 ? 0 : promptMs / processed);
        t.put("prompt_per_second", promptMs == 0 ? 0 : processed * 1000 / promptMs);
        t.put("predicted_n", c.generatedTokens());
        t.put("predicted_ms", predictedMs);
        t.put("predicted_per_token_ms", c.generatedTokens() == 0 ? 0 : predictedMs / c.generatedTokens());
        t.put("predicted_per_second", predictedMs == 0 ? 0 : c.generatedTokens() * 1000 / predictedMs);
        return t;
    }

    private ObjectNode chatResult(List<GenerationRun.Choice> choices, OpenAiRequest req, Envelope env,
                                  Supplier<AssistantReply> replies) {
        ObjectNode o = env.start("chat.completion");
        ArrayNode arr = o.putArray("choices");
        List<Completion> done = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            GenerationRun.Choice c = choices.get(i);
            ObjectNode ch = arr.addObject();
            ch.put("index", i);
            AssistantReply reply = replies.get();
            reply.feed(c.text.toString());
            reply.finish();
            ch.set("message", reply.message());
            if (req.logprobs()) {
                ArrayNode content = ch.putObject("logprobs").putArray("content");
                for (var t : c.tokens) {
                    ObjectNode e = Logprobs.openAiEntry(t, req.topLogprobs() > 0);
                    if (e != null) content.add(e);
                }
            } else {
                ch.putNull("logprobs");
            }
            ch.put("finish_reason", chatFinishReason(c.completion.finishReason(), reply));
            done.add(c.completion);
        }
        o.set("usage", usage(done, 1));
        o.set("timings", timings(done.getFirst()));
        return o;
    }

    private ObjectNode completionResult(List<GenerationRun.Choice> choices, OpenAiRequest req, Envelope env, int prompts) {
        ObjectNode o = env.start("text_completion");
        ArrayNode arr = o.putArray("choices");
        List<Completion> done = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            GenerationRun.Choice c = choices.get(i);
            ObjectNode ch = arr.addObject();
            ch.put("text", c.text.toString());
            ch.put("index", i);
            if (req.logprobs()) ch.set("logprobs", LegacyLogprobs.of(c.tokens, req.topLogprobs()));
            else ch.putNull("logprobs");
            ch.put("finish_reason", finishReason(c.completion.finishReason()));
            done.add(c.completion);
        }
        o.set("usage", usage(done, prompts));
        return o;
    }

    private void streamChat(Context ctx, GenerationRun run, OpenAiRequest req, Envelope env, Supplier<AssistantReply> replies)
            throws InterruptedException {
        Completion[] done = new Completion[req.n()];
        boolean[] started = new boolean[req.n()];
        AssistantReply[] reply = new AssistantReply[req.n()];
        for (int k = 0; k < reply.length; k++) reply[k] = replies.get();
        boolean[] failed = {false};
        Streaming.pump(ctx, run, Sink.Format.SSE, server.config().pingMillis(), (sink, e) -> {
            if (failed[0]) return;
            int i = e.index();
            if (!started[i]) {
                started[i] = true;
                ObjectNode delta = F.objectNode().put("role", "assistant").putNull("content");
                sink.send(chunk(env, i, delta, null, null));
            }
            switch (e) {
                case GenerationRun.Token t -> {
                    ObjectNode lp = null;
                    if (req.logprobs()) {
                        ObjectNode entry = Logprobs.openAiEntry(t.event(), req.topLogprobs() > 0);
                        if (entry != null) (lp = F.objectNode()).putArray("content").add(entry);
                    }
                    List<ObjectNode> deltas = reply[i].feed(t.event().text());
                    if (deltas.isEmpty() && lp != null) deltas = List.of(F.objectNode().put("content", ""));
                    for (int k = 0; k < deltas.size(); k++) sink.send(chunk(env, i, deltas.get(k), k == 0 ? lp : null, null));
                }
                case GenerationRun.Done d -> {
                    done[i] = d.completion();
                    for (ObjectNode delta : reply[i].finish()) sink.send(chunk(env, i, delta, null, null));
                    ObjectNode c = chunk(env, i, F.objectNode(), null, chatFinishReason(d.completion().finishReason(), reply[i]));
                    c.set("timings", timings(d.completion()));
                    sink.send(c);
                }
                case GenerationRun.Failed f -> {
                    failed[0] = true;
                    run.cancel();
                    sink.send(streamError(ctx, f.error()));
                }
            }
        }, sink -> {
            if (req.includeUsage() && !failed[0]) {
                ObjectNode u = env.start("chat.completion.chunk");
                u.putArray("choices");
                u.set("usage", usage(Arrays.asList(done), 1));
                sink.send(u);
            }
            sink.data("[DONE]");
        });
    }

    private void streamCompletion(Context ctx, GenerationRun run, OpenAiRequest req, Envelope env) throws InterruptedException {
        Completion[] done = new Completion[req.n()];
        boolean[] failed = {false};
        Streaming.pump(ctx, run, Sink.Format.SSE, server.config().pingMillis(), (sink, e) -> {
            if (failed[0]) return;
            int i = e.index();
            switch (e) {
                case GenerationRun.Token t -> {
                    if (t.event().text().isEmpty() && !req.logprobs()) return;
                    ObjectNode c = env.start("text_completion");
                    ObjectNode ch = c.putArray("choices").addObject();
                    ch.put("text", t.event().text());
                    ch.put("index", i);
                    if (req.logprobs()) ch.set("logprobs", LegacyLogprobs.of(List.of(t.event()), req.topLogprobs()));
                    else ch.putNull("logprobs");
                    ch.putNull("finish_reason");
                    sink.send(c);
                }
                case GenerationRun.Done d -> {
                    done[i] = d.completion();
                    ObjectNode c = env.start("text_completion");
                    ObjectNode ch = c.putArray("choices").addObject();
                    ch.put("text", "");
                    ch.put("index", i);
                    ch.putNull("logprobs");
                    ch.put("finish_reason", finishReason(d.completion().finishReason()));
                    c.set("timings", timings(d.completion()));
                    sink.send(c);
                }
                case GenerationRun.Failed f -> {
                    failed[0] = true;
                    run.cancel();
                    sink.send(streamError(ctx, f.error()));
                }
            }
        }, sink -> {
            if (req.includeUsage() && !failed[0]) {
                ObjectNode u = env.start("text_completion");
                u.putArray("choices");
                u.set("usage", usage(Arrays.asList(done), 1));
                sink.send(u);
            }
            sink.data("[DONE]");
        });
    }

    private static ObjectNode chunk(Envelope env, int index, ObjectNode delta, ObjectNode logprobs, String finish) {
        ObjectNode c = env.start("chat.completion.chunk");
        ObjectNode ch = c.putArray("choices").addObject();
        ch.put("index", index);
        ch.set("delta", delta);
        if (logprobs == null) ch.putNull("logprobs");
        else ch.set("logprobs", logprobs);
        if (finish == null) ch.putNull("finish_reason");
        else ch.put("finish_reason", finish);
        return c;
    }

    /** An engine failure after the stream began: OpenAI's error object as a data event (then [DONE]). */
    static ObjectNode streamError(Context ctx, Throwable t) {
        ApiError e = GenerationRun.failed(t);
        LoggerFactory.getLogger(OpenAiRoutes.class).error("request {} failed while streaming", HearthServer.requestId(ctx), t);
        return Dialect.OPENAI.body(new ApiError(e.kind(), e.getMessage() + " (request id " + HearthServer.requestId(ctx) + ")", null, null));
    }

    static void respond(Context ctx, JsonNode body) throws Exception {
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(body));
    }

}
