package dev.hearth.server.tgi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.FinishReason;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.server.ApiError;
import dev.hearth.server.Dialect;
import dev.hearth.server.Fields;
import dev.hearth.server.GenerationRun;
import dev.hearth.server.HearthServer;
import dev.hearth.server.Logprobs;
import dev.hearth.server.ModelCard;
import dev.hearth.server.Routes;
import dev.hearth.server.Sink;
import dev.hearth.server.Streaming;
import io.javalin.http.Context;

import java.util.List;

/** Hugging Face TGI's native API: /generate, /generate_stream (SSE without [DONE]), POST / and /info. */
public final class TgiRoutes {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final HearthServer server;

    public TgiRoutes(HearthServer server) {
        this.server = server;
    }

    public void register(Routes routes) {
        routes.postStreaming("/", "TGI", "TGI compat route: /generate, or /generate_stream when stream is true", """
                {"inputs": "My name is", "parameters": {"max_new_tokens": 20}, "stream": false}""", this::compat);
        routes.post("/generate", "TGI", "Generate text", """
                {"inputs": "My name is", "parameters": {"max_new_tokens": 20, "details": true}}""", ctx -> generate(ctx, false));
        routes.postStreaming("/generate_stream", "TGI", "Generate text as TGI's SSE token events", """
                {"inputs": "My name is", "parameters": {"max_new_tokens": 20}}""", this::stream);
        routes.get("/info", "TGI", "Model and router info", this::info);
    }

    private void compat(Context ctx) throws Exception {
        ObjectNode body = Fields.object(HearthServer.body(ctx));
        if (Fields.bool(body, "stream", false)) stream(ctx, body);
        else generate(ctx, body, true);
    }

    private void generate(Context ctx, boolean asList) throws Exception {
        generate(ctx, Fields.object(HearthServer.body(ctx)), asList);
    }

    private void stream(Context ctx) throws Exception {
        stream(ctx, Fields.object(HearthServer.body(ctx)));
    }

    private record Job(TgiParameters params, GenerationRun run, String inputs) {}

    private Job start(ObjectNode body, boolean streaming) {
        String inputs = Fields.requireString(body, "inputs");
        if (inputs.isEmpty()) throw ApiError.invalid("inputs", "`inputs` cannot be empty");
        TgiParameters p = TgiParameters.read(body, streaming);
        Generator g = server.generator();
        GenerationRun run = GenerationRun.start(g, List.of(new GenerationRequest(new Prompt.Text(inputs), p.sampling(), p.maxNewTokens())),
                server.metrics());
        return new Job(p, run, inputs);
    }

    private void generate(Context ctx, ObjectNode body, boolean asList) throws Exception {
        Job job = start(body, false);
        GenerationRun.Choice c = job.run.collect(ctx, 1).getFirst();
        ObjectNode o = F.objectNode();
        o.put("generated_text", job.params.returnFullText() ? job.inputs + c.text : c.text.toString());
        if (job.params.details()) {
            ObjectNode d = o.putObject("details");
            d.put("finish_reason", finishReason(c.completion.finishReason()));
            d.put("generated_tokens", c.completion.generatedTokens());
            putSeed(d, job.params);
            d.putArray("prefill");
            ArrayNode tokens = d.putArray("tokens");
            for (TokenEvent t : c.tokens) tokens.add(token(t));
            if (job.params.topNTokens() > 0) {
                ArrayNode tops = d.putArray("top_tokens");
                for (TokenEvent t : c.tokens) tops.add(topTokens(t));
            }
        }
        ctx.header("x-prompt-tokens", Integer.toString(c.completion.promptTokens()));
        ctx.header("x-generated-tokens", Integer.toString(c.completion.generatedTokens()));
        JsonNode out = asList ? F.arrayNode().add(o) : o;
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(out));
    }

    /** One SSE event per token; the last token's event carries generated_text (and details when asked). */
    private void stream(Context ctx, ObjectNode body) throws Exception {
        Job job = start(body, true);
        StringBuilder text = new StringBuilder(job.params.returnFullText() ? job.inputs : "");
        TokenEvent[] held = {null};
        int[] index = {0};
        Streaming.pump(ctx, job.run, Sink.Format.TGI_SSE, server.config().pingMillis(), (sink, e) -> {
            switch (e) {
                case GenerationRun.Token t -> {
                    if (held[0] != null) sink.send(event(++index[0], held[0], job.params, null, null));
                    held[0] = t.event();
                    text.append(t.event().text());
                }
                case GenerationRun.Done d -> {
                    Completion c = d.completion();
                    if (c.finishReason() == FinishReason.CANCELLED) return;
                    ObjectNode details = null;
                    if (job.params.details()) {
                        details = F.objectNode();
                        details.put("finish_reason", finishReason(c.finishReason()));
                        details.put("generated_tokens", c.generatedTokens());
                        putSeed(details, job.params);
                        details.put("input_length", c.promptTokens());
                    }
                    TokenEvent last = held[0] != null ? held[0] : new TokenEvent(0, "", null, null);
                    sink.send(event(++index[0], last, job.params, text.toString(), details));
                }
                case GenerationRun.Failed f -> {
                    job.run.cancel();
                    org.slf4j.LoggerFactory.getLogger(TgiRoutes.class)
                            .error("request {} failed while streaming", HearthServer.requestId(ctx), f.error());
                    sink.send(F.objectNode().put("error", "generation failed: " + f.error().getMessage()
                            + " (request id " + HearthServer.requestId(ctx) + ")").put("error_type", "generation"));
                }
            }
        }, sink -> { });
    }

    private static ObjectNode event(int index, TokenEvent t, TgiParameters p, String generated, ObjectNode details) {
        ObjectNode o = F.objectNode();
        o.put("index", index);
        ObjectNode tok = o.putObject("token");
        tok.put("id", t.token());
        tok.put("text", t.text());
        if (t.chosen() != null) tok.put("logprob", t.chosen().logprob());
        else tok.putNull("logprob");
        tok.put("special", false);
        o.put("generated_text", generated);
        o.set("details", details);
        if (p.topNTokens() > 0) o.set("top_tokens", topTokens(t));
        else o.putNull("top_tokens");
        return o;
    }

    private static ObjectNode token(TokenEvent t) {
        ObjectNode o = F.objectNode();
        o.put("id", t.token());
        o.put("text", t.chosen() != null ? Logprobs.text(t.chosen()) : t.text());
        if (t.chosen() != null) o.put("logprob", t.chosen().logprob());
        else o.putNull("logprob");
        o.put("special", false);
        return o;
    }

    private static ArrayNode topTokens(TokenEvent t) {
        ArrayNode a = F.arrayNode();
        if (t.top() != null) {
            for (TokenEvent.Candidate c : t.top()) {
                a.addObject().put("id", c.token()).put("text", Logprobs.text(c)).put("logprob", c.logprob()).put("special", false);
            }
        }
        return a;
    }

    private static void putSeed(ObjectNode d, TgiParameters p) {
        if (p.sampling().seed().isPresent() && !p.sampling().isGreedy()) d.put("seed", p.sampling().seed().getAsLong());
        else d.putNull("seed");
    }

    static String finishReason(FinishReason r) {
        return switch (r) {
            case END_OF_GENERATION -> "eos_token";
            case STOP -> "stop_sequence";
            case LENGTH, CONTEXT_FULL, CANCELLED -> "length";
        };
    }

    private void info(Context ctx) throws Exception {
        if (server.loading()) throw new ApiError(ApiError.Kind.LOADING, "the model is still loading", null, null);
        ModelCard c = server.card();
        int ctxLen;
        try {
            ctxLen = server.generator().info().contextLength();
        } catch (ApiError noEngine) {
            ctxLen = c == null || c.meta().nCtxTrain() == null ? 0 : c.meta().nCtxTrain().intValue();
        }
        ObjectNode o = F.objectNode();
        o.put("model_id", c == null ? null : c.id());
        o.putNull("model_sha");
        o.put("model_dtype", "gguf");
        o.put("model_device_type", "cpu");
        o.put("model_pipeline_tag", "text-generation");
        o.put("max_concurrent_requests", 128);
        o.put("max_best_of", 1);
        o.put("max_stop_sequences", TgiParameters.MAX_STOP_SEQUENCES);
        o.put("max_input_tokens", Math.max(0, ctxLen - 1));
        o.put("max_total_tokens", ctxLen);
        o.put("validation_workers", 1);
        o.put("max_client_batch_size", 1);
        o.put("router", "text-generation-router");
        o.put("version", "hearth");
        o.putNull("sha");
        o.putNull("docker_label");
        ctx.contentType("application/json").result(Fields.JSON.writeValueAsString(o));
    }

}
