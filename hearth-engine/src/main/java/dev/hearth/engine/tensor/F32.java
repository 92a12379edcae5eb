package dev.hearth.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.hearth.engine.tensor.HalfFloats.FLOAT_LE;

/**
 * F32: plain little-endian IEEE floats, 4 bytes a value, no blocks. Activations for an F32 weight stay F32
 * ({@code ggml_vec_dot_f32}).
 */
public final class F32 implements BlockFormat {
    public static final F32 INSTANCE = new F32();

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    private F32() {}

    @Override public GgmlType type() { return GgmlType.F32; }

    @Override public GgmlType vecDotType() { return GgmlType.F32; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        MemorySegment.copy(src, FLOAT_LE, srcOffset, dst, dstOffset, n);
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        MemorySegment.copy(src, srcOffset, dst, FLOAT_LE, dstOffset, n);
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        int step = FS.length(), i = 0;
        for (; i <= n - step; i += step) {
            long off = 4L * i;
            FloatVector a = FloatVector.fromMemorySegment(FS, w, wOffset + off, ByteOrder.LITTLE_ENDIAN);
            FloatVector b = FloatVector.fromMemorySegment(FS, x, xOffset + off, ByteOrder.LITTLE_ENDIAN);
            acc = a.fma(b, acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += w.get(FLOAT_LE, wOffset + 4L * i) * x.get(FLOAT_LE, xOffset + 4L * i);
        return sum;
    }

    /** The specification of {@link #dot}: one product at a time, summed in double like ggml's scalar path. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += w.get(FLOAT_LE, wOffset + 4L * i) * x.get(FLOAT_LE, xOffset + 4L * i);
        return (float) sum;
    }
}
