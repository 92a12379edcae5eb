package dev.hearth.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.Simd.F512;
import static dev.hearth.engine.tensor.Simd.HALF;
import static dev.hearth.engine.tensor.Simd.I512;
import static dev.hearth.engine.tensor.Simd.LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * BF16 weights times BF16-rounded input. 32 bf16 values load as 16 ints: {@code bits << 16} is the even value and
 * {@code bits & 0xFFFF0000} the odd one, exactly; the input stores each run of 32 as its 16 even then 16 odd values.
 * The repacked layout is the same rows copied into huge-page memory.
 */
final class BF16Kernel implements MatrixKernel {
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride;
    private final boolean repacked;

    BF16Kernel(MemorySegment data, int rows, int cols, long stride, boolean repacked) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.stride = stride;
        this.repacked = repacked;
    }

    @Override public int rows() { return rows; }

    @Override public boolean repacked() { return repacked; }

    @Override public void prepare(Activations x) { x.bf16(); }

    @Override
    public MatrixKernel repack(Arena arena) {
        long rowBytes = cols * 2L, newStride = (rowBytes + 63) & -64;
        MemorySegment dst = OffHeap.allocate(newStride * rows, arena);
        for (int r = 0; r < rows; r++) MemorySegment.copy(data, r * stride, dst, r * newStride, rowBytes);
        return new BF16Kernel(dst, rows, cols, newStride, true);
    }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        dot1(data, stride, from, to, x.bf16(), b * cols, y, b * rows, cols);
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        dot4(data, stride, from, to, x.bf16(), b * cols, cols, y, b * rows, rows, cols);
    }

    private static float bf16(MemorySegment row, int i) {
        return Float.intBitsToFloat(row.get(HALF, 2L * i) << 16);
    }

    static void dot1(MemorySegment w, long stride, int from, int to, float[] x, int xo, float[] y, int yo, int cols) {
        int runs = cols >> 5, pairs = runs & ~1;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = FloatVector.zero(F512), a2 = FloatVector.zero(F512), a3 = FloatVector.zero(F512);
            for (int c = 0; c < pairs; c += 2) {
                int o = c * 64, xi = xo + c * 32;
                IntVector v = IntVector.fromMemorySegment(I512, row, o, LE);
                IntVector u = IntVector.fromMemorySegment(I512, row, o + 64, LE);
                a0 = v.lanewise(LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi), a0);
                a1 = v.and(0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 16), a1);
                a2 = u.lanewise(LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 32), a2);
                a3 = u.and(0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 48), a3);
            }
            if (pairs < runs) {
                int o = pairs * 64, xi = xo + pairs * 32;
                IntVector v = IntVector.fromMemorySegment(I512, row, o, LE);
                a0 = v.lanewise(LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi), a0);
                a1 = v.and(0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 16), a1);
            }
            float s = a0.add(a1).add(a2.add(a3)).reduceLanes(ADD);
            for (int i = runs * 32; i < cols; i++) s += bf16(row, i) * x[xo + i];
            y[yo + r] = s;
        }
    }

    static void dot4(MemorySegment w, long stride, int from, int to, float[] x, int xo, int xs, float[] y, int yo, int ys, int cols) {
        for (int k = 0; k < 4; k += 2) dot2(w, stride, from, to, x, xo + k * xs, xs, y, yo + k * ys, ys, cols);
    }

    /** Two inputs at a time: 8 accumulators, in the order of {@link #dot1}. */
    private static void dot2(MemorySegment w, long stride, int from, int to, float[] x, int xo, int xs, float[] y, int yo, int ys, int cols) {
        int runs = cols >> 5, pairs = runs & ~1;
        int x0 = xo, x1 = xo + xs;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = FloatVector.zero(F512), a2 = FloatVector.zero(F512), a3 = FloatVector.zero(F512);
            FloatVector b0 = FloatVector.zero(F512), b1 = FloatVector.zero(F512), b2 = FloatVector.zero(F512), b3 = FloatVector.zero(F512);
            for (int c = 0; c < pairs; c += 2) {
                int o = c * 64, i = c * 32;
                IntVector v = IntVector.fromMemorySegment(I512, row, o, LE);
                IntVector u = IntVector.fromMemorySegment(I512, row, o + 64, LE);
                FloatVector ve = v.lanewise(LSHL, 16).reinterpretAsFloats(), vo = v.and(0xFFFF0000).reinterpretAsFloats();
                FloatVector ue = u.lanewise(LSHL, 16).reinterpretAsFloats(), uo = u.and(0xFFFF0000).reinterpretAsFloats();
                a0 = ve.fma(FloatVector.fromArray(F512, x, x0 + i), a0);
                a1 = vo.fma(FloatVector.fromArray(F512, x, x0 + i + 16), a1);
                a2 = ue.fma(FloatVector.fromArray(F512, x, x0 + i + 32), a2);
                a3 = uo.fma(FloatVector.fromArray(F512, x, x0 + i + 48), a3);
                b0 = ve.fma(FloatVector.fromArray(F512, x, x1 + i), b0);
                b1 = vo.fma(FloatVector.fromArray(F512, x, x1 + i + 16), b1);
                b2 = ue.fma(FloatVector.fromArray(F512, x, x1 + i + 32), b2);
                b3 = uo.fma(FloatVector.fromArray(F512, x, x1 + i + 48), b3);
            }
            if (pairs < runs) {
                int o = pairs * 64, i = pairs * 32;
                IntVector v = IntVector.fromMemorySegment(I512, row, o, LE);
                FloatVector ve = v.lanewise(LSHL, 16).reinterpretAsFloats(), vo = v.and(0xFFFF0000).reinterpretAsFloats();
                a0 = ve.fma(FloatVector.fromArray(F512, x, x0 + i), a0);
                a1 = vo.fma(FloatVector.fromArray(F512, x, x0 + i + 16), a1);
                b0 = ve.fma(FloatVector.fromArray(F512, x, x1 + i), b0);
                b1 = vo.fma(FloatVector.fromArray(F512, x, x1 + i + 16), b1);
            }
            float s0 = a0.add(a1).add(a2.add(a3)).reduceLanes(ADD), s1 = b0.add(b1).add(b2.add(b3)).reduceLanes(ADD);
            for (int i = runs * 32; i < cols; i++) {
                float v = bf16(row, i);
                s0 += v * x[x0 + i];
                s1 += v * x[x1 + i];
            }
            y[yo + r] = s0;
            y[yo + ys + r] = s1;
        }
    }
}
