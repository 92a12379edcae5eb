package dev.hearth.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.sampling.SamplingParameterException;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.server.ApiError;
import dev.hearth.server.Fields;
import dev.hearth.server.SamplingFields;
import dev.hearth.server.StructuredOutput;

import java.util.ArrayList;
import java.util.List;

/** The fields /v1/chat/completions and /v1/completions share, read and validated once. */
record OpenAiRequest(String model, int n, int maxTokens, boolean stream, boolean includeUsage, boolean logprobs,
                     int topLogprobs, SamplingParams sampling) {
    static final int MAX_N = 16, MAX_TOP_LOGPROBS = 20;

    /** {@code chat}: logprobs is a boolean plus top_logprobs; legacy completions: logprobs is the top count. */
    static OpenAiRequest read(ObjectNode body, boolean chat) {
        String model = Fields.string(body, "model", null);
        Integer n = Fields.integer(body, "n");
        if (n == null) n = Fields.integer(body, "n_cmpl");
        if (n == null) n = 1;
        if (n < 1 || n > MAX_N) throw ApiError.invalid("n", "n must be between 1 and " + MAX_N + ", got " + n);
        Integer max = Fields.integer(body, "n_predict");
        if (max == null) max = Fields.integer(body, "max_completion_tokens");
        if (max == null) max = Fields.integer(body, "max_tokens");
        if (max == null) max = -1;
        if (max == 0 || max < -1) {
            String param = Fields.has(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
            throw ApiError.invalid(param, param + " must be at least 1, got " + max);
        }
        boolean stream = Fields.bool(body, "stream", false);
        ObjectNode options = Fields.objectField(body, "stream_options");
        boolean includeUsage = options != null && Fields.bool(options, "include_usage", false);
        boolean logprobs;
        int top;
        if (chat) {
            logprobs = Fields.bool(body, "logprobs", false);
            Integer t = Fields.integer(body, "top_logprobs");
            if (t != null && !logprobs) throw ApiError.invalid("top_logprobs", "top_logprobs requires logprobs: true");
            top = t == null ? 0 : t;
        } else {
            JsonNode lp = body.get("logprobs");
            if (lp != null && lp.isBoolean()) {
                logprobs = lp.asBoolean();
                top = 0;
            } else {
                Integer t = Fields.integer(body, "logprobs");
                logprobs = t != null;
                top = t == null ? 0 : t;
            }
        }
        if (top < 0 || top > MAX_TOP_LOGPROBS) {
            throw ApiError.invalid(chat ? "top_logprobs" : "logprobs", (chat ? "top_logprobs" : "logprobs")
                    + " must be between 0 and " + MAX_TOP_LOGPROBS + ", got " + top);
        }
        SamplingParams sampling;
        try {
            SamplingParams.Builder b = SamplingFields.read(body).logprobs(logprobs).topLogprobs(top);
            StructuredOutput.openAi(body, b);
            sampling = b.build();
        } catch (SamplingParameterException e) {
            throw ApiError.invalid(e.parameter(), e.getMessage());
        }
        return new OpenAiRequest(model, n, max, stream, includeUsage, logprobs, top, sampling);
    }

    OpenAiRequest withSampling(SamplingParams s) {
        return new OpenAiRequest(model, n, maxTokens, stream, includeUsage, logprobs, topLogprobs, s);
    }

    List<GenerationRequest> requests(Prompt prompt) {
        return requests(prompt, false);
    }

    /** One generation request per choice; with a seed, choice i uses seed + i so the choices differ. */
    List<GenerationRequest> requests(Prompt prompt, boolean specialTokenText) {
        List<GenerationRequest> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            SamplingParams s = sampling;
            if (i > 0 && sampling.seed().isPresent()) s = sampling.toBuilder().seed(sampling.seed().getAsLong() + i).build();
            out.add(new GenerationRequest(prompt, s, maxTokens, specialTokenText));
        }
        return out;
    }
}
