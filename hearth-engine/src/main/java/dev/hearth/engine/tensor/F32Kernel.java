package dev.hearth.engine.tensor;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.Simd.F512;
import static dev.hearth.engine.tensor.Simd.FLOAT;
import static dev.hearth.engine.tensor.Simd.LE;
import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * F32 weights times F32 input. The repacked layout is the same rows copied into huge-page memory. As in every
 * kernel, the four-input version adds in exactly the order of the one-input version, so a batched product equals
 * the single ones bit for bit.
 */
final class F32Kernel implements MatrixKernel {
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride;
    private final boolean repacked;

    F32Kernel(MemorySegment data, int rows, int cols, long stride, boolean repacked) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.stride = stride;
        this.repacked = repacked;
    }

    @Override public int rows() { return rows; }

    @Override public boolean repacked() { return repacked; }

    @Override public void prepare(Activations x) {}

    @Override
    public MatrixKernel repack(Arena arena) {
        long rowBytes = cols * 4L, newStride = (rowBytes + 63) & -64;
        MemorySegment dst = OffHeap.allocate(newStride * rows, arena);
        for (int r = 0; r < rows; r++) MemorySegment.copy(data, r * stride, dst, r * newStride, rowBytes);
        return new F32Kernel(dst, rows, cols, newStride, true);
    }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        dot1(data, stride, from, to, x.f32(), b * cols, y, b * rows, cols);
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        dot4(data, stride, from, to, x.f32(), b * cols, cols, y, b * rows, rows, cols);
    }

    static void dot1(MemorySegment w, long stride, int from, int to, float[] x, int xo, float[] y, int yo, int cols) {
        int full = cols & ~31;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = FloatVector.zero(F512);
            for (int i = 0; i < full; i += 32) {
                a0 = FloatVector.fromMemorySegment(F512, row, i * 4, LE).fma(FloatVector.fromArray(F512, x, xo + i), a0);
                a1 = FloatVector.fromMemorySegment(F512, row, i * 4 + 64, LE).fma(FloatVector.fromArray(F512, x, xo + i + 16), a1);
            }
            float s = a0.add(a1).reduceLanes(ADD);
            for (int i = full; i < cols; i++) s += row.get(FLOAT, i * 4L) * x[xo + i];
            y[yo + r] = s;
        }
    }

    static void dot4(MemorySegment w, long stride, int from, int to, float[] x, int xo, int xs, float[] y, int yo, int ys, int cols) {
        int full = cols & ~31;
        int x0 = xo, x1 = xo + xs, x2 = xo + 2 * xs, x3 = xo + 3 * xs;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = FloatVector.zero(F512), a2 = FloatVector.zero(F512), a3 = FloatVector.zero(F512);
            FloatVector c0 = FloatVector.zero(F512), c1 = FloatVector.zero(F512), c2 = FloatVector.zero(F512), c3 = FloatVector.zero(F512);
            for (int i = 0; i < full; i += 32) {
                FloatVector w0 = FloatVector.fromMemorySegment(F512, row, i * 4, LE);
                FloatVector w1 = FloatVector.fromMemorySegment(F512, row, i * 4 + 64, LE);
                a0 = w0.fma(FloatVector.fromArray(F512, x, x0 + i), a0);
                a1 = w0.fma(FloatVector.fromArray(F512, x, x1 + i), a1);
                a2 = w0.fma(FloatVector.fromArray(F512, x, x2 + i), a2);
                a3 = w0.fma(FloatVector.fromArray(F512, x, x3 + i), a3);
                c0 = w1.fma(FloatVector.fromArray(F512, x, x0 + i + 16), c0);
                c1 = w1.fma(FloatVector.fromArray(F512, x, x1 + i + 16), c1);
                c2 = w1.fma(FloatVector.fromArray(F512, x, x2 + i + 16), c2);
                c3 = w1.fma(FloatVector.fromArray(F512, x, x3 + i + 16), c3);
            }
            float s0 = a0.add(c0).reduceLanes(ADD), s1 = a1.add(c1).reduceLanes(ADD);
            float s2 = a2.add(c2).reduceLanes(ADD), s3 = a3.add(c3).reduceLanes(ADD);
            for (int i = full; i < cols; i++) {
                float v = row.get(FLOAT, i * 4L);
                s0 += v * x[x0 + i];
                s1 += v * x[x1 + i];
                s2 += v * x[x2 + i];
                s3 += v * x[x3 + i];
            }
            y[yo + r] = s0;
            y[yo + ys + r] = s1;
            y[yo + 2 * ys + r] = s2;
            y[yo + 3 * ys + r] = s3;
        }
    }
}
