package dev.hearth.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.EngineStats;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.ModelInfo;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.sampling.SamplingParameterException;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.server.ApiError;
import dev.hearth.server.ChatPlan;
import dev.hearth.server.Fields;
import dev.hearth.server.GenerationRun;
import dev.hearth.server.HearthServer;
import dev.hearth.server.Routes;
import dev.hearth.server.SamplingFields;
import dev.hearth.server.openai.Messages;
import io.javalin.http.Context;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's operations routes (health, metrics, props, tokenize, detokenize, apply-template) and the Phi-3 seed
 * project's {@code POST /predict}.
 */
public final class OpsRoutes {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final HearthServer server;

    public OpsRoutes(HearthServer server) {
        this.server = server;
    }

    public void register(Routes routes) {
        routes.get("/health", "Operations", "200 {status: ok} once the model is loaded, 503 before", this::health);
        routes.get("/v1/health", "Operations", "Same as /health", this::health);
        routes.get("/metrics", "Operations", "Prometheus metrics (llamacpp: names)", this::metrics);
        routes.get("/props", "Operations", "Server and model properties (llama.cpp)", this::props);
        routes.post("/tokenize", "Operations", "Text to token ids", """
                {"content": "Hello world", "with_pieces": true}""", this::tokenize);
        routes.post("/detokenize", "Operations", "Token ids to text", """
                {"tokens": [1, 2, 3]}""", this::detokenize);
        routes.post("/apply-template", "Operations", "Render messages through the chat template", """
                {"messages": [{"role": "user", "content": "Hello"}]}""", this::applyTemplate);
        routes.post("/predict", "Operations", "One chat turn: {prompt} to {response, usage}", """
                {"prompt": "What is a GGUF file?"}""", this::predict);
    }

    private void health(Context ctx) {
        if (server.loading()) {
            ctx.status(503).json(Map.of("status", "loading",
                    "error", Map.of("code", 503, "message", "Loading model", "type", "unavailable_error")));
        } else {
            ctx.json(Map.of("status", "ok"));
        }
    }

    private void metrics(Context ctx) {
        EngineStats engine;
        try {
            engine = server.generator().stats();
        } catch (ApiError noEngine) { // loading, or no engine: nothing to report yet
            engine = EngineStats.NONE;
        }
        ctx.header("Process-Start-Time-Unix", Long.toString(server.startedAt()));
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(server.metrics().prometheusText(engine));
    }

    private void props(Context ctx) throws Exception {
        Generator g = server.generator();
        ModelInfo info = g.info();
        ObjectNode o = F.objectNode();
        SamplingParams d = SamplingParams.defaults();
        ObjectNode gen = o.putObject("default_generation_settings");
        gen.put("n_ctx", info.contextLength());
        ObjectNode params = gen.putObject("params");
        params.put("temperature", d.temperature()).put("top_k", d.topK()).put("top_p", d.topP()).put("min_p", d.minP())
                .put("typical_p", d.typicalP()).put("repeat_penalty", d.repeatPenalty()).put("repeat_last_n", d.repeatLastN())
                .put("presence_penalty", d.presencePenalty()).put("frequency_penalty", d.frequencyPenalty()).put("n_predict", -1);
        o.put("total_slots", 1);
        o.put("model_path", info.path());
        o.put("model_alias", info.id());
        o.put("chat_template", info.chatTemplate());
        o.putObject("modalities").put("vision", false).put("audio", false);
        o.put("n_ctx", info.contextLength());
        o.put("n_ctx_train", info.trainedContextLength());
        o.put("n_vocab", info.vocabSize());
        o.put("architecture", info.architecture());
        o.put("build_info", "hearth");
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(o));
    }

    private void tokenize(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String content = Fields.requireString(body, "content");
        boolean addSpecial = Fields.bool(body, "add_special", false);
        boolean parseSpecial = Fields.bool(body, "parse_special", true);
        boolean withPieces = Fields.bool(body, "with_pieces", false);
        Generator g = server.generator();
        int[] ids = g.tokenize(content, addSpecial, parseSpecial);
        ObjectNode o = F.objectNode();
        ArrayNode tokens = o.putArray("tokens");
        for (int id : ids) {
            if (!withPieces) {
                tokens.add(id);
                continue;
            }
            String piece = g.detokenize(new int[]{id});
            ObjectNode t = tokens.addObject().put("id", id);
            if (piece.indexOf('\uFFFD') >= 0) { // not valid UTF-8 alone: llama.cpp gives the bytes
                ArrayNode bytes = t.putArray("piece");
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
            } else {
                t.put("piece", piece);
            }
        }
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(o));
    }

    private void detokenize(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        JsonNode tokens = body.get("tokens");
        if (tokens == null || tokens.isNull()) throw ApiError.invalid("tokens", "'tokens' is required");
        if (!tokens.isArray()) throw Fields.wrongType("tokens", "a list of token ids", tokens);
        Generator g = server.generator();
        int vocab = g.info().vocabSize();
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = tokens.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0 || vocab > 0 && t.asInt() >= vocab) {
                throw ApiError.invalid("tokens", "tokens[" + i + "] must be a token id between 0 and " + (vocab - 1) + ", got " + t);
            }
            ids[i] = t.asInt();
        }
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(F.objectNode().put("content", g.detokenize(ids))));
    }

    private void applyTemplate(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        List<Map<String, Object>> messages = Messages.read(body.get("messages"));
        List<Map<String, Object>> tools = Messages.tools(body);
        Generator g = server.generator();
        String prompt;
        try {
            // the prompt a chat completion would use: messages prepared for the model's family as well
            Prompt.Chat chat = ChatPlan.of(g, messages, tools, Messages.toolChoice(body, tools),
                    Fields.bool(body, "add_generation_prompt", true), Messages.templateKwargs(body), false).prompt();
            prompt = g.renderChat(chat.messages(), chat.tools(), chat.addGenerationPrompt(), chat.extraVariables());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("messages", e.getMessage());
        }
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(F.objectNode().put("prompt", prompt)));
    }

    /** {"prompt": "..."} as one user turn through the chat template; sampling fields as on the OpenAI routes. */
    private void predict(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        String text = Fields.requireString(body, "prompt");
        Integer max = Fields.integer(body, "max_tokens");
        if (max == null) max = Fields.integer(body, "max_new_tokens");
        if (max != null && max < 1) throw ApiError.invalid("max_tokens", "max_tokens must be at least 1, got " + max);
        SamplingParams sampling;
        try {
            sampling = SamplingFields.read(body).build();
        } catch (SamplingParameterException e) {
            throw ApiError.invalid(e.parameter(), e.getMessage());
        }
        Prompt prompt = new Prompt.Chat(List.of(Map.of("role", "user", "content", text)), null, true, null);
        Generator g = server.generator();
        GenerationRun run = GenerationRun.start(g, List.of(new GenerationRequest(prompt, sampling, max == null ? -1 : max)),
                server.metrics());
        GenerationRun.Choice c = run.collect(ctx, 1).getFirst();
        Completion done = c.completion;
        ObjectNode o = F.objectNode();
        o.put("response", c.text.toString());
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", done.promptTokens());
        u.put("completion_tokens", done.generatedTokens());
        u.put("total_tokens", done.promptTokens() + done.generatedTokens());
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(o));
    }
}
