package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.sampling.SamplingParams;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The sampling fields that llama.cpp's server, OpenAI and Ollama's {@code options} spell the same way. Range
 * checks are {@link SamplingParams}' own (its exception names the field).
 */
public final class SamplingFields {
    private SamplingFields() {}

    public static SamplingParams.Builder read(JsonNode o) {
        SamplingParams.Builder b = SamplingParams.builder();
        Double d;
        Integer i;
        if ((d = Fields.number(o, "temperature")) != null) b.temperature(d);
        if ((i = Fields.integer(o, "top_k")) != null) b.topK(i);
        if ((d = Fields.number(o, "top_p")) != null) b.topP(d);
        if ((d = Fields.number(o, "min_p")) != null) b.minP(d);
        if ((d = Fields.number(o, "typical_p")) != null) b.typicalP(d);
        if ((i = Fields.integer(o, "min_keep")) != null) b.minKeep(i);
        if ((d = Fields.number(o, "repeat_penalty")) != null) b.repeatPenalty(d);
        if ((i = Fields.integer(o, "repeat_last_n")) != null) b.repeatLastN(i);
        if ((d = Fields.number(o, "presence_penalty")) != null) b.presencePenalty(d);
        if ((d = Fields.number(o, "frequency_penalty")) != null) b.frequencyPenalty(d);
        Long seed = Fields.longValue(o, "seed");
        if (seed != null && seed != -1) b.seed(seed); // -1: random, as llama.cpp
        b.stop(Fields.stringOrList(o, "stop"));
        if (Fields.bool(o, "ignore_eos", false)) b.ignoreEos(true);
        JsonNode ids = o.get("stop_token_ids");
        if (ids != null && !ids.isNull()) {
            if (!ids.isArray()) throw Fields.wrongType("stop_token_ids", "a list of token ids", ids);
            Set<Integer> set = new LinkedHashSet<>();
            for (JsonNode id : ids) {
                if (!id.canConvertToInt() || !id.isIntegralNumber()) throw Fields.wrongType("stop_token_ids", "a list of token ids", ids);
                set.add(id.asInt());
            }
            b.stopTokenIds(set);
        }
        ObjectNode bias = Fields.objectField(o, "logit_bias");
        if (bias != null) b.logitBias(logitBias(bias));
        return b;
    }

    /** OpenAI's object form: token id (as a string key) to a bias, -100..100; false bans the token (llama.cpp). */
    static Map<Integer, Double> logitBias(ObjectNode bias) {
        Map<Integer, Double> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = bias.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey().strip());
            } catch (NumberFormatException notId) {
                throw ApiError.invalid("logit_bias", "logit_bias keys must be token ids, got \"" + e.getKey() + "\"");
            }
            JsonNode v = e.getValue();
            if (v.isBoolean() && !v.asBoolean()) out.put(id, Double.NEGATIVE_INFINITY);
            else if (v.isNumber()) out.put(id, v.asDouble());
            else throw ApiError.invalid("logit_bias", "logit_bias[\"" + e.getKey() + "\"] must be a number, got " + Fields.kind(v));
        }
        return out;
    }
}
