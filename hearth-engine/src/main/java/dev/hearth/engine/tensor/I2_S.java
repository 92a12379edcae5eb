package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.HalfFloats.fp16;

/**
 * I2_S, Microsoft's BitNet b1.58 format (bitnet.cpp, ggml id 36, the type of {@code bitnet-b1.58-2B-4T}'s weights):
 * ternary values (−1, 0, +1), 2 bits each, in groups of 128 values packed into 32 bytes, and no per-block scale:
 * one float scale for the whole tensor sits in a 32-byte tail after the last row ({@link GgmlType#tensorBytes}),
 * applied by the model, not here. Value = q − 1.
 *
 * <pre>
 * byte p of a 32-byte group (p 0..31) holds values p (bits 7..6), p+32 (bits 5..4), p+64 (bits 3..2), p+96 (bits 1..0)
 * </pre>
 *
 * <p>Activations are quantized to Q8_0 (8 bits per 32 values with an fp16 scale): products are summed in integers
 * per 32 values, as bitnet.cpp's W1.58A8 kernels do per row.
 */
public final class I2_S implements BlockFormat {
    public static final I2_S INSTANCE = new I2_S();

    static final int GROUP = 128, GROUP_BYTES = 32;

    private I2_S() {}

    @Override public GgmlType type() { return GgmlType.I2_S; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_0; }

    private static void checkGroups(int n) {
        if (n % GROUP != 0) throw new IllegalArgumentException(n + " values is not a whole number of I2_S groups of " + GROUP);
    }

    /** The 2-bit code of value {@code j} (0..127) of the group at {@code g}. */
    private static int code(MemorySegment src, long g, int j) {
        return (src.get(KQuants.I8, g + (j & 31)) >> (6 - 2 * (j >> 5))) & 3;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkGroups(n);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = code(src, srcOffset + (long) (i / GROUP) * GROUP_BYTES, i % GROUP) - 1;
        }
    }

    /** Rounds each value to the nearest of −1, 0, +1 (the input is expected to be ternary already, unscaled). */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkGroups(n);
        for (int g = 0; g < n / GROUP; g++) {
            long out = dstOffset + (long) g * GROUP_BYTES;
            for (int p = 0; p < GROUP_BYTES; p++) {
                int b = 0;
                for (int k = 0; k < 4; k++) {
                    float x = src[srcOffset + g * GROUP + 32 * k + p];
                    int q = x > 0.5f ? 2 : x < -0.5f ? 0 : 1;
                    b |= q << (6 - 2 * k);
                }
                dst.set(KQuants.I8, out + p, (byte) b);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkGroups(n);
        float sum = 0;
        for (int blk = 0; blk < n / 32; blk++) {
            long g = wOffset + (long) (blk / 4) * GROUP_BYTES, xb = xOffset + (long) blk * Q8_0.BYTES;
            int sumi = 0, k = blk & 3;
            for (int p = 0; p < 32; p++) {
                int q = ((w.get(KQuants.I8, g + p) >> (6 - 2 * k)) & 3) - 1;
                sumi += q * x.get(KQuants.I8, xb + 2 + p);
            }
            sum += sumi * fp16(x, xb);
        }
        return sum;
    }
}
