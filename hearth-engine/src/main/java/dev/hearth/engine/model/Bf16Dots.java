package dev.hearth.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * BF16 weights with the Vector API in the order of llama.cpp's AVX512-BF16 kernels ({@link Matrix#vecDotBf16} for
 * one input row, {@link Matrix#tinyBlasBf16} for several): per 32 values, lane j adds the product of the odd element
 * 2j+1, then of the even element 2j, each product rounded to float before it is added. Two bf16 values read as one
 * little-endian int hold the even element in the low half and the odd one in the high half, so {@code bits << 16}
 * and {@code bits & 0xFFFF0000} are the two 16-lane float vectors, read straight from the mapping. The input's odd
 * and even elements are split once per call. For one input row, four weight rows advance together, one from each
 * quarter of the thread's rows (four runs of memory read side by side).
 */
final class Bf16Dots {
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int HIGH = 0xFFFF0000;

    private Bf16Dots() {}

    static void rows(Matrix m, Activations x, float[] y, int from, int to, DenseDots.Scratch s) {
        int cols = m.cols, rows = m.rows, batch = x.batch(), whole = cols & ~31;
        MemorySegment q = x.blocks(m.format.vecDotType());
        float[] b = s.b, pairs = s.pairs;
        for (int i = 0; i < batch * cols; i++) b[i] = Float.intBitsToFloat(q.get(HALF, 2L * i) << 16);
        for (int i = 0; i < batch; i++) { // per 32 values: the 16 odd elements, then the 16 even ones
            for (int l = 0; l < whole; l += 32) {
                for (int j = 0; j < 16; j++) {
                    pairs[i * cols + l + j] = b[i * cols + l + 2 * j + 1];
                    pairs[i * cols + l + 16 + j] = b[i * cols + l + 2 * j];
                }
            }
        }
        if (batch >= 2 && rows % 4 == 0 && cols % 32 == 0) {
            for (int r = from; r < to; r++) {
                for (int i = 0; i < batch; i++) y[i * rows + r] = tiny(m.data, r * m.rowBytes, pairs, i * cols, cols, s.lanes);
            }
            return;
        }
        int quarter = (to - from) / 4;
        for (int i = 0; i < batch; i++) {
            int bo = i * cols, yo = i * rows;
            for (int r = from; r < from + quarter; r++) four(m, r, quarter, b, pairs, bo, y, yo, s.acc, s.lanes);
            for (int r = from + 4 * quarter; r < to; r++) {
                y[yo + r] = one(m.data, r * m.rowBytes, b, pairs, bo, cols, s.lanes);
            }
        }
    }

    /** ggml_vec_dot_bf16 of one row: accumulators for the two halves of each 64 values, reduced into a double, the tail in double. */
    private static float one(MemorySegment w, long ro, float[] b, float[] pairs, int bo, int n, float[] lanes) {
        FloatVector c1 = FloatVector.zero(F512), c2 = c1;
        int i = 0;
        for (; i + 64 <= n; i += 64) {
            c1 = dp(w, ro + 2L * i, pairs, bo + i, c1);
            c2 = dp(w, ro + 2L * i + 64, pairs, bo + i + 32, c2);
        }
        return finish(c1, c2, w, ro, b, bo, i, n, lanes);
    }

    /** Rows r, r + quarter, r + 2·quarter and r + 3·quarter of {@link #one}, their accumulators side by side. */
    private static void four(Matrix m, int r, int quarter, float[] b, float[] pairs, int bo, float[] y, int yo, float[] acc, float[] lanes) {
        MemorySegment w = m.data;
        int n = m.cols, steps = n & ~63;
        long ra = r * m.rowBytes, rb = ra + quarter * m.rowBytes, rc = rb + quarter * m.rowBytes, rd = rc + quarter * m.rowBytes;
        FloatVector a1 = FloatVector.zero(F512), a2 = a1, b1 = a1, b2 = a1, c1 = a1, c2 = a1, d1 = a1, d2 = a1;
        for (int i = 0; i < steps; i += 64) {
            FloatVector o1 = FloatVector.fromArray(F512, pairs, bo + i), e1 = FloatVector.fromArray(F512, pairs, bo + i + 16);
            FloatVector o2 = FloatVector.fromArray(F512, pairs, bo + i + 32), e2 = FloatVector.fromArray(F512, pairs, bo + i + 48);
            IntVector v = IntVector.fromMemorySegment(I512, w, ra + 2L * i, LE), u = IntVector.fromMemorySegment(I512, w, ra + 2L * i + 64, LE);
            a1 = a1.add(v.and(HIGH).reinterpretAsFloats().mul(o1)).add(v.lanewise(LSHL, 16).reinterpretAsFloats().mul(e1));
            a2 = a2.add(u.and(HIGH).reinterpretAsFloats().mul(o2)).add(u.lanewise(LSHL, 16).reinterpretAsFloats().mul(e2));
            v = IntVector.fromMemorySegment(I512, w, rb + 2L * i, LE);
            u = IntVector.fromMemorySegment(I512, w, rb + 2L * i + 64, LE);
            b1 = b1.add(v.and(HIGH).reinterpretAsFloats().mul(o1)).add(v.lanewise(LSHL, 16).reinterpretAsFloats().mul(e1));
            b2 = b2.add(u.and(HIGH).reinterpretAsFloats().mul(o2)).add(u.lanewise(LSHL, 16).reinterpretAsFloats().mul(e2));
            v = IntVector.fromMemorySegment(I512, w, rc + 2L * i, LE);
            u = IntVector.fromMemorySegment(I512, w, rc + 2L * i + 64, LE);
            c1 = c1.add(v.and(HIGH).reinterpretAsFloats().mul(o1)).add(v.lanewise(LSHL, 16).reinterpretAsFloats().mul(e1));
            c2 = c2.add(u.and(HIGH).reinterpretAsFloats().mul(o2)).add(u.lanewise(LSHL, 16).reinterpretAsFloats().mul(e2));
            v = IntVector.fromMemorySegment(I512, w, rd + 2L * i, LE);
            u = IntVector.fromMemorySegment(I512, w, rd + 2L * i + 64, LE);
            d1 = d1.add(v.and(HIGH).reinterpretAsFloats().mul(o1)).add(v.lanewise(LSHL, 16).reinterpretAsFloats().mul(e1));
            d2 = d2.add(u.and(HIGH).reinterpretAsFloats().mul(o2)).add(u.lanewise(LSHL, 16).reinterpretAsFloats().mul(e2));
        }
        y[yo + r] = finish(a1, a2, w, ra, b, bo, steps, n, lanes);
        y[yo + r + quarter] = finish(b1, b2, w, rb, b, bo, steps, n, lanes);
        y[yo + r + 2 * quarter] = finish(c1, c2, w, rc, b, bo, steps, n, lanes);
        y[yo + r + 3 * quarter] = finish(d1, d2, w, rd, b, bo, steps, n, lanes);
    }

    /** One dpbf16 step: 32 weights at {@code wo}, the input's split 32 at {@code po}. */
    private static FloatVector dp(MemorySegment w, long wo, float[] pairs, int po, FloatVector acc) {
        IntVector v = IntVector.fromMemorySegment(I512, w, wo, LE);
        return acc.add(v.and(HIGH).reinterpretAsFloats().mul(FloatVector.fromArray(F512, pairs, po)))
                .add(v.lanewise(LSHL, 16).reinterpretAsFloats().mul(FloatVector.fromArray(F512, pairs, po + 16)));
    }

    private static float finish(FloatVector c1, FloatVector c2, MemorySegment w, long ro, float[] b, int bo, int from, int n, float[] lanes) {
        c1.intoArray(lanes, 0);
        double sum = Matrix.reduce16(lanes, 0);
        c2.intoArray(lanes, 0);
        sum += Matrix.reduce16(lanes, 0);
        for (int i = from; i < n; i++) sum += Float.intBitsToFloat(w.get(HALF, ro + 2L * i) << 16) * b[bo + i];
        return (float) sum;
    }

    /** tinyBLAS with dpbf16: one accumulator over 32-value steps, then {@link Matrix#reduce16}. */
    private static float tiny(MemorySegment w, long ro, float[] pairs, int po, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F512);
        for (int l = 0; l < n; l += 32) acc = dp(w, ro + 2L * l, pairs, po + l, acc);
        acc.intoArray(lanes, 0);
        return Matrix.reduce16(lanes, 0);
    }
}
