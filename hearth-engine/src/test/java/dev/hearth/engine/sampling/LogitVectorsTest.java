package dev.hearth.engine.sampling;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogitVectorsTest {
    @Test
    void sumExpMatchesADoubleSumAndStoresTheTerms() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[]{1, 7, 16, 33, 1000, 151_936}) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * 3);
            if (n > 1) x[n / 2] = Float.NEGATIVE_INFINITY; // a banned token contributes 0
            float max = Float.NEGATIVE_INFINITY;
            for (float v : x) max = Math.max(max, v);
            assertEquals(max, LogitVectors.max(x, n));
            for (float scale : new float[]{1f, 1 / 0.7f, 0.25f}) {
                double expected = 0;
                for (float v : x) expected += Math.exp(((double) v - max) * scale);
                float[] terms = new float[n];
                double actual = LogitVectors.sumExp(x, n, max, scale, terms);
                assertEquals(expected, actual, 1e-6 * expected, "n=" + n + " scale=" + scale);
                if (n > 1) assertEquals(0f, terms[n / 2]);
                int probe = rnd.nextInt(n);
                assertEquals(Math.exp(((double) x[probe] - max) * scale), terms[probe], 1e-6);
            }
        }
    }

    @Test
    void indexOfFindsTheFirstOccurrence() {
        float[] x = new float[100];
        x[37] = 5;
        x[64] = 5;
        x[99] = 5;
        assertEquals(37, LogitVectors.indexOf(x, 100, 5));
        x[37] = 0;
        assertEquals(64, LogitVectors.indexOf(x, 100, 5));
        x[64] = 0;
        assertEquals(99, LogitVectors.indexOf(x, 100, 5)); // in the scalar tail
        assertEquals(-1, LogitVectors.indexOf(x, 30, 5));
        assertEquals(0, LogitVectors.indexOf(x, 100, 0));
    }

    @Test
    void nanPropagatesSoCallersCanFallBack() {
        float[] x = new float[50];
        x[41] = Float.NaN;
        assertTrue(Float.isNaN(LogitVectors.max(x, 50)));
        assertTrue(Double.isNaN(LogitVectors.sumExp(x, 50, 0f, 1f, null)));
    }
}
