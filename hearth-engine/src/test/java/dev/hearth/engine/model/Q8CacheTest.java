package dev.hearth.engine.model;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A Q8_0 KV cache gives logits close to the exact F32 cache's: 8-bit keys, queries and values move each logit by a
 * small fraction of the logits' range, at every position of a prompt and of one-token decoding steps.
 */
class Q8CacheTest {

    /**
     * Largest |Q8_0 - F32| logit difference allowed, as a fraction of the F32 logits' range at that position. Measured
     * on these random-weight models: 1.5-5% (an F16 cache: 0.05-0.2% with float weights, up to 2.7% with Q8_0
     * weights, whose quantized activations amplify small differences); a V path that read the neighbouring block's
     * scale gave 20-57%.
     */
    static final double TOLERANCE = 0.08;

    private static int[] tokens(int n, int vocab) {
        int[] t = new int[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) t[i] = (7 + 131 * i) % vocab;
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/llama-spm-q8_0.gguf", "models/qwen2-q8_0.gguf", "models/llama-bpe-rope-llama3-q8_0.gguf",
            "models/llama-spm-f32.gguf",
            "models/gemma-f32.gguf", "models/bitnet-f32.gguf"})
    void q8CacheLogitsTrackTheF32Cache(String name) throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.file(name))) {
            Model model = Model.load(f);
            int vocab = model.config().vocabularySize();
            int[] prompt = tokens(70, vocab);
            int decoded = 6;

            // the prompt in one batch (several queries per pass), then one token at a time
            Session exact = model.newSession(128, KvCache.Type.F32), q8 = model.newSession(128, KvCache.Type.Q8_0);
            assertEquals(KvCache.Type.Q8_0, q8.kvType());
            float[] a = exact.forwardAll(prompt, 0, prompt.length), b = q8.forwardAll(prompt, 0, prompt.length);
            double worst = 0;
            boolean differs = false;
            for (int p = 0; p < prompt.length + decoded; p++) {
                float[] x, y;
                if (p < prompt.length) {
                    x = Arrays.copyOfRange(a, p * vocab, (p + 1) * vocab);
                    y = Arrays.copyOfRange(b, p * vocab, (p + 1) * vocab);
                } else {
                    int next = (3 + 17 * p) % vocab;
                    x = exact.forward(next).clone();
                    y = q8.forward(next).clone();
                }
                double err = relativeError(x, y);
                worst = Math.max(worst, err);
                differs |= !Arrays.equals(x, y);
                assertTrue(err <= TOLERANCE, name + ": position " + p + ": Q8_0 logits differ by " + err + " of the range");
            }
            assertTrue(differs, name + ": a Q8_0 cache gave exactly the F32 cache's logits; was it quantized?");
            System.out.printf("%s: Q8_0 vs F32 KV cache, worst logit difference %.5f of the range%n", name, worst);
        }
    }

    @Test
    void q8IsRefusedForHeadDimensionsThatAreNotWholeBlocks() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.file("models/gemma2-q8_0.gguf"))) { // head dimension 16
            Model model = Model.load(f);
            var e = assertThrows(IllegalArgumentException.class, () -> model.newSession(64, KvCache.Type.Q8_0));
            assertTrue(e.getMessage().contains("Q8_0 KV cache needs head dimensions that are multiples of 32"), e.getMessage());
            assertTrue(e.getMessage().contains("16"), e.getMessage());
        }
    }

    /** max |x - y| over the range of x */
    private static double relativeError(float[] x, float[] y) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        double diff = 0;
        for (int i = 0; i < x.length; i++) {
            min = Math.min(min, x[i]);
            max = Math.max(max, x[i]);
            diff = Math.max(diff, Math.abs(x[i] - y[i]));
        }
        return diff / (max - min);
    }
}
