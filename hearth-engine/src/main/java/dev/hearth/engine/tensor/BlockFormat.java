package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * One ggml storage format: its block layout, and the reference (scalar, exact) operations on it.
 * Offsets are byte offsets into a segment in the GGUF block layout; {@code n} is a count of values and a
 * multiple of the block size. Results match llama.cpp: dequantize bit for bit, quantize with its reference
 * quantizer (no importance matrix), dot like its {@code vec_dot} against activations already quantized to
 * {@link #vecDotType()}. The fast kernels live in {@link Matrix}; these are their specification.
 */
public sealed interface BlockFormat
        permits F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K,
                IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, I2_S {

    GgmlType type();

    /** The format activations are quantized to before a dot product with this one (llama.cpp's vec_dot_type). */
    GgmlType vecDotType();

    void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);

    void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n);

    /** Dot product of {@code n} values of this format with {@code n} values of {@link #vecDotType()}. */
    float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n);

    /** The format of a type, or an error naming the type when this build has no kernels for it. */
    static BlockFormat of(GgmlType type) {
        return switch (type) {
            case F32 -> F32.INSTANCE;
            case F16 -> F16.INSTANCE;
            case BF16 -> BF16.INSTANCE;
            case Q4_0 -> Q4_0.INSTANCE;
            case Q4_1 -> Q4_1.INSTANCE;
            case Q5_0 -> Q5_0.INSTANCE;
            case Q5_1 -> Q5_1.INSTANCE;
            case Q8_0 -> Q8_0.INSTANCE;
            case Q8_1 -> Q8_1.INSTANCE;
            case Q2_K -> Q2_K.INSTANCE;
            case Q3_K -> Q3_K.INSTANCE;
            case Q4_K -> Q4_K.INSTANCE;
            case Q5_K -> Q5_K.INSTANCE;
            case Q6_K -> Q6_K.INSTANCE;
            case Q8_K -> Q8_K.INSTANCE;
            case IQ4_NL -> IQ4_NL.INSTANCE;
            case IQ4_XS -> IQ4_XS.INSTANCE;
            case TQ1_0 -> TQ1_0.INSTANCE;
            case TQ2_0 -> TQ2_0.INSTANCE;
            case I2_S -> I2_S.INSTANCE;
            default -> throw new UnsupportedOperationException("tensor type " + type + " (ggml id " + type.id
                    + ") is not supported by Hearth; supported: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K"
                    + " Q5_K Q6_K IQ4_NL IQ4_XS TQ1_0 TQ2_0 I2_S");
        };
    }
}
