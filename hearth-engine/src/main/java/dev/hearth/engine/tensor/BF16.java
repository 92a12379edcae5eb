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
import static dev.hearth.engine.tensor.HalfFloats.bf16ToFloat;
import static dev.hearth.engine.tensor.HalfFloats.floatToBf16;

/**
 * BF16: bfloat16 (sign, 8 exponent bits, 7 mantissa bits: the upper half of a float), little-endian, 2 bytes a
 * value, no blocks (ggml_bf16_t). Activations for a BF16 weight are rounded to BF16 too, so {@link #quantize} is also
 * the activation quantizer.
 */
public final class BF16 implements BlockFormat {
    public static final BF16 INSTANCE = new BF16();

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    /** Half as wide as a float vector, so one load widens to one float vector. */
    private static final VectorSpecies<Short> SS =
            ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(FS.vectorBitSize() / 2));

    private BF16() {}

    @Override public GgmlType type() { return GgmlType.BF16; }

    @Override public GgmlType vecDotType() { return GgmlType.BF16; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = bf16ToFloat(src.get(SHORT_LE, srcOffset + 2L * i));
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) dst.set(SHORT_LE, dstOffset + 2L * i, floatToBf16(src[srcOffset + i]));
    }

    /** Widening bf16 is a 16-bit left shift; the product of two bf16 is exact in float. */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(FS), acc1 = FloatVector.zero(FS);
        int step = FS.length(), i = 0;
        for (; i <= n - 2 * step; i += 2 * step) {
            long o = 2L * i;
            acc0 = widen(w, wOffset + o).fma(widen(x, xOffset + o), acc0);
            acc1 = widen(w, wOffset + o + 2L * step).fma(widen(x, xOffset + o + 2L * step), acc1);
        }
        for (; i <= n - step; i += step) {
            acc0 = widen(w, wOffset + 2L * i).fma(widen(x, xOffset + 2L * i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += bf16ToFloat(w.get(SHORT_LE, wOffset + 2L * i)) * bf16ToFloat(x.get(SHORT_LE, xOffset + 2L * i));
        }
        return sum;
    }

    private static FloatVector widen(MemorySegment s, long offset) {
        return ShortVector.fromMemorySegment(SS, s, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, IS, 0)
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_bf16}, float products summed in double. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += bf16ToFloat(w.get(SHORT_LE, wOffset + 2L * i)) * bf16ToFloat(x.get(SHORT_LE, xOffset + 2L * i));
        }
        return (float) sum;
    }
}
