package dev.hearth.engine.sampling;

import dev.hearth.engine.grammar.GrammarMatcher;
import dev.hearth.engine.grammar.TokenTrie;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntPredicate;

import static dev.hearth.engine.sampling.RankedTokens.id;
import static dev.hearth.engine.sampling.RankedTokens.key;
import static dev.hearth.engine.sampling.RankedTokens.logit;

/**
 * Picks the next token of one sequence from the model's logits, with llama.cpp's sampler chain in its default
 * order: logit_bias, penalties, top_k, typical_p, top_p, min_p, temperature, draw. Greedy ({@code temperature 0})
 * is the argmax after bias and penalties, ties to the lowest id (the truncating stages always keep the argmax, so
 * they are skipped then, unless typical_p, which may drop it, is on).
 *
 * <p>One instance per sequence, not thread-safe. It owns the RNG, the penalty window and scratch buffers sized to
 * the vocabulary, all allocated here: {@link #sample} and {@link #accept} allocate nothing (but a grammar's matcher,
 * as it first meets new parse states).
 *
 * <p>With a grammar in the params, tokens it rejects are masked to -Infinity first of all (llama.cpp applies the
 * grammar before the chain too), and {@link #accept(int)} advances it; {@link #grammarComplete()} then says when
 * the output is finished. A lazy grammar (with a {@link SamplingParams#grammarTrigger}) masks nothing until the
 * caller, who sees the output text, reports its trigger ({@link #triggerGrammar}). Without one nothing of this runs.
 *
 * <p>Typical use: {@code accept(promptTokens, 0, n)}, then per step {@code t = sample(logits); accept(t);}. Sampling
 * and accepting are separate so a caller can reject a token (speculative decoding); {@link #sampleAndAccept} does
 * both.
 *
 * <p>Candidates are ordered by (logit desc, id asc) throughout, see {@link RankedTokens}; every ordering is total,
 * so the same seed, settings and logits always give the same token. top_k uses a bounded heap (O(V log k)) that
 * skips whole vectors of logits; top_p without top_k sorts only a 256-token prefix unless the mass it needs lies
 * beyond; the full vocabulary is sorted only for typical_p or such a flat top_p. Without top_k the candidates stay
 * implicit (all eligible tokens of the logits array) and the softmax normaliser over the vocabulary is a vector
 * sum of float exponentials ({@link LogitVectors}); sums over explicit candidates are in double.
 */
public final class Sampler {
    /** Like llama.cpp's top_p: without a prior top_k, first try this many best tokens before sorting them all. */
    private static final int TOP_P_PREFIX = 256, TOP_P_PREFIX_MIN_CANDIDATES = 1024;

    private final SamplingParams params;
    private final int vocabularySize;
    private final long seed;
    private final Xoshiro256 random;

    private final float temperature, topP, minP, typicalP;
    private final int topK, minKeep;
    private final float repeatPenalty, frequencyPenalty, presencePenalty;
    private final PenaltyWindow window; // null when no penalty is active: nothing to track
    private final int windowCapacity;
    private final int[] biasTokens;
    private final float[] biasValues;
    private final boolean[] endsGeneration;
    private GrammarMatcher grammar; // null without a grammar, or once a lazy one was dropped
    private String grammarTrigger;  // a lazy grammar's trigger until it appears, then null

    private final float[] logits;     // input after bias and penalties
    private long[] ranked;            // candidates [0, count)
    private long[] spare;             // typical_p's reordering buffer, swapped with ranked
    private final double[] weights;   // unnormalised probabilities aligned with ranked
    private final float[] wholeWeights; // the same, by token id, when drawing from the whole vocabulary
    private final TokenLogprobs logprobs;
    private final long[] topModel;    // top-N of the raw logits (LogprobMode.MODEL)

    private int count;
    private boolean sorted;           // ranked[0, count) is best-first
    private boolean whole;            // the candidates are all eligible tokens of logits[], not (yet) in ranked[]
    private float wholeMax;           // their max logit
    private boolean lastGreedy;
    private float lastMax;            // max logit and log-normaliser of the last draw (LogprobMode.SAMPLED)
    private double lastLogSum;

    /**
     * @param vocabularySize   length of the logits arrays this sampler will see
     * @param contextLength    resolves {@code repeat_last_n = -1}; unused otherwise
     * @param endOfGeneration  the model's end-of-generation tokens (tokenizer business); with {@code ignore_eos}
     *                         they are banned instead of ending generation
     * @param vocabulary       the token pieces a grammar masks with; needed only when the params carry a grammar
     * @throws SamplingParameterException if logit_bias or stop_token_ids name a token outside the vocabulary
     */
    public Sampler(SamplingParams params, int vocabularySize, int contextLength, IntPredicate endOfGeneration,
                   TokenTrie vocabulary) {
        if (vocabularySize <= 0) throw new IllegalArgumentException("vocabulary size must be > 0: " + vocabularySize);
        this.params = params;
        this.vocabularySize = vocabularySize;
        this.seed = params.seed().orElseGet(() -> new SplittableRandom().nextLong());
        this.random = new Xoshiro256(seed);

        temperature = (float) params.temperature();
        topK = params.topK();
        topP = (float) params.topP();
        minP = (float) params.minP();
        typicalP = (float) params.typicalP();
        minKeep = params.minKeep();
        repeatPenalty = (float) params.repeatPenalty();
        frequencyPenalty = (float) params.frequencyPenalty();
        presencePenalty = (float) params.presencePenalty();

        int capacity = params.repeatLastN();
        if (capacity == -1) {
            if (contextLength <= 0) {
                throw new IllegalArgumentException("repeat_last_n = -1 needs the context length, got " + contextLength);
            }
            capacity = contextLength;
        }
        boolean penalize = repeatPenalty != 1 || frequencyPenalty != 0 || presencePenalty != 0;
        windowCapacity = penalize ? capacity : 0;
        window = windowCapacity > 0 ? new PenaltyWindow(windowCapacity, vocabularySize) : null;

        TreeMap<Integer, Float> bias = new TreeMap<>();
        for (Map.Entry<Integer, Double> e : params.logitBias().entrySet()) {
            bias.put(checkToken("logit_bias", e.getKey()), e.getValue().floatValue());
        }
        endsGeneration = new boolean[vocabularySize];
        for (int id = 0; id < vocabularySize; id++) {
            if (!endOfGeneration.test(id)) continue;
            if (params.ignoreEos()) bias.put(id, Float.NEGATIVE_INFINITY); // llama.cpp's ignore_eos
            else endsGeneration[id] = true;
        }
        for (int id : params.stopTokenIds()) endsGeneration[checkToken("stop_token_ids", id)] = true;
        biasTokens = new int[bias.size()];
        biasValues = new float[bias.size()];
        int b = 0;
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            biasTokens[b] = e.getKey();
            biasValues[b++] = e.getValue();
        }

        if (params.grammar() == null) {
            grammar = null;
        } else {
            if (vocabulary == null || vocabulary.vocabularySize() != vocabularySize) {
                throw new IllegalArgumentException("a grammar needs the token pieces of this vocabulary");
            }
            grammar = params.grammar().newMatcher(vocabulary);
            grammarTrigger = params.grammarTrigger();
        }

        logits = new float[vocabularySize];
        ranked = new long[vocabularySize];
        spare = typicalP < 1 ? new long[vocabularySize] : null;
        weights = new double[vocabularySize];
        wholeWeights = topK > 0 && topK < vocabularySize ? null : new float[vocabularySize];
        if (params.wantsLogprobs()) {
            int top = Math.min(params.topLogprobs(), vocabularySize);
            logprobs = new TokenLogprobs(params.logprobMode(), Math.max(top, 1));
            topModel = new long[top];
        } else {
            logprobs = null;
            topModel = null;
        }
    }

    /** Without a grammar: nothing needs the token pieces. */
    public Sampler(SamplingParams params, int vocabularySize, int contextLength, IntPredicate endOfGeneration) {
        this(params, vocabularySize, contextLength, endOfGeneration, null);
    }

    /** For callers without end-of-generation tokens (tests, raw scoring); {@code repeat_last_n} must not be -1. */
    public Sampler(SamplingParams params, int vocabularySize) {
        this(params, vocabularySize, 0, id -> false);
    }

    private int checkToken(String parameter, int id) {
        if (id < 0 || id >= vocabularySize) {
            throw new SamplingParameterException(parameter,
                    "token id " + id + " is out of range: the vocabulary has " + vocabularySize + " tokens");
        }
        return id;
    }

    public SamplingParams params() {
        return params;
    }

    /** The seed in use: the requested one, or the random one drawn when the request had none. */
    public long seed() {
        return seed;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Whether {@code token} ends generation: a model end-of-generation token (unless ignore_eos), or a stop token id. */
    public boolean isEndOfGeneration(int token) {
        return endsGeneration[token];
    }

    /** A generated token: adds it to the penalty window and advances the grammar, if any. */
    public void accept(int token) {
        remember(token);
        if (grammarActive()) grammar.accept(token);
    }

    private boolean grammarActive() {
        return grammar != null && grammarTrigger == null;
    }

    /**
     * The text a lazy grammar waits for, or null (no grammar, an active one, or one dropped). The caller watches
     * the output and calls {@link #triggerGrammar} when it appears.
     */
    public String grammarTrigger() {
        return grammar == null ? null : grammarTrigger;
    }

    /**
     * The trigger appeared: the grammar applies from now on, starting with {@code following}, the output after the
     * trigger so far. Returns false, and drops the grammar for good, when that text already breaks it (the reply
     * is then left unconstrained rather than failed).
     */
    public boolean triggerGrammar(String following) {
        if (grammar == null || grammarTrigger == null) throw new IllegalStateException("no grammar waits for a trigger");
        grammarTrigger = null;
        if (grammar.acceptBytes(following.getBytes(java.nio.charset.StandardCharsets.UTF_8))) return true;
        grammar = null;
        return false;
    }

    /**
     * Prompt tokens {@code tokens[from..to)}: they feed the penalty window (llama.cpp's server feeds the whole
     * prompt; only the last repeat_last_n can matter) but not the grammar, which constrains the output only.
     */
    public void accept(int[] tokens, int from, int to) {
        for (int i = Math.max(from, to - windowCapacity); i < to; i++) remember(tokens[i]);
    }

    private void remember(int token) {
        if (token < 0 || token >= vocabularySize) {
            throw new IllegalArgumentException("token " + token + " outside the vocabulary of " + vocabularySize);
        }
        if (window != null) window.accept(token);
    }

    /** Whether the grammar is complete and allows nothing more: the generation is over. False without a grammar. */
    public boolean grammarComplete() {
        return grammarActive() && grammar.isComplete();
    }

    /** Empties the penalty window; the RNG continues. */
    public void reset() {
        if (window != null) window.clear();
    }

    public int sampleAndAccept(float[] logits) {
        int token = sample(logits);
        accept(token);
        return token;
    }

    /**
     * The next token for logits of one position ({@code length == vocabularySize}). The array is not modified.
     * Logits should be finite; NaN and -Infinity tokens are never chosen.
     *
     * @throws IllegalStateException if no token is eligible (every logit -Infinity or NaN after logit_bias)
     */
    public int sample(float[] input) {
        if (input.length != vocabularySize) {
            throw new IllegalArgumentException("expected " + vocabularySize + " logits, got " + input.length);
        }
        int token;
        if (temperature == 0 && typicalP >= 1 && biasTokens.length == 0 && window == null && !grammarActive()) {
            token = argmax(input); // nothing changes the logits: no copy
        } else {
            System.arraycopy(input, 0, logits, 0, vocabularySize);
            if (grammarActive()) grammar.mask(logits);
            for (int i = 0; i < biasTokens.length; i++) logits[biasTokens[i]] += biasValues[i];
            if (window != null) window.apply(logits, repeatPenalty, frequencyPenalty, presencePenalty);
            token = temperature == 0 && typicalP >= 1 ? argmax(logits) : chain();
        }
        if (logprobs != null) record(input, token);
        return token;
    }

    /**
     * Log-probabilities for the last {@link #sample} call, overwritten by the next one.
     *
     * @throws IllegalStateException unless the params asked for logprobs or top_logprobs
     */
    public TokenLogprobs logprobs() {
        if (logprobs == null) throw new IllegalStateException("logprobs were not requested in the sampling params");
        return logprobs;
    }

    /** Tokens that survived the truncating stages of the last non-greedy {@link #sample} (tests only). */
    int survivorCount() {
        materialize();
        return count;
    }

    int survivor(int i) {
        return id(ranked[i]);
    }

    /** Index of the largest logit, the lowest on ties; NaN never wins. */
    private int argmax(float[] x) {
        float max = LogitVectors.max(x, vocabularySize);
        int best;
        if (Float.isNaN(max)) {
            best = -1;
            max = Float.NEGATIVE_INFINITY;
            for (int id = 0; id < vocabularySize; id++) {
                if (x[id] > max) { // strict: ties keep the lower id
                    max = x[id];
                    best = id;
                }
            }
        } else {
            best = max > Float.NEGATIVE_INFINITY ? LogitVectors.indexOf(x, vocabularySize, max) : -1;
        }
        if (best < 0) throw noCandidates();
        lastGreedy = true;
        return best;
    }

    private int chain() {
        if (topK > 0 && topK < vocabularySize) {
            count = RankedTokens.selectBest(logits, vocabularySize, topK, ranked);
            if (count == 0) throw noCandidates();
            sorted = true;
            whole = false;
        } else {
            // every eligible token is a candidate: leave them in logits[] until a stage needs them ranked
            float max = LogitVectors.max(logits, vocabularySize);
            if (Float.isNaN(max)) max = maxIgnoringNaN(logits);
            if (!(max > Float.NEGATIVE_INFINITY)) throw noCandidates();
            wholeMax = max;
            whole = true;
            sorted = false;
        }
        if (typicalP < 1) typical();
        if (topP < 1) topP();
        if (minP > 0) minP();
        if (temperature == 0) {
            lastGreedy = true;
            return whole ? argmax(logits) : id(bestKey());
        }
        return draw();
    }

    /** Turns the implicit "all eligible tokens" candidate set into keys in ranked[], in id order. */
    private void materialize() {
        if (!whole) return;
        int n = 0;
        for (int id = 0; id < vocabularySize; id++) {
            float v = logits[id];
            if (v > Float.NEGATIVE_INFINITY) ranked[n++] = key(v, id);
        }
        count = n;
        sorted = false;
        whole = false;
    }

    /**
     * Locally typical sampling: keep the tokens whose surprisal is closest to the entropy, up to mass typical_p.
     * Needs every candidate's probability, but no sort by logit; the order by distance to the entropy is built
     * like top_p's (a 256-token prefix first). Equal distances go to the earlier candidate: the more probable one
     * after top_k, the lower id otherwise (llama.cpp's std::sort leaves that order unspecified).
     */
    private void typical() {
        float max = 0;
        double sum = Double.NaN;
        if (whole) { // the vector path leaves the weights by token id
            max = wholeMax;
            sum = LogitVectors.sumExp(logits, vocabularySize, max, 1f, wholeWeights);
        }
        boolean byId = !Double.isNaN(sum);
        materialize();
        if (!byId) {
            max = logit(bestKey());
            sum = 0;
            for (int i = 0; i < count; i++) {
                double w = Math.exp((double) logit(ranked[i]) - max);
                weights[i] = w;
                sum += w;
            }
        }
        double logSum = Math.log(sum);
        double entropy = 0;
        for (int i = 0; i < count; i++) {
            double p = (byId ? wholeWeights[id(ranked[i])] : weights[i]) / sum;
            if (p > 0) entropy -= p * (((double) logit(ranked[i]) - max) - logSum);
        }
        for (int i = 0; i < count; i++) {
            double surprisal = logSum - ((double) logit(ranked[i]) - max);
            float distance = (float) Math.abs(surprisal - entropy);
            // non-negative float bits order like the floats; the low word is the candidate's position
            spare[i] = ((long) Float.floatToRawIntBits(distance) << 32) | i;
        }
        int prefix = count > TOP_P_PREFIX_MIN_CANDIDATES ? TOP_P_PREFIX : count;
        RankedTokens.selectBestInPlace(spare, count, prefix);
        double cum = 0;
        int last = count;
        for (int i = 0; i < count; i++) {
            if (i == prefix) {
                RankedTokens.sort(spare, prefix, count);
                prefix = count;
            }
            int position = (int) spare[i];
            cum += (byId ? wholeWeights[id(ranked[position])] : weights[position]) / sum;
            if (cum > typicalP && i + 1 >= minKeep) {
                last = i + 1;
                break;
            }
        }
        for (int i = 0; i < last; i++) spare[i] = ranked[(int) spare[i]];
        long[] t = ranked;
        ranked = spare;
        spare = t;
        count = last;
        sorted = false;
    }

    /**
     * Keep the shortest best-first prefix whose probability reaches top_p (at least min_keep tokens). Without a
     * prior top_k only the best 256 are ordered first (the normaliser comes from the vectorised sum); all
     * candidates are sorted only when the mass lies beyond them.
     */
    private void topP() {
        float max = whole ? wholeMax : logit(bestKey());
        double sum = whole ? LogitVectors.sumExp(logits, vocabularySize, max, 1f, null) : Double.NaN;
        if (Double.isNaN(sum)) { // not whole, or NaN logits: exact sum over the candidates (NaN never is one)
            materialize();
            sum = 0;
            for (int i = 0; i < count; i++) sum += Math.exp((double) logit(ranked[i]) - max);
        }
        double target = topP * sum;
        int prefix;
        if (whole) {
            prefix = RankedTokens.selectBest(logits, vocabularySize, TOP_P_PREFIX, ranked);
        } else if (sorted) {
            prefix = count;
        } else {
            prefix = count > TOP_P_PREFIX_MIN_CANDIDATES ? TOP_P_PREFIX : count;
            RankedTokens.selectBestInPlace(ranked, count, prefix);
        }
        double cum = 0;
        int i = 0;
        for (; i < prefix; i++) {
            cum += Math.exp((double) logit(ranked[i]) - max);
            if (cum >= target && i + 1 >= minKeep) {
                keepPrefix(i + 1);
                return;
            }
        }
        // the mass lies beyond the prefix: order every candidate (the order is total, so the prefix stays put)
        if (whole) {
            materialize();
            RankedTokens.sort(ranked, 0, count);
        } else {
            RankedTokens.sort(ranked, prefix, count);
        }
        for (; i < count; i++) {
            cum += Math.exp((double) logit(ranked[i]) - max);
            if (cum >= target && i + 1 >= minKeep) break;
        }
        keepPrefix(Math.min(i + 1, count));
    }

    private void keepPrefix(int n) {
        count = n;
        sorted = true;
        whole = false;
    }

    /** Drop tokens with probability below min_p times the largest (compared as logits: l >= l_max + ln min_p). */
    private void minP() {
        float threshold = (whole ? wholeMax : logit(bestKey())) + (float) Math.log(minP);
        if (whole) {
            int w = 0;
            for (int id = 0; id < vocabularySize; id++) {
                float v = logits[id];
                if (v >= threshold) ranked[w++] = key(v, id);
            }
            whole = false;
            if (w >= minKeep) {
                count = w;
                sorted = false;
            } else {
                count = RankedTokens.selectBest(logits, vocabularySize, minKeep, ranked);
                sorted = true;
            }
            return;
        }
        if (sorted) {
            int i = 1;
            while (i < count && (logit(ranked[i]) >= threshold || i < minKeep)) i++;
            count = i;
            return;
        }
        int kept = 0;
        for (int i = 0; i < count; i++) if (logit(ranked[i]) >= threshold) kept++;
        if (kept >= minKeep) {
            int w = 0;
            for (int i = 0; i < count; i++) if (logit(ranked[i]) >= threshold) ranked[w++] = ranked[i];
            count = w;
        } else {
            int k = Math.min(minKeep, count);
            RankedTokens.selectBestInPlace(ranked, count, k);
            count = k;
            sorted = true;
        }
    }

    /** Softmax of logit / temperature over the survivors, then one uniform draw walked through their order. */
    private int draw() {
        if (whole) {
            double sum = LogitVectors.sumExp(logits, vocabularySize, wholeMax, 1f / temperature, wholeWeights);
            if (!Double.isNaN(sum)) {
                double target = random.nextDouble() * sum;
                double cum = 0;
                int chosen = -1, lastPositive = -1;
                for (int id = 0; id < vocabularySize; id++) {
                    float w = wholeWeights[id];
                    if (w > 0) lastPositive = id;
                    cum += w;
                    if (cum > target) {
                        chosen = id;
                        break;
                    }
                }
                lastGreedy = false;
                lastMax = wholeMax;
                lastLogSum = Math.log(sum);
                return chosen >= 0 ? chosen : lastPositive;
            }
            materialize();
        }
        float max = logit(bestKey());
        double invTemperature = 1.0 / temperature;
        double sum = 0;
        for (int i = 0; i < count; i++) {
            double w = Math.exp(((double) logit(ranked[i]) - max) * invTemperature);
            weights[i] = w;
            sum += w;
        }
        double target = random.nextDouble() * sum;
        double cum = 0;
        int chosen = -1;
        for (int i = 0; i < count; i++) {
            cum += weights[i];
            if (cum > target) { // strict: a zero-weight (underflowed) token is never picked
                chosen = i;
                break;
            }
        }
        if (chosen < 0) { // target rounded up to sum: take the last token with weight
            for (int i = 0; i < count; i++) if (weights[i] > 0) chosen = i;
            if (chosen < 0) { // no finite weight at all (an infinite logit): fall back to the argmax
                lastGreedy = true;
                return id(bestKey());
            }
        }
        lastGreedy = false;
        lastMax = max;
        lastLogSum = Math.log(sum);
        return id(ranked[chosen]);
    }

    private static float maxIgnoringNaN(float[] x) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : x) if (v > m) m = v;
        return m;
    }

    private long bestKey() {
        if (sorted) return ranked[0];
        long best = Long.MAX_VALUE;
        for (int i = 0; i < count; i++) best = Math.min(best, ranked[i]);
        return best;
    }

    private void record(float[] input, int token) {
        TokenLogprobs out = logprobs;
        out.chosenToken = token;
        if (out.mode() == LogprobMode.MODEL) {
            int k = RankedTokens.selectBest(input, vocabularySize, topModel.length, topModel);
            float max = LogitVectors.max(input, vocabularySize);
            double sum = LogitVectors.sumExp(input, vocabularySize, max, 1f, null);
            if (Double.isNaN(sum)) { // NaN logits: skip them
                max = maxIgnoringNaN(input);
                sum = 0;
                for (float v : input) if (v > Float.NEGATIVE_INFINITY) sum += Math.exp((double) v - max);
            }
            double logNormaliser = max + Math.log(sum);
            for (int i = 0; i < k; i++) {
                out.ids[i] = id(topModel[i]);
                out.logprobs[i] = logit(topModel[i]) - logNormaliser;
            }
            out.count = k;
            out.chosenLogprob = input[token] - logNormaliser;
        } else if (lastGreedy) {
            out.count = Math.min(1, topModel.length);
            out.ids[0] = token;
            out.logprobs[0] = 0;
            out.chosenLogprob = 0;
        } else {
            int k;
            if (whole) {
                k = RankedTokens.selectBest(logits, vocabularySize, topModel.length, ranked);
            } else {
                k = Math.min(topModel.length, count);
                if (!sorted) RankedTokens.selectBestInPlace(ranked, count, k);
            }
            for (int i = 0; i < k; i++) {
                out.ids[i] = id(ranked[i]);
                out.logprobs[i] = sampledLogprob(logit(ranked[i]));
            }
            out.count = k;
            out.chosenLogprob = sampledLogprob(logits[token]);
        }
    }

    private double sampledLogprob(float logit) {
        return ((double) logit - lastMax) / temperature - lastLogSum;
    }

    private IllegalStateException noCandidates() {
        return new IllegalStateException(grammar != null
                ? "no token can be sampled: the grammar allows no token of this vocabulary here (or logit_bias bans them)"
                : "no token can be sampled: every logit is -Infinity or NaN (all tokens banned by logit_bias?)");
    }
}
