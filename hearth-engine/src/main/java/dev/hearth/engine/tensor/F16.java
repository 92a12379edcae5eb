package dev.hearth.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.hearth.engine.tensor.HalfFloats.SHORT_LE;
import static dev.hearth.engine.tensor.HalfFloats.fp16;

/**
 * F16: little-endian IEEE binary16, 2 bytes a value, no blocks (ggml_fp16_t). Activations for an F16 weight are
 * rounded to F16 too, so {@link #quantize} is also the activation quantizer.
 */
public final class F16 implements BlockFormat {
    public static final F16 INSTANCE = new F16();

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    /** Half as wide as a float vector, so one load widens to one float vector. */
    private static final VectorSpecies<Short> SS =
            ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(FS.vectorBitSize() / 2));

    private F16() {}

    @Override public GgmlType type() { return GgmlType.F16; }

    @Override public GgmlType vecDotType() { return GgmlType.F16; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = fp16(src, srcOffset + 2L * i);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) dst.set(SHORT_LE, dstOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
    }

    /**
     * The product of two halves is exact in float (11-bit significands): only the summation order differs from ggml.
     * One accumulator and two conversion sites per iteration: each conversion inlines into a large node graph, and
     * with four of them C2 stopped inlining (NodeCountInliningCutoff) and boxed every vector (3x slower).
     */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        int step = FS.length(), i = 0;
        for (; i <= n - step; i += step) {
            acc = widen(w, wOffset + 2L * i).fma(widen(x, xOffset + 2L * i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += fp16(w, wOffset + 2L * i) * fp16(x, xOffset + 2L * i);
        return sum;
    }

    /**
     * fp16 to float in integer lanes (the Vector API has no fp16 conversion): the exponent and mantissa shifted into
     * float position and scaled by 2^112 (float bias 127 - half bias 15) is exact for zeros, subnormals and normals;
     * infinities and NaNs get the float's all-ones exponent instead; the sign is ORed back.
     */
    static FloatVector widen(MemorySegment s, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, s, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, IS, 0);
        IntVector magnitude = h.and(0x7fff);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector bits = finite.blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_f16}, float products summed in double. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += fp16(w, wOffset + 2L * i) * fp16(x, xOffset + 2L * i);
        return (float) sum;
    }
}
