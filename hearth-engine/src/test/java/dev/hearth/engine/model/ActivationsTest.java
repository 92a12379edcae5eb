package dev.hearth.engine.model;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class ActivationsTest {

    @Test
    void vectorQ8QuantizationMatchesTheScalarOneByteForByte() {
        SplittableRandom random = new SplittableRandom(7);
        int n = 32 * 64;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-6, 6)));
        // blocks with special values: zeros, -0, NaN, infinities, exact halves (ties round to even), subnormals
        for (int j = 0; j < 32; j++) x[j] = 0f;
        x[32] = -0f;
        x[64] = Float.NaN;
        x[96] = Float.POSITIVE_INFINITY;
        x[128 + 5] = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < 32; j++) x[160 + j] = j - 16.5f; // max 16.5: x·127/16.5 lands on halves for some j
        x[192] = 127f;
        for (int j = 1; j < 32; j++) x[192 + j] = j + 0.5f; // id = 1: every value a tie
        for (int j = 0; j < 32; j++) x[224 + j] = Float.MIN_VALUE * j;
        for (boolean q81 : new boolean[]{false, true}) {
            int bytes = (n / 32) * (q81 ? 36 : 34);
            MemorySegment vector = Arena.ofAuto().allocate(bytes + 8), scalar = Arena.ofAuto().allocate(bytes + 8);
            Activations.simdQ8(x, 0, vector, 3, n, q81); // an odd offset: blocks need no alignment
            scalar(x, 0, scalar, 3, n, q81);
            assertArrayEquals(scalar.toArray(ValueLayout.JAVA_BYTE), vector.toArray(ValueLayout.JAVA_BYTE), q81 ? "Q8_1" : "Q8_0");
        }
    }

    /** llama.cpp's x86 quantize_row_q8_0/_q8_1 one value at a time, as Activations had it before it was vectorized. */
    private static void scalar(float[] x, int off, MemorySegment dst, long o, int n, boolean q81) {
        int bytes = q81 ? 36 : 34, qo = q81 ? 4 : 2;
        for (int b = 0; b < n / 32; b++) {
            float max = 0;
            for (int j = 0; j < 32; j++) max = Math.max(max, Math.abs(x[off + b * 32 + j]));
            float d = max / 127.f;
            float id = max != 0 ? 127.f / max : 0;
            long bo = o + (long) b * bytes;
            dst.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, bo, Float.floatToFloat16(d));
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                int q = (int) Math.rint(x[off + b * 32 + j] * id);
                sum += q;
                dst.set(java.lang.foreign.ValueLayout.JAVA_BYTE, bo + qo + j, (byte) q);
            }
            if (q81) dst.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, bo + 2, Float.floatToFloat16(d * sum));
        }
    }
}
