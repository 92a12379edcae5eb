package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.HalfFloats.fp16;
import static dev.hearth.engine.tensor.HalfFloats.putFp16;
import static dev.hearth.engine.tensor.HalfFloats.roundHalfAway;
import static dev.hearth.engine.tensor.KQuants.*;

/**
 * Q8_K: the activation format for the K quants, IQ4_XS and the ternary types; 256 values in 292 bytes. Never
 * stored in model files. Value = d·q.
 *
 * <pre>
 * offset size
 *   0     4   d          f32 scale
 *   4   256   qs[256]    int8 quants
 * 260    32   bsums[16]  int16, bsums[j] = Σ qs[16j .. 16j+15] (lets min terms skip the quants)
 * </pre>
 */
public final class Q8_K implements BlockFormat {
    public static final Q8_K INSTANCE = new Q8_K();

    static final int BLOCK_BYTES = 292;
    static final int D = 0, QS = 4, BSUMS = 260;

    private Q8_K() {}

    @Override public GgmlType type() { return GgmlType.Q8_K; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float d = src.get(F32, b + D);
            for (int j = 0; j < QK_K; j++) dst[y++] = d * src.get(I8, b + QS + j);
        }
    }

    /**
     * The activation quantizer (ggml's quantize_row_q8_K): per block iscale = −127/max with max the value of
     * largest magnitude (sign kept), q = nearest_int(iscale·x) capped at 127, d = 1/iscale. An all-zero block
     * gets d = 0 and zero quants.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkBlocks(n);
        for (int blk = 0; blk < n / QK_K; blk++) {
            int x = srcOffset + blk * QK_K;
            long out = dstOffset + (long) blk * BLOCK_BYTES;
            float max = 0, amax = 0;
            for (int j = 0; j < QK_K; j++) {
                float ax = Math.abs(src[x + j]);
                if (ax > amax) { amax = ax; max = src[x + j]; }
            }
            if (amax == 0) {
                dst.asSlice(out, BLOCK_BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int ii = 0; ii < 16; ii++) {
                    int q = Math.min(127, nearestInt(iscale * src[x + 16 * j + ii]));
                    dst.set(I8, out + QS + 16 * j + ii, (byte) q);
                    sum += (byte) q;
                }
                dst.set(I16, out + BSUMS + 2 * j, (short) sum);
            }
            dst.set(F32, out + D, 1 / iscale);
        }
    }

    /** Q8_K is only ever the right-hand side of another format's dot product; ggml has no Q8_K×Q8_K kernel. */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        throw new UnsupportedOperationException("Q8_K is an activation format only; it has no dot product of its own"
                + " (dot a Q2_K..Q6_K, IQ4_XS, TQ1_0 or TQ2_0 row against it instead)");
    }
}
