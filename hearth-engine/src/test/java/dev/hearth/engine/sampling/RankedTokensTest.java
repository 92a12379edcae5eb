package dev.hearth.engine.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RankedTokensTest {
    private static final float[] SPECIAL = {
            Float.MAX_VALUE, 1e30f, 3.5f, 1f, Float.MIN_NORMAL, Float.MIN_VALUE, 0f, -0f, -Float.MIN_VALUE,
            -1f, -3.5f, -1e30f, -Float.MAX_VALUE};

    /** The order the sampler promises: higher logit first, equal logits by lower id. */
    private static int compare(float a, int ia, float b, int ib) {
        if (a != b) return a > b ? -1 : 1; // -0 == +0 here, as in float comparison
        return Integer.compare(ia, ib);
    }

    @Test
    void keyOrderIsLogitDescendingThenIdAscending() {
        SplittableRandom rnd = new SplittableRandom(1);
        int[] ids = {0, 1, 2, 77, 150_000, Integer.MAX_VALUE};
        for (float a : SPECIAL) {
            for (float b : SPECIAL) {
                for (int k = 0; k < 20; k++) {
                    int ia = ids[rnd.nextInt(ids.length)], ib = ids[rnd.nextInt(ids.length)];
                    if (ia == ib) continue;
                    int expected = compare(a, ia, b, ib);
                    int actual = Long.compare(RankedTokens.key(a, ia), RankedTokens.key(b, ib));
                    assertEquals(expected, Integer.signum(actual), a + "#" + ia + " vs " + b + "#" + ib);
                }
            }
        }
    }

    @Test
    void keyRoundTripsLogitAndId() {
        for (float v : SPECIAL) {
            long k = RankedTokens.key(v, 12345);
            assertEquals(12345, RankedTokens.id(k));
            assertEquals(v == 0 ? 0f : v, RankedTokens.logit(k) + 0f);
        }
    }

    @Test
    void sortMatchesArraysSort() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int n : new int[]{0, 1, 2, 3, 17, 100, 1000, 50_000}) {
            long[] a = new long[n];
            for (int i = 0; i < n; i++) a[i] = RankedTokens.key((float) rnd.nextGaussian(), i);
            long[] expected = a.clone();
            Arrays.sort(expected);
            RankedTokens.sort(a, 0, n);
            assertArrayEquals(expected, a, "n=" + n);
        }
    }

    @Test
    void sortHandlesAdversarialInputs() {
        int n = 20_000;
        long[] ascending = new long[n], descending = new long[n], equalLogits = new long[n];
        for (int i = 0; i < n; i++) {
            ascending[i] = RankedTokens.key(n - i, i);
            descending[i] = RankedTokens.key(i, i);
            equalLogits[i] = RankedTokens.key(1.5f, (i * 7919) % n);
        }
        for (long[] a : new long[][]{ascending, descending, equalLogits}) {
            long[] expected = a.clone();
            Arrays.sort(expected);
            RankedTokens.sort(a, 0, n);
            assertArrayEquals(expected, a);
        }
    }

    @Test
    void selectBestReturnsTheSortedPrefixAndSkipsBannedTokens() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 5000;
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) logits[i] = (float) Math.round(rnd.nextGaussian() * 4) / 2; // many ties
        logits[10] = Float.NEGATIVE_INFINITY;
        logits[11] = Float.NaN;
        long[] all = new long[n];
        int eligible = 0;
        for (int i = 0; i < n; i++) if (logits[i] > Float.NEGATIVE_INFINITY) all[eligible++] = RankedTokens.key(logits[i], i);
        Arrays.sort(all, 0, eligible);
        for (int k : new int[]{1, 2, 40, 1000, n}) {
            long[] out = new long[k];
            int count = RankedTokens.selectBest(logits, n, k, out);
            assertEquals(Math.min(k, eligible), count);
            assertArrayEquals(Arrays.copyOf(all, count), Arrays.copyOf(out, count), "k=" + k);
        }
    }

    @Test
    void selectBestInPlaceKeepsEveryCandidate() {
        SplittableRandom rnd = new SplittableRandom(4);
        int n = 3000;
        long[] a = new long[n];
        for (int i = 0; i < n; i++) a[i] = RankedTokens.key((float) rnd.nextGaussian(), i);
        long[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int k : new int[]{1, 5, 256, n}) {
            long[] b = a.clone();
            RankedTokens.selectBestInPlace(b, n, k);
            assertArrayEquals(Arrays.copyOf(sorted, k), Arrays.copyOf(b, k), "k=" + k);
            long[] all = b.clone();
            Arrays.sort(all);
            assertArrayEquals(sorted, all, "candidates lost or duplicated, k=" + k);
            for (int i = k; i < n; i++) assertTrue(b[i] > b[k - 1]);
        }
    }
}
