package dev.hearth.server.tgi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.sampling.SamplingParameterException;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.server.ApiError;
import dev.hearth.server.Fields;
import dev.hearth.server.StructuredOutput;

import java.util.List;

/**
 * TGI's {@code parameters} with TGI's semantics: absent parameters sample; present ones default to greedy unless
 * do_sample or a sampling knob is set. Validation follows TGI's router (answers 422).
 */
record TgiParameters(SamplingParams sampling, int maxNewTokens, boolean details, boolean returnFullText, int topNTokens) {
    static final int MAX_STOP_SEQUENCES = 4, MAX_TOP_N_TOKENS = 5, DEFAULT_MAX_NEW_TOKENS = 1024;

    static TgiParameters read(ObjectNode body, boolean streaming) {
        ObjectNode p = Fields.objectField(body, "parameters");
        boolean absent = p == null;
        if (absent) p = Fields.JSON.createObjectNode();
        Double temperature = Fields.number(p, "temperature");
        Integer topK = Fields.integer(p, "top_k");
        Double topP = Fields.number(p, "top_p");
        Double typicalP = Fields.number(p, "typical_p");
        Double repetition = Fields.number(p, "repetition_penalty");
        Double frequency = Fields.number(p, "frequency_penalty");
        if (temperature != null && temperature <= 0) throw ApiError.invalid("temperature", "`temperature` must be strictly positive");
        if (repetition != null && repetition <= 0) throw ApiError.invalid("repetition_penalty", "`repetition_penalty` must be strictly positive");
        if (frequency != null && (frequency < -2 || frequency > 2)) throw ApiError.invalid("frequency_penalty", "`frequency_penalty` must be >= -2.0 and <= 2.0");
        if (topP != null && (topP <= 0 || topP >= 1)) throw ApiError.invalid("top_p", "`top_p` must be > 0.0 and < 1.0");
        if (typicalP != null && (typicalP <= 0 || typicalP >= 1)) throw ApiError.invalid("typical_p", "`typical_p` must be > 0.0 and < 1.0");
        if (topK != null && topK <= 0) throw ApiError.invalid("top_k", "`top_k` must be strictly positive");
        Integer max = Fields.integer(p, "max_new_tokens");
        if (max != null && max <= 0) throw ApiError.invalid("max_new_tokens", "`max_new_tokens` must be strictly positive");
        List<String> stop = Fields.stringOrList(p, "stop");
        if (stop.size() > MAX_STOP_SEQUENCES) {
            throw ApiError.invalid("stop", "`stop` supports up to " + MAX_STOP_SEQUENCES + " stop sequences. Given: " + stop.size());
        }
        Integer bestOf = Fields.integer(p, "best_of");
        if (bestOf != null && bestOf != 1) throw ApiError.invalid("best_of", "`best_of` != 1 is not supported");
        if (Fields.bool(p, "decoder_input_details", false)) {
            throw ApiError.invalid("decoder_input_details", "`decoder_input_details` is not supported");
        }
        if (Fields.bool(p, "watermark", false)) throw ApiError.invalid("watermark", "`watermark` is not supported");
        Integer topN = Fields.integer(p, "top_n_tokens");
        if (topN != null && (topN < 0 || topN > MAX_TOP_N_TOKENS)) {
            throw ApiError.invalid("top_n_tokens", "`top_n_tokens` must be >= 0 and <= " + MAX_TOP_N_TOKENS + ". Given: " + topN);
        }
        boolean details = Fields.bool(p, "details", false);
        boolean sample = absent || Fields.bool(p, "do_sample", false)
                || temperature != null || topK != null || topP != null || typicalP != null;
        SamplingParams.Builder b = SamplingParams.builder().neutral().minP(0);
        if (!sample) b.temperature(0);
        if (temperature != null) b.temperature(temperature);
        if (topK != null) b.topK(topK);
        if (topP != null) b.topP(topP);
        if (typicalP != null) b.typicalP(typicalP);
        if (repetition != null) b.repeatPenalty(repetition);
        if (frequency != null) b.frequencyPenalty(frequency);
        Long seed = Fields.longValue(p, "seed");
        if (seed != null) b.seed(seed);
        b.stop(stop);
        int top = topN == null ? 0 : topN;
        // streamed events and details carry each token's logprob
        b.logprobs(details || streaming || top > 0).topLogprobs(top);
        StructuredOutput.tgi(p.get("grammar"), b);
        try {
            return new TgiParameters(b.build(), max == null ? DEFAULT_MAX_NEW_TOKENS : max, details,
                    Fields.bool(p, "return_full_text", false), top);
        } catch (SamplingParameterException e) {
            throw ApiError.invalid(e.parameter(), e.getMessage());
        }
    }
}
