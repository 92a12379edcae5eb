package dev.hearth.engine.sampling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static SamplingParams.Builder neutral() {
        return SamplingParams.builder().neutral().seed(1234);
    }

    private static float[] gaussian(int n, double sigma, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (rnd.nextGaussian() * sigma);
        return l;
    }

    /** Logits whose softmax is exactly the given probabilities (up to float rounding). */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    private static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    private static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return best;
    }

    /** The tokens that survive the chain: SAMPLED logprobs list exactly the final candidates. */
    private static Map<Integer, Double> survivors(SamplingParams.Builder b, float[] logits) {
        Sampler s = new Sampler(b.logprobMode(LogprobMode.SAMPLED).topLogprobs(logits.length).build(), logits.length);
        s.sample(logits);
        TokenLogprobs lp = s.logprobs();
        Map<Integer, Double> out = new HashMap<>();
        for (int i = 0; i < lp.count(); i++) out.put(lp.token(i), lp.logprob(i));
        return out;
    }

    /** The final candidate set read from the sampler itself, for vocabularies beyond the top_logprobs limit. */
    private static Set<Integer> survivorSet(SamplingParams.Builder b, float[] logits) {
        Sampler s = new Sampler(b.build(), logits.length);
        s.sample(logits);
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < s.survivorCount(); i++) out.add(s.survivor(i));
        return out;
    }

    /** Token ids by (logit desc, id asc), the order the sampler promises. */
    private static Integer[] ranking(float[] logits) {
        Integer[] ids = new Integer[logits.length];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        Arrays.sort(ids, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));
        return ids;
    }

    // ---- greedy -----------------------------------------------------------------------------------------------

    @Test
    void greedyPicksArgmaxAndTheLowestIdOnTies() {
        float[] l = gaussian(1000, 2, 1);
        assertEquals(argmax(l), new Sampler(SamplingParams.greedy(), l.length).sample(l));
        l[700] = 50;
        l[300] = 50;
        l[900] = 50;
        Sampler s = new Sampler(SamplingParams.greedy(), l.length);
        for (int i = 0; i < 3; i++) assertEquals(300, s.sample(l));
    }

    @Test
    void topKOneEqualsGreedyAtAnyTemperature() {
        for (int trial = 0; trial < 40; trial++) {
            float[] l = gaussian(500, 1 + trial % 4, 100 + trial);
            if (trial % 5 == 0) l[trial * 7] = l[argmax(l)]; // a tie with a higher id than the argmax, sometimes lower
            int expected = new Sampler(SamplingParams.greedy(), l.length).sample(l);
            for (double t : new double[]{0.1, 0.8, 1, 5, 100}) {
                Sampler s = new Sampler(SamplingParams.builder().topK(1).temperature(t).seed(trial).build(), l.length);
                for (int i = 0; i < 5; i++) assertEquals(expected, s.sample(l), "trial " + trial + " t=" + t);
            }
        }
    }

    @Test
    void inputLogitsAreNotModified() {
        float[] l = gaussian(300, 2, 5);
        float[] copy = l.clone();
        Sampler s = new Sampler(SamplingParams.builder().repeatPenalty(1.3).presencePenalty(1).logitBias(4, -3.0)
                .typicalP(0.9).seed(1).build(), l.length);
        s.accept(argmax(l));
        s.accept(4);
        s.sample(l);
        assertArrayEquals(copy, l);
    }

    // ---- seeds ------------------------------------------------------------------------------------------------

    @Test
    void sameSeedGivesSameTokensAndDifferentSeedsDiffer() {
        int v = 64, steps = 3000;
        float[] flat = new float[v];
        int[] a = run(SamplingParams.builder().neutral().seed(7).build(), flat, steps);
        int[] b = run(SamplingParams.builder().neutral().seed(7).build(), flat, steps);
        int[] c = run(SamplingParams.builder().neutral().seed(8).build(), flat, steps);
        assertArrayEquals(a, b);
        int same = 0;
        for (int i = 0; i < steps; i++) if (a[i] == c[i]) same++;
        // independent uniform draws over 64 tokens agree with probability 1/64: ~47 of 3000 expected
        assertTrue(same < steps / 10, "different seeds agree at " + same + " of " + steps + " steps");

        // the default chain with penalties is deterministic too
        float[] peaked = gaussian(5000, 3, 9);
        SamplingParams p = SamplingParams.builder().seed(99).repeatPenalty(1.1).frequencyPenalty(0.5).build();
        assertArrayEquals(run(p, peaked, 200), run(p, peaked, 200));
    }

    @Test
    void absentSeedIsRandomAndReported() {
        SamplingParams p = SamplingParams.defaults();
        assertNotEquals(new Sampler(p, 10).seed(), new Sampler(p, 10).seed());
        assertEquals(5L, new Sampler(SamplingParams.builder().seed(5).build(), 10).seed());
    }

    private static int[] run(SamplingParams p, float[] logits, int steps) {
        Sampler s = new Sampler(p, logits.length);
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) out[i] = s.sampleAndAccept(logits);
        return out;
    }

    // ---- the distribution -------------------------------------------------------------------------------------

    /**
     * 100k draws with a fixed seed against the exact softmax. Pearson's chi-square with k-1 degrees of freedom must
     * stay below its 0.999 quantile (df 4: 18.47, df 2: 13.82): a correct sampler exceeds it for one seed in a
     * thousand, so this fixed seed is not a lucky pick, while a bias of 1% of a 0.3-probability bin alone adds
     * (0.003 * 1e5)^2 / 3e4 = 3 and a wrong temperature adds hundreds. Each bin is also within 5 standard deviations.
     */
    @Test
    void drawsFollowTheSoftmaxAtTemperatureOneAndBelow() {
        float[] l = {1.0f, 0.5f, 0f, -0.5f, -2f};
        assertChiSquare(neutral().seed(11).build(), l, softmax(l, 1), 18.47);
        assertChiSquare(neutral().seed(12).temperature(0.7).build(), l, softmax(l, 0.7), 18.47);
        assertChiSquare(neutral().seed(13).temperature(2.5).build(), l, softmax(l, 2.5), 18.47);
    }

    @Test
    void topKRenormalisesOverTheKeptTokens() {
        float[] l = {0.3f, 1.0f, -1f, 0.8f, 0.1f};
        // top 3 = ids 1, 3, 0; the others must never appear
        double[] expected = new double[5];
        double[] kept = softmax(new float[]{l[1], l[3], l[0]}, 1);
        expected[1] = kept[0];
        expected[3] = kept[1];
        expected[0] = kept[2];
        assertChiSquare(neutral().seed(14).topK(3).build(), l, expected, 13.82);
    }

    private static void assertChiSquare(SamplingParams p, float[] logits, double[] expected, double critical) {
        int n = 100_000;
        int[] counts = new int[logits.length];
        Sampler s = new Sampler(p, logits.length);
        for (int i = 0; i < n; i++) counts[s.sample(logits)]++;
        double chi2 = 0;
        for (int i = 0; i < counts.length; i++) {
            double e = expected[i] * n;
            if (e == 0) {
                assertEquals(0, counts[i], "token " + i + " has probability 0 but was drawn");
                continue;
            }
            double sd = Math.sqrt(n * expected[i] * (1 - expected[i]));
            assertTrue(Math.abs(counts[i] - e) < 5 * sd, "token " + i + ": " + counts[i] + " draws, expected " + e);
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        assertTrue(chi2 < critical, "chi-square " + chi2 + " >= " + critical + " for " + Arrays.toString(counts));
    }

    // ---- truncation -------------------------------------------------------------------------------------------

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        // probabilities 0.5, 0.25, 0.15, 0.1 on shuffled ids
        float[] l = logitsOf(0.15, 0.5, 0.1, 0.25);
        assertEquals(Set.of(1), survivors(neutral().topP(0.4), l).keySet());
        assertEquals(Set.of(1, 3), survivors(neutral().topP(0.7), l).keySet());
        assertEquals(Set.of(1, 3, 0), survivors(neutral().topP(0.8), l).keySet());
        assertEquals(Set.of(1, 3, 0, 2), survivors(neutral().topP(0.95), l).keySet());
        assertEquals(Set.of(1, 3, 0), survivors(neutral().topP(0.4).minKeep(3), l).keySet());
        // renormalised over the survivors
        Map<Integer, Double> lp = survivors(neutral().topP(0.7), l);
        assertEquals(Math.log(0.5 / 0.75), lp.get(1), 1e-6);
        assertEquals(Math.log(0.25 / 0.75), lp.get(3), 1e-6);
        // top_p = 0 keeps only the best
        assertEquals(Set.of(1), survivors(neutral().topP(0), l).keySet());
    }

    @Test
    void topPOverALargeVocabularyMatchesAFullSort() {
        // 5000 tokens: the sampler sorts a 256-token prefix first; sigma 0.05 puts the 0.9 mass far beyond it
        for (double sigma : new double[]{4, 1, 0.05}) {
            float[] l = gaussian(5000, sigma, (long) (sigma * 100));
            double[] p = softmax(l, 1);
            Set<Integer> expected = new HashSet<>();
            double cum = 0;
            for (int id : ranking(l)) {
                expected.add(id);
                cum += p[id];
                if (cum >= 0.9) break;
            }
            Set<Integer> actual = survivorSet(neutral().topP(0.9), l);
            assertEquals(expected.size(), actual.size(), "sigma " + sigma);
            assertEquals(expected, actual, "sigma " + sigma);
            // with top_k first, top_p sees only the k tokens
            Set<Integer> topK = new HashSet<>(Arrays.asList(ranking(l)).subList(0, 100));
            assertTrue(topK.containsAll(survivorSet(neutral().topK(100).topP(0.9), l)));
        }
        assertTrue(survivorSet(neutral().topP(0.9), gaussian(5000, 0.05, 5)).size() > 256,
                "the flat case must exercise the path beyond the sorted prefix");
    }

    @Test
    void minPKeepsTokensAboveAFractionOfTheBest() {
        // p_max 0.4, min_p 0.22: threshold 0.088 keeps 0.4, 0.3, 0.1 (not 0.08, 0.07, 0.05)
        float[] l = logitsOf(0.07, 0.4, 0.05, 0.1, 0.3, 0.08);
        Set<Integer> expected = Set.of(1, 4, 3);
        assertEquals(expected, survivors(neutral().minP(0.22), l).keySet(), "unsorted path");
        assertEquals(expected, survivors(neutral().minP(0.22).topK(5), l).keySet(), "sorted path");
        assertEquals(Set.of(1, 4, 3, 5, 0), survivors(neutral().minP(0.22).minKeep(5), l).keySet());
        assertEquals(Set.of(1, 4, 3, 5, 0), survivors(neutral().minP(0.22).minKeep(5).topK(5), l).keySet());
        assertEquals(Set.of(1), survivors(neutral().minP(1), l).keySet());
        // min_p before temperature (llama.cpp order): a high temperature does not change the set
        assertEquals(expected, survivors(neutral().minP(0.22).temperature(5), l).keySet());
    }

    @Test
    void stagesComposeInLlamaCppOrder() {
        // top_k 4 -> {0.4, 0.3, 0.1, 0.08} renormalised to mass 0.88; top_p 0.85 needs 0.4+0.3+0.1 = 0.80/0.88 =
        // 0.909 >= 0.85 -> 3 tokens; min_p 0.5 of 0.4 then keeps 0.4 and 0.3
        float[] l = logitsOf(0.07, 0.4, 0.05, 0.1, 0.3, 0.08);
        assertEquals(Set.of(1, 4, 3), survivors(neutral().topK(4).topP(0.85), l).keySet());
        assertEquals(Set.of(1, 4), survivors(neutral().topK(4).topP(0.85).minP(0.5), l).keySet());
    }

    /** Locally typical sampling, written out directly from the definition (llama.cpp's llama_sampler_typical). */
    private static Set<Integer> typicalReference(float[] l, double typicalP, int minKeep) {
        double[] p = softmax(l, 1);
        double entropy = 0;
        for (double q : p) if (q > 0) entropy -= q * Math.log(q);
        final double h = entropy;
        List<Integer> order = new ArrayList<>(Arrays.asList(ranking(l)));
        order.sort(Comparator.comparingDouble(i -> Math.abs(-Math.log(p[i]) - h))); // stable
        Set<Integer> kept = new HashSet<>();
        double cum = 0;
        for (int i = 0; i < order.size(); i++) {
            kept.add(order.get(i));
            cum += p[order.get(i)];
            if (cum > typicalP && i + 1 >= minKeep) break;
        }
        return kept;
    }

    @Test
    void typicalKeepsTheTokensClosestToTheEntropy() {
        for (long seed = 1; seed <= 5; seed++) {
            float[] l = gaussian(40, 1.5, seed);
            for (double tp : new double[]{0.2, 0.5, 0.9}) {
                assertEquals(typicalReference(l, tp, 0), survivors(neutral().typicalP(tp), l).keySet(),
                        "seed " + seed + " typical_p " + tp);
            }
            assertEquals(typicalReference(l, 0.2, 6), survivors(neutral().typicalP(0.2).minKeep(6), l).keySet());
        }
    }

    @Test
    void typicalOverALargeVocabularyMatchesTheDefinition() {
        // 5000 tokens: the order by distance to the entropy starts with a 256-token prefix; sigma 0.05 needs more
        for (double sigma : new double[]{4, 0.05}) {
            float[] l = gaussian(5000, sigma, 17);
            Set<Integer> expected = typicalReference(l, 0.9, 0);
            assertEquals(expected, survivorSet(neutral().typicalP(0.9), l), "sigma " + sigma);
            assertEquals(sigma < 1, expected.size() > 256, "sigma " + sigma + " kept " + expected.size());
        }
    }

    @Test
    void typicalRunsBeforeGreedySoItCanDropTheArgmax() {
        // one token at 0.3, fourteen at 0.05: entropy 2.46 nats, the 0.05 tokens (surprisal 3.0) are more typical
        // than the 0.3 token (1.2); typical_p 0.52 keeps eleven 0.05 tokens (mass 0.55), lowest ids first, and
        // greedy then takes id 1
        double[] probs = new double[15];
        Arrays.fill(probs, 0.05);
        probs[0] = 0.3;
        float[] l = logitsOf(probs);
        assertEquals(11, typicalReference(l, 0.52, 0).size());
        assertFalse(typicalReference(l, 0.52, 0).contains(0));
        assertEquals(typicalReference(l, 0.52, 0), survivors(neutral().typicalP(0.52), l).keySet());
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).typicalP(0.52).build(), l.length);
        assertEquals(1, s.sample(l));
        assertEquals(0, new Sampler(SamplingParams.greedy(), l.length).sample(l));
    }

    // ---- penalties and bias -----------------------------------------------------------------------------------

    /** Logits after bias and penalties, read back through the neutral distribution (temperature 1, no cut). */
    private static double[] processedLogitsRelativeTo(int reference, Sampler s, float[] l) {
        s.sample(l);
        TokenLogprobs lp = s.logprobs();
        double[] rel = new double[l.length];
        double ref = Double.NaN;
        for (int i = 0; i < lp.count(); i++) if (lp.token(i) == reference) ref = lp.logprob(i);
        Arrays.fill(rel, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < lp.count(); i++) rel[lp.token(i)] = lp.logprob(i) - ref;
        return rel;
    }

    @Test
    void penaltiesChangeExactlyTheWindowTokensAsLlamaCppDoes() {
        float[] l = {2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 1.0f};
        SamplingParams.Builder b = neutral().repeatPenalty(1.5).frequencyPenalty(0.1).presencePenalty(0.2)
                .logprobMode(LogprobMode.SAMPLED).topLogprobs(l.length);

        Sampler s = new Sampler(b.build(), l.length);
        s.accept(new int[]{0, 1, 0, 4}, 0, 4); // counts: 0 x2, 1 x1, 4 x1
        // by hand: positive logits divided by 1.5, negative multiplied; minus count*0.1 + 0.2
        double[] expected = {
                2.0 / 1.5 - (2 * 0.1 + 0.2),
                -1.0 * 1.5 - (0.1 + 0.2),
                0.5,
                3.0,
                -2.0 * 1.5 - (0.1 + 0.2),
                1.0};
        double[] actual = processedLogitsRelativeTo(2, s, l);
        for (int i = 0; i < l.length; i++) assertEquals(expected[i] - 0.5, actual[i], 1e-5, "token " + i);

        // window of 3: the first 0 has left it, so token 0 counts once
        Sampler w = new Sampler(b.repeatLastN(3).build(), l.length);
        w.accept(new int[]{0, 1, 0, 4}, 0, 4);
        double[] windowed = processedLogitsRelativeTo(2, w, l);
        assertEquals(2.0 / 1.5 - 0.3 - 0.5, windowed[0], 1e-5);
        assertEquals(3.0 - 0.5, windowed[3], 1e-5);

        // repeat_last_n 0 disables the penalties
        Sampler off = new Sampler(b.repeatLastN(0).build(), l.length);
        off.accept(new int[]{0, 1, 0, 4}, 0, 4);
        double[] none = processedLogitsRelativeTo(2, off, l);
        for (int i = 0; i < l.length; i++) assertEquals(l[i] - 0.5, none[i], 1e-5);
    }

    @Test
    void generatedTokensEnterThePenaltyWindow() {
        // a strong presence penalty on a flat distribution: with greedy, each token is picked once before any repeats
        float[] flat = new float[8];
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).presencePenalty(2).build(), 8);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 8; i++) assertTrue(seen.add(s.sampleAndAccept(flat)));
        assertEquals(8, seen.size());
        s.reset();
        assertEquals(0, s.sample(flat));
    }

    @Test
    void logitBiasIsAddedAndMinusInfinityBans() {
        float[] l = gaussian(20, 1, 3);
        int banned = argmax(l);
        Sampler greedy = new Sampler(SamplingParams.builder().temperature(0)
                .logitBias(banned, Double.NEGATIVE_INFINITY).build(), l.length);
        int second = ranking(l)[1];
        assertEquals(second, greedy.sample(l));

        Sampler s = new Sampler(neutral().logitBias(banned, Double.NEGATIVE_INFINITY).build(), l.length);
        for (int i = 0; i < 20_000; i++) assertNotEquals(banned, s.sample(l));

        double[] rel = processedLogitsRelativeTo(0, new Sampler(neutral().logitBias(5, 1.25).logitBias(0, -0.5)
                .logprobMode(LogprobMode.SAMPLED).topLogprobs(l.length).build(), l.length), l);
        assertEquals(l[5] + 1.25 - (l[0] - 0.5), rel[5], 1e-5);
        assertEquals(l[7] - (l[0] - 0.5), rel[7], 1e-5);
    }

    @Test
    void everyTokenBannedIsAnError() {
        Sampler s = new Sampler(neutral().logitBias(Map.of(0, Double.NEGATIVE_INFINITY, 1, Double.NEGATIVE_INFINITY))
                .build(), 2);
        assertThrows(IllegalStateException.class, () -> s.sample(new float[]{1, 2}));
        Sampler g = new Sampler(SamplingParams.greedy(), 2);
        assertThrows(IllegalStateException.class, () -> g.sample(new float[]{Float.NaN, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void nanLogitsAreNeverSampled() {
        float[] l = {0.5f, Float.NaN, 0.2f, Float.NEGATIVE_INFINITY, 0.1f};
        for (SamplingParams.Builder b : List.of(neutral(), neutral().topP(0.99), neutral().minP(0.01),
                neutral().topK(4), neutral().typicalP(0.99))) {
            Sampler s = new Sampler(b.logprobs(true).topLogprobs(5).build(), l.length);
            for (int i = 0; i < 2000; i++) {
                int t = s.sample(l);
                assertTrue(t == 0 || t == 2 || t == 4, "sampled " + t);
                assertEquals(Math.log(softmax(new float[]{0.5f, 0.2f, 0.1f}, 1)[t / 2]), s.logprobs().chosenLogprob(),
                        1e-6);
            }
        }
        assertEquals(0, new Sampler(SamplingParams.greedy(), l.length).sample(l));
    }

    @Test
    void vocabularyChecks() {
        SamplingParameterException e = assertThrows(SamplingParameterException.class,
                () -> new Sampler(SamplingParams.builder().logitBias(100, 1.0).build(), 100));
        assertEquals("logit_bias", e.parameter());
        assertThrows(SamplingParameterException.class,
                () -> new Sampler(SamplingParams.builder().stopTokenIds(Set.of(100)).build(), 100));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(SamplingParams.defaults(), 100).sample(new float[99]));
        assertThrows(IllegalArgumentException.class,
                () -> new Sampler(SamplingParams.builder().repeatPenalty(1.1).repeatLastN(-1).build(), 100));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(SamplingParams.defaults(), 100).accept(100));
    }

    @Test
    void endOfGenerationTokensAndIgnoreEos() {
        float[] l = new float[10];
        l[2] = 10; // the model wants to stop
        Sampler normal = new Sampler(SamplingParams.builder().temperature(0).stopTokenIds(Set.of(7)).build(), 10, 0,
                id -> id == 2);
        assertTrue(normal.isEndOfGeneration(2));
        assertTrue(normal.isEndOfGeneration(7));
        assertFalse(normal.isEndOfGeneration(3));
        assertEquals(2, normal.sample(l));

        Sampler ignore = new Sampler(SamplingParams.builder().temperature(0).ignoreEos(true).build(), 10, 0,
                id -> id == 2);
        assertFalse(ignore.isEndOfGeneration(2));
        assertNotEquals(2, ignore.sample(l));
    }

    @Test
    void repeatLastNMinusOneUsesTheContextLength() {
        float[] l = {1, 1, 0};
        Sampler s = new Sampler(SamplingParams.builder().temperature(0).presencePenalty(2).repeatLastN(-1).build(), 3,
                100, id -> false);
        int[] prompt = new int[100];
        Arrays.fill(prompt, 1, 100, 2); // token 0 is the oldest of 100: inside a window of 100, not of 64
        s.accept(prompt, 0, 100);
        assertEquals(1, s.sample(l));
        Sampler w64 = new Sampler(SamplingParams.builder().temperature(0).presencePenalty(2).repeatLastN(64).build(), 3);
        w64.accept(prompt, 0, 100);
        assertEquals(0, w64.sample(l));
    }

    // ---- logprobs ---------------------------------------------------------------------------------------------

    @Test
    void modelLogprobsAreTheRawLogSoftmaxWhateverTheSamplerDoes() {
        float[] l = gaussian(200, 2, 21);
        double[] raw = softmax(l, 1);
        Integer[] rank = ranking(l);
        Sampler s = new Sampler(SamplingParams.builder().temperature(0.3).topK(5).logitBias(rank[0], -100.0)
                .repeatPenalty(1.3).logprobs(true).topLogprobs(5).seed(3).build(), l.length);
        s.accept(rank[1]);
        int token = s.sample(l);
        TokenLogprobs lp = s.logprobs();
        assertEquals(LogprobMode.MODEL, lp.mode());
        assertEquals(token, lp.chosenToken());
        assertEquals(Math.log(raw[token]), lp.chosenLogprob(), 1e-5);
        assertEquals(5, lp.count());
        for (int i = 0; i < 5; i++) {
            assertEquals(rank[i], lp.token(i));
            assertEquals(Math.log(raw[rank[i]]), lp.logprob(i), 1e-5);
        }
    }

    @Test
    void sampledLogprobsDescribeTheFinalDistributionIncludingTemperature() {
        float[] l = logitsOf(0.15, 0.5, 0.1, 0.25);
        Sampler s = new Sampler(neutral().temperature(0.5).topK(3).logprobMode(LogprobMode.SAMPLED).topLogprobs(4)
                .build(), 4);
        int token = s.sample(l);
        double[] kept = softmax(new float[]{l[1], l[3], l[0]}, 0.5);
        TokenLogprobs lp = s.logprobs();
        assertEquals(3, lp.count());
        int[] ids = {1, 3, 0};
        for (int i = 0; i < 3; i++) {
            assertEquals(ids[i], lp.token(i));
            assertEquals(Math.log(kept[i]), lp.logprob(i), 1e-6);
        }
        int pos = token == 1 ? 0 : token == 3 ? 1 : 2;
        assertEquals(Math.log(kept[pos]), lp.chosenLogprob(), 1e-6);

        Sampler g = new Sampler(SamplingParams.builder().temperature(0).logprobMode(LogprobMode.SAMPLED).logprobs(true)
                .build(), 4);
        assertEquals(1, g.sample(l));
        assertEquals(0.0, g.logprobs().chosenLogprob());
        assertThrows(IllegalStateException.class, () -> new Sampler(SamplingParams.defaults(), 4).logprobs());
    }

    // ---- allocation -------------------------------------------------------------------------------------------

    @Test
    void samplingAllocatesNothingAfterConstruction() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);

        float[] l = gaussian(8_000, 2.5, 77);
        List<SamplingParams> configs = List.of(
                SamplingParams.builder().seed(1).repeatPenalty(1.1).presencePenalty(0.5).logprobs(true)
                        .topLogprobs(5).build(),
                SamplingParams.builder().seed(2).topK(0).topP(0.9).minP(0).logprobMode(LogprobMode.SAMPLED)
                        .topLogprobs(3).build(),
                SamplingParams.builder().seed(3).topK(0).topP(1).minP(0.01).typicalP(0.9).build(),
                SamplingParams.builder().neutral().seed(4).logprobMode(LogprobMode.SAMPLED).topLogprobs(2).build(),
                SamplingParams.builder().temperature(0).logitBias(5, Double.NEGATIVE_INFINITY).build());
        long thread = Thread.currentThread().threadId();
        for (SamplingParams p : configs) {
            Sampler s = new Sampler(p, l.length);
            // warm up until C2 has compiled the Vector API loops (interpreted, they box vectors): batches of 100
            // calls until one allocates nothing, at most 200 batches
            for (int batch = 0; batch < 200; batch++) {
                long before = mx.getThreadAllocatedBytes(thread);
                for (int i = 0; i < 100; i++) s.sampleAndAccept(l);
                if (mx.getThreadAllocatedBytes(thread) - before < 2048) break;
            }
            // best of up to 50 batches, so a recompilation after the warm-up (a deoptimized method runs interpreted,
            // boxing vectors, until C2 compiles it again: seconds on a busy 2-core machine) cannot fail the test; an
            // allocation in every call would show in each batch as >= 200 * 16 bytes
            long allocated = Long.MAX_VALUE;
            for (int batch = 0; batch < 50 && allocated >= 2048; batch++) {
                long before = mx.getThreadAllocatedBytes(thread);
                for (int i = 0; i < 200; i++) s.sampleAndAccept(l);
                allocated = Math.min(allocated, mx.getThreadAllocatedBytes(thread) - before);
            }
            assertTrue(allocated < 2048, allocated + " bytes allocated in 200 steps with " + p);
        }
    }
}
