package dev.hearth.engine.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The vector quantizers give exactly the scalar ones' values (the scalar ones are llama.cpp's reference code). */
class ActivationsTest {

    /** Inputs with exact rounding ties (x/d = k + 1/2), zeros, repeated maxima of both signs, and plain noise. */
    static float[] awkwardInput(int n, SplittableRandom rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = (i / 32) % 5;
            x[i] = switch (kind) {
                case 0 -> (float) rnd.nextGaussian();
                case 1 -> i % 32 == 0 ? 127f : (rnd.nextInt(255) - 127) + 0.5f; // d = 1: every value a tie
                case 2 -> 0f;
                case 3 -> (i % 2 == 0 ? 1 : -1) * 3f;                           // |max| repeated, signs alternate
                default -> (float) rnd.nextGaussian() * 1e-30f;
            };
        }
        return x;
    }

    @Test
    void vectorQ8_0EqualsScalar() {
        assumeVector();
        SplittableRandom rnd = new SplittableRandom(11);
        Activations x = new Activations(1024).set(awkwardInput(3 * 1024, rnd), 0, 3);
        byte[] q = x.q8_0().clone();
        float[] d = x.q8_0Scale().clone();
        int[] corr = x.q4_0Correction().clone();
        for (int blk = 0; blk < 3 * 1024 / 32; blk++) {
            int sum = x.quantizeQ8_0Block(blk);
            assertEquals(corr[blk], 8 * sum, "sum of block " + blk);
            assertEquals(d[blk], x.q8_0Scale()[blk], "scale of block " + blk);
            for (int j = 0; j < 32; j++) assertEquals(x.q8_0()[blk * 32 + j], q[blk * 32 + j], "block " + blk + " value " + j);
        }
    }

    @Test
    void roundingTiesGoAwayFromZeroForQ8_0AndToEvenForQ8_K() {
        float[] in = new float[256];
        in[0] = 127f;
        in[1] = 2.5f;
        in[2] = -2.5f;
        in[3] = 0.5f;
        in[4] = -0.49999997f;
        Activations x = new Activations(256).set(in);
        byte[] q = x.q8_0();
        assertArrayEquals(new byte[]{127, 3, -3, 1, 0}, java.util.Arrays.copyOf(q, 5));
        in[0] = -127f; // Q8_K: iscale = -127/max = 1
        byte[] k = x.set(in).q8_K();
        assertArrayEquals(new byte[]{-127, 2, -2, 0, 0}, java.util.Arrays.copyOf(k, 5));
        assertEquals(1f, x.q8_KScale()[0]);
    }

    @Test
    void vectorQ8_KEqualsScalar() {
        assumeVector();
        SplittableRandom rnd = new SplittableRandom(12);
        Activations x = new Activations(1280).set(awkwardInput(2 * 1280, rnd), 0, 2);
        byte[] q = x.q8_K().clone();
        float[] d = x.q8_KScale().clone();
        int[] sums = x.q8_KSum32().clone();
        for (int sb = 0; sb < 2 * 1280 / 256; sb++) {
            x.quantizeQ8_KBlock(sb);
            assertEquals(Float.floatToRawIntBits(d[sb]), Float.floatToRawIntBits(x.q8_KScale()[sb]), "scale of super-block " + sb);
            for (int j = 0; j < 256; j++) assertEquals(x.q8_K()[sb * 256 + j], q[sb * 256 + j], "super-block " + sb + " value " + j);
            for (int s = 0; s < 8; s++) assertEquals(x.q8_KSum32()[sb * 8 + s], sums[sb * 8 + s], "sum " + s);
        }
    }

    @Test
    void settingANewInputInvalidatesEveryForm() {
        Activations x = new Activations(64).set(new float[64]);
        assertEquals(0, x.q8_0()[5]);
        float[] in = new float[64];
        in[5] = 1f;
        x.set(in);
        assertEquals(127, x.q8_0()[5]);
        assertEquals(1f, x.f16()[Activations.splitIndex(5)] * 0x1p-112f);
    }

    private static void assumeVector() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.FAST, "no 512-bit vectors: the scalar quantizers are the only ones used");
    }
}
