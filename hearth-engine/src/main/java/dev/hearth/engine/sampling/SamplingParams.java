package dev.hearth.engine.sampling;

import dev.hearth.engine.grammar.Grammar;
import dev.hearth.engine.grammar.GrammarException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The per-request sampling settings, with llama.cpp server semantics and defaults. The constructor validates every
 * field and throws {@link SamplingParameterException} naming the offending API field.
 *
 * <p>Stages run in llama.cpp's default order: logit_bias, penalties, top_k, typical_p, top_p, min_p, temperature,
 * then a draw (or argmax when {@code temperature == 0}). Note that top_p and min_p therefore see the probabilities
 * <em>before</em> temperature, as in llama.cpp.
 *
 * @param temperature      logits are divided by it before the draw; 0 means greedy (argmax, ties to the lowest id).
 *                         llama.cpp default 0.8
 * @param topK             keep the k most likely tokens; {@code <= 0} disables. Default 40
 * @param topP             keep the smallest most-likely prefix whose probability mass reaches p; 1 disables. Default 0.95
 * @param minP             drop tokens whose probability is below {@code minP * p_max}; 0 disables. Default 0.05
 * @param typicalP         locally typical sampling (Meister et al.); 1 disables. Default 1
 * @param minKeep          the truncating stages (typical, top_p, min_p) keep at least this many tokens. Default 0
 * @param repeatPenalty    tokens in the penalty window get positive logits divided and negative logits multiplied by
 *                         it; 1 disables. Default 1
 * @param repeatLastN      size of the penalty window in tokens (prompt included); 0 disables, -1 means the context
 *                         length. Default 64
 * @param presencePenalty  OpenAI semantics: subtracted once from the logit of every token present in the window.
 * @param frequencyPenalty OpenAI semantics: subtracted once per occurrence in the window.
 * @param logitBias        added to the logit of a token id before anything else; {@code -Infinity} bans the token
 * @param seed             empty means a random seed (see {@link Sampler#seed()} for the one chosen)
 * @param logprobs         report the chosen token's log-probability
 * @param topLogprobs      also report the n most likely tokens with their log-probabilities (llama.cpp n_probs)
 * @param logprobMode      which distribution those describe; default {@link LogprobMode#MODEL}
 * @param stop             stop strings (see {@link StopStrings}); empty strings are dropped
 * @param stopTokenIds     extra token ids that end generation, beside the model's end-of-generation tokens
 * @param ignoreEos        the model's end-of-generation tokens are banned (llama.cpp: bias -inf) and do not stop
 * @param grammar          constrained decoding: only tokens that keep the output a prefix of the grammar's language
 *                         are sampled, end-of-generation only where it is complete; null for none
 * @param grammarTrigger   a lazy grammar: null (or empty) applies the grammar from the first token; otherwise
 *                         nothing is masked until this text appears in the output (control tokens' text counts
 *                         when the request shows it), and the grammar then constrains what follows it, starting
 *                         with the rest of the token that completed it. Tool calls use it (the family's opening)
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double minP,
        double typicalP,
        int minKeep,
        double repeatPenalty,
        int repeatLastN,
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Double> logitBias,
        OptionalLong seed,
        boolean logprobs,
        int topLogprobs,
        LogprobMode logprobMode,
        List<String> stop,
        Set<Integer> stopTokenIds,
        boolean ignoreEos,
        Grammar grammar,
        String grammarTrigger) {

    /** Upper bound for {@link #topLogprobs}; the OpenAI-compatible routes apply their own limit of 20 on top. */
    public static final int MAX_TOP_LOGPROBS = 1024;

    /** OpenAI's documented range for presence and frequency penalties. */
    public static final double MAX_ABS_OPENAI_PENALTY = 2.0;

    public SamplingParams {
        requireFinite("temperature", temperature);
        if (temperature < 0) fail("temperature", "must be >= 0 (0 selects greedy decoding), got " + temperature);
        requireUnit("top_p", topP);
        requireUnit("min_p", minP);
        requireUnit("typical_p", typicalP);
        if (minKeep < 0) fail("min_keep", "must be >= 0, got " + minKeep);
        requireFinite("repeat_penalty", repeatPenalty);
        if (repeatPenalty <= 0) fail("repeat_penalty", "must be > 0 (1 disables it), got " + repeatPenalty);
        if (repeatLastN < -1) {
            fail("repeat_last_n", "must be >= -1 (0 disables, -1 means the context length), got " + repeatLastN);
        }
        requirePenalty("presence_penalty", presencePenalty);
        requirePenalty("frequency_penalty", frequencyPenalty);
        logitBias = copyBias(logitBias);
        if (seed == null) seed = OptionalLong.empty();
        if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
            fail("top_logprobs", "must be between 0 and " + MAX_TOP_LOGPROBS + ", got " + topLogprobs);
        }
        if (logprobMode == null) logprobMode = LogprobMode.MODEL;
        stop = copyStop(stop);
        stopTokenIds = copyTokenIds(stopTokenIds);
        if (grammarTrigger != null && grammarTrigger.isEmpty()) grammarTrigger = null;
        if (grammarTrigger != null && grammar == null) fail("grammar_trigger", "a grammar trigger needs a grammar");
    }

    /** llama.cpp server defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, penalties off, window 64. */
    public static SamplingParams defaults() {
        return builder().build();
    }

    /** Argmax decoding, every other stage at its default (bias and penalties still apply, as in llama.cpp). */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Whether {@link Sampler#logprobs()} is filled: logprobs was asked for, or top_logprobs > 0. */
    public boolean wantsLogprobs() {
        return logprobs || topLogprobs > 0;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.typicalP = typicalP;
        b.minKeep = minKeep;
        b.repeatPenalty = repeatPenalty;
        b.repeatLastN = repeatLastN;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.logitBias = new LinkedHashMap<>(logitBias);
        b.seed = seed;
        b.logprobs = logprobs;
        b.topLogprobs = topLogprobs;
        b.logprobMode = logprobMode;
        b.stop = new ArrayList<>(stop);
        b.stopTokenIds = new LinkedHashSet<>(stopTokenIds);
        b.ignoreEos = ignoreEos;
        b.grammar = grammar;
        b.grammarTrigger = grammarTrigger;
        return b;
    }

    private static void fail(String parameter, String message) {
        throw new SamplingParameterException(parameter, message);
    }

    private static void requireFinite(String parameter, double v) {
        if (!Double.isFinite(v)) fail(parameter, "must be a finite number, got " + v);
    }

    private static void requireUnit(String parameter, double v) {
        if (!(v >= 0 && v <= 1)) fail(parameter, "must be between 0 and 1, got " + v);
    }

    private static void requirePenalty(String parameter, double v) {
        if (!(Math.abs(v) <= MAX_ABS_OPENAI_PENALTY)) {
            fail(parameter, "must be between -" + MAX_ABS_OPENAI_PENALTY + " and " + MAX_ABS_OPENAI_PENALTY + ", got " + v);
        }
    }

    private static Map<Integer, Double> copyBias(Map<Integer, Double> bias) {
        if (bias == null) return Map.of();
        for (Map.Entry<Integer, Double> e : bias.entrySet()) {
            Integer id = e.getKey();
            Double v = e.getValue();
            if (id == null || id < 0) fail("logit_bias", "token ids must be >= 0, got " + id);
            if (v == null || Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
                fail("logit_bias", "bias for token " + id + " must be a finite number or -Infinity (ban), got " + v);
            }
        }
        return Map.copyOf(bias);
    }

    private static List<String> copyStop(List<String> stop) {
        if (stop == null) return List.of();
        List<String> kept = new ArrayList<>(stop.size());
        for (String s : stop) {
            if (s == null) fail("stop", "stop strings must not be null");
            if (!s.isEmpty()) kept.add(s);
        }
        return List.copyOf(kept);
    }

    private static Set<Integer> copyTokenIds(Set<Integer> ids) {
        if (ids == null) return Set.of();
        for (Integer id : ids) {
            if (id == null || id < 0) fail("stop_token_ids", "token ids must be >= 0, got " + id);
        }
        return Set.copyOf(ids);
    }

    /** Mutable builder with llama.cpp server defaults; {@link #build()} validates. */
    public static final class Builder {
        private double temperature = 0.8;
        private int topK = 40;
        private double topP = 0.95;
        private double minP = 0.05;
        private double typicalP = 1.0;
        private int minKeep = 0;
        private double repeatPenalty = 1.0;
        private int repeatLastN = 64;
        private double presencePenalty = 0;
        private double frequencyPenalty = 0;
        private Map<Integer, Double> logitBias = new LinkedHashMap<>();
        private OptionalLong seed = OptionalLong.empty();
        private boolean logprobs;
        private int topLogprobs;
        private LogprobMode logprobMode = LogprobMode.MODEL;
        private List<String> stop = new ArrayList<>();
        private Set<Integer> stopTokenIds = new LinkedHashSet<>();
        private boolean ignoreEos;
        private Grammar grammar;
        private String grammarTrigger;
        private String grammarParameter;
        private Supplier<Grammar> pendingGrammar; // compiled by build(), so errors name the API field

        private Builder() {}

        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(double v) { minP = v; return this; }
        public Builder typicalP(double v) { typicalP = v; return this; }
        public Builder minKeep(int v) { minKeep = v; return this; }
        public Builder repeatPenalty(double v) { repeatPenalty = v; return this; }
        public Builder repeatLastN(int v) { repeatLastN = v; return this; }
        public Builder presencePenalty(double v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }
        public Builder logitBias(Map<Integer, Double> v) { logitBias = new LinkedHashMap<>(v); return this; }
        public Builder logitBias(int token, double bias) { logitBias.put(token, bias); return this; }
        public Builder seed(long v) { seed = OptionalLong.of(v); return this; }
        public Builder seed(OptionalLong v) { seed = v; return this; }
        public Builder logprobs(boolean v) { logprobs = v; return this; }
        public Builder topLogprobs(int v) { topLogprobs = v; return this; }
        public Builder logprobMode(LogprobMode v) { logprobMode = v; return this; }
        public Builder stop(List<String> v) { stop = new ArrayList<>(v); return this; }
        public Builder stop(String... v) { stop = new ArrayList<>(List.of(v)); return this; }
        public Builder stopTokenIds(Set<Integer> v) { stopTokenIds = new LinkedHashSet<>(v); return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }

        /** A compiled grammar, or null for none. */
        public Builder grammar(Grammar v) {
            grammar = v;
            pendingGrammar = null;
            return this;
        }

        /** Applies the grammar only after this text appears in the output; null from the first token. */
        public Builder grammarTrigger(String v) {
            grammarTrigger = v;
            return this;
        }

        /** A GBNF grammar, compiled by {@link #build()}; an error names {@code parameter} (the API field). */
        public Builder gbnf(String parameter, String gbnf) {
            return pending(parameter, () -> Grammar.parse(gbnf));
        }

        /** A JSON schema (a parsed JSON tree), compiled by {@link #build()}; an error names {@code parameter}. */
        public Builder jsonSchema(String parameter, Object schema) {
            return pending(parameter, () -> Grammar.fromJsonSchema(schema));
        }

        /** A regular expression for the whole output, compiled by {@link #build()}; an error names {@code parameter}. */
        public Builder regex(String parameter, String regex) {
            return pending(parameter, () -> Grammar.fromRegex(regex));
        }

        private Builder pending(String parameter, Supplier<Grammar> compile) {
            grammar = null;
            grammarParameter = parameter;
            pendingGrammar = compile;
            return this;
        }

        /** All samplers off except the draw: the plain softmax distribution at temperature 1, no penalties. */
        public Builder neutral() {
            temperature = 1;
            topK = 0;
            topP = 1;
            minP = 0;
            typicalP = 1;
            repeatPenalty = 1;
            presencePenalty = 0;
            frequencyPenalty = 0;
            return this;
        }

        public SamplingParams build() {
            if (pendingGrammar != null) {
                try {
                    grammar = pendingGrammar.get();
                } catch (GrammarException e) {
                    throw new SamplingParameterException(grammarParameter, e.getMessage());
                }
                pendingGrammar = null;
            }
            return new SamplingParams(temperature, topK, topP, minP, typicalP, minKeep, repeatPenalty, repeatLastN,
                    presencePenalty, frequencyPenalty, logitBias, seed, logprobs, topLogprobs, logprobMode, stop,
                    stopTokenIds, ignoreEos, grammar, grammarTrigger);
        }
    }
}
