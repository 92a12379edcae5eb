package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.hearth.engine.tensor.HalfFloats.fp16;
import static dev.hearth.engine.tensor.HalfFloats.putFp16;
import static dev.hearth.engine.tensor.HalfFloats.roundHalfAway;

/**
 * Q8_1: 8-bit activations with a precomputed block sum, blocks of 32 values in 36 bytes (llama.cpp
 * {@code block_q8_1}):
 * <pre>
 *   byte 0..1   fp16 d       scale
 *   byte 2..3   fp16 s       d * sum(qs), rounded to fp16
 *   byte 4..35  i8   qs[32]  value j = qs[j] * d
 * </pre>
 * Only an activation format (for Q4_1 and Q5_1 weights, whose min term needs the block sum): it has no dot of its
 * own.
 */
public final class Q8_1 implements BlockFormat {
    public static final Q8_1 INSTANCE = new Q8_1();

    static final int QK = 32, BYTES = 36;

    private Q8_1() {}

    @Override public GgmlType type() { return GgmlType.Q8_1; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_1; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            long o = srcOffset + (long) b * BYTES;
            float d = fp16(src, o);
            int y = dstOffset + b * QK;
            for (int j = 0; j < QK; j++) dst[y + j] = src.get(ValueLayout.JAVA_BYTE, o + 4 + j) * d;
        }
    }

    /**
     * llama.cpp's {@code quantize_row_q8_1_ref}: as Q8_0 (d = amax/127, roundf), plus s = fp16(sum(qs) * d) with
     * the integer sum converted to float first.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            int x = srcOffset + b * QK;
            long o = dstOffset + (long) b * BYTES;
            float amax = 0;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            int sum = 0;
            for (int j = 0; j < QK; j++) {
                byte q = (byte) roundHalfAway(src[x + j] * id);
                dst.set(ValueLayout.JAVA_BYTE, o + 4 + j, q);
                sum += q;
            }
            putFp16(dst, o, d);
            putFp16(dst, o + 2, sum * d);
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        throw new UnsupportedOperationException(
                "Q8_1 is an activation format only (for Q4_1/Q5_1 weights); llama.cpp has no Q8_1 x Q8_1 dot either");
    }
}
