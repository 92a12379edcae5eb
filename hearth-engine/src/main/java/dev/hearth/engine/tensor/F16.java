package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.HalfFloats.SHORT_LE;

/**
 * F16: little-endian IEEE binary16, 2 bytes a value, no blocks (ggml_fp16_t). Activations for an F16 weight are
 * rounded to F16 too, so {@link #quantize} is also the activation quantizer.
 */
public final class F16 implements BlockFormat {
    public static final F16 INSTANCE = new F16();

    private F16() {}

    @Override public GgmlType type() { return GgmlType.F16; }

    @Override public GgmlType vecDotType() { return GgmlType.F16; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT_LE, srcOffset + 2L * i));
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) dst.set(SHORT_LE, dstOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
    }

    /**
     * The product of two halves is exact in float (11-bit significands), so only the summation order differs from
     * ggml; four partial sums keep the add chain short. (The Vector API has no fp16 conversion to vectorize this;
     * the matrix kernels handle F16 their own way.)
     */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i <= n - 4; i += 4) {
            long o = 2L * i;
            s0 += Float.float16ToFloat(w.get(SHORT_LE, wOffset + o)) * Float.float16ToFloat(x.get(SHORT_LE, xOffset + o));
            s1 += Float.float16ToFloat(w.get(SHORT_LE, wOffset + o + 2)) * Float.float16ToFloat(x.get(SHORT_LE, xOffset + o + 2));
            s2 += Float.float16ToFloat(w.get(SHORT_LE, wOffset + o + 4)) * Float.float16ToFloat(x.get(SHORT_LE, xOffset + o + 4));
            s3 += Float.float16ToFloat(w.get(SHORT_LE, wOffset + o + 6)) * Float.float16ToFloat(x.get(SHORT_LE, xOffset + o + 6));
        }
        for (; i < n; i++) {
            s0 += Float.float16ToFloat(w.get(SHORT_LE, wOffset + 2L * i)) * Float.float16ToFloat(x.get(SHORT_LE, xOffset + 2L * i));
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_f16}, float products summed in double. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Float.float16ToFloat(w.get(SHORT_LE, wOffset + 2L * i)) * Float.float16ToFloat(x.get(SHORT_LE, xOffset + 2L * i));
        }
        return (float) sum;
    }
}
