package dev.hearth.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.hearth.engine.tensor.Simd.F512;
import static dev.hearth.engine.tensor.Simd.HALF;
import static dev.hearth.engine.tensor.Simd.HALF_BITS;
import static dev.hearth.engine.tensor.Simd.LE;
import static dev.hearth.engine.tensor.Simd.S512;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * F16 weights times F16-rounded input, as llama.cpp computes it (each product exact in float, float sums).
 *
 * <p>The Vector API has no fp16 conversion, so 32 halves are loaded as 16 ints and decoded with integer
 * operations: {@code (bits << 16 >> 3) & HALF_BITS} for the even half and {@code (bits >> 3) & HALF_BITS} for the
 * odd one give the float whose value is the half's times 2^-112 (sign and exponent/mantissa land in place); the
 * input is stored times 2^112 to compensate. That is exact for normal halves and zero. Halves that would decode
 * to a subnormal float (fp16 subnormals, about 0.2% of typical weights) are also exact but cost a microcode
 * assist per instruction (~150 cycles), and inf/NaN would decode wrongly; such "special" values are handled
 * apart: in place, a cheap test per 32 halves sends them to a scalar path; the repacked layout stores them as
 * zero and lists them per row.
 */
final class F16Kernel implements MatrixKernel {
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride;
    // Repacked only: the special values of row r are entries rowStart[r] .. rowStart[r+1]-1.
    private final int[] rowStart, specialCol;
    private final short[] specialBits;

    F16Kernel(MemorySegment data, int rows, int cols, long stride) {
        this(data, rows, cols, stride, null, null, null);
    }

    private F16Kernel(MemorySegment data, int rows, int cols, long stride, int[] rowStart, int[] specialCol, short[] specialBits) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.stride = stride;
        this.rowStart = rowStart;
        this.specialCol = specialCol;
        this.specialBits = specialBits;
    }

    @Override public int rows() { return rows; }

    @Override public boolean repacked() { return rowStart != null; }

    @Override public void prepare(Activations x) { x.f16(); }

    static boolean special(short h) {
        int e = h & 0x7C00;
        return (e == 0 && (h & 0x3FF) != 0) || e == 0x7C00;
    }

    @Override
    public MatrixKernel repack(Arena arena) {
        long rowBytes = cols * 2L, newStride = (rowBytes + 63) & -64;
        MemorySegment dst = OffHeap.allocate(newStride * rows, arena);
        int runs = cols / 32 * 32;
        int[] start = new int[rows + 1];
        int[] col = new int[16];
        short[] bits = new short[16];
        short[] row = new short[cols];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(data, HALF, r * stride, row, 0, cols);
            for (int i = 0; i < runs; i++) { // the tail is converted exactly by the scalar loop already
                if (special(row[i])) {
                    if (n == col.length) {
                        col = Arrays.copyOf(col, n * 2);
                        bits = Arrays.copyOf(bits, n * 2);
                    }
                    col[n] = i;
                    bits[n++] = row[i];
                    row[i] = 0;
                }
            }
            start[r + 1] = n;
            MemorySegment.copy(row, 0, dst, HALF, r * newStride, cols);
        }
        return new F16Kernel(dst, rows, cols, newStride, start, Arrays.copyOf(col, n), Arrays.copyOf(bits, n));
    }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        float[] xs = x.f16();
        int xo = b * cols, yo = b * rows;
        if (rowStart == null) {
            inPlace1(data, stride, from, to, xs, xo, y, yo, cols);
        } else {
            quarters1(data, stride, from, to, xs, xo, y, yo, cols);
            for (int r = from; r < to; r++) y[yo + r] += specials(r, xs, xo);
        }
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        float[] xs = x.f16();
        int xo = b * cols, yo = b * rows;
        if (rowStart == null) {
            inPlace4(data, stride, from, to, xs, xo, cols, y, yo, rows, cols);
        } else {
            packed4(data, stride, from, to, xs, xo, cols, y, yo, rows, cols);
            for (int r = from; r < to; r++) {
                for (int k = 0; k < 4; k++) y[yo + k * rows + r] += specials(r, xs, xo + k * cols);
            }
        }
    }

    private float specials(int r, float[] x, int xo) {
        float s = 0;
        for (int e = rowStart[r]; e < rowStart[r + 1]; e++) {
            s += Float.float16ToFloat(specialBits[e]) * (x[xo + Activations.splitIndex(specialCol[e])] * 0x1p-112f);
        }
        return s;
    }

    /** Exact dot of the flagged halves of one run of 32 (bit k of {@code lanes} = half k) with the input. */
    private static float specialLanes(MemorySegment row, int o, long lanes, float[] x, int xi) {
        float s = 0;
        for (long m = lanes; m != 0; m &= m - 1) {
            int k = Long.numberOfTrailingZeros(m);
            float xv = x[xi + (k & 1) * 16 + (k >> 1)] * 0x1p-112f;
            s += Float.float16ToFloat(row.get(HALF, o + 2L * k)) * xv;
        }
        return s;
    }

    /** Halves with exponent 0 (zero, subnormal) or 31 (inf, NaN); zero is flagged too, which is harmless. */
    private static VectorMask<Short> flagged(ShortVector h) {
        return h.add((short) 0x400).and((short) 0x7800).compare(EQ, (short) 0);
    }

    static void inPlace1(MemorySegment w, long stride, int from, int to, float[] x, int xo, float[] y, int yo, int cols) {
        int runs = cols >> 5;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = FloatVector.zero(F512);
            float extra = 0;
            for (int c = 0; c < runs; c++) {
                int o = c * 64, xi = xo + c * 32;
                ShortVector h = ShortVector.fromMemorySegment(S512, row, o, LE);
                VectorMask<Short> f = flagged(h);
                if (f.anyTrue()) {
                    extra += specialLanes(row, o, f.toLong(), x, xi);
                    h = h.blend((short) 0, f);
                }
                IntVector v = h.reinterpretAsInts();
                a0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi), a0);
                a1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 16), a1);
            }
            float s = a0.add(a1).reduceLanes(ADD) + extra;
            for (int i = runs * 32; i < cols; i++) s += Float.float16ToFloat(row.get(HALF, 2L * i)) * x[xo + i];
            y[yo + r] = s;
        }
    }

    static void inPlace4(MemorySegment w, long stride, int from, int to, float[] x, int xo, int xs, float[] y, int yo, int ys, int cols) {
        int runs = cols >> 5;
        int x0 = xo, x1 = xo + xs, x2 = xo + 2 * xs, x3 = xo + 3 * xs;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector e0 = FloatVector.zero(F512), e1 = FloatVector.zero(F512), e2 = FloatVector.zero(F512), e3 = FloatVector.zero(F512);
            FloatVector o0 = FloatVector.zero(F512), o1 = FloatVector.zero(F512), o2 = FloatVector.zero(F512), o3 = FloatVector.zero(F512);
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int c = 0; c < runs; c++) {
                int o = c * 64, i = c * 32;
                ShortVector h = ShortVector.fromMemorySegment(S512, row, o, LE);
                VectorMask<Short> f = flagged(h);
                if (f.anyTrue()) {
                    long lanes = f.toLong();
                    s0 += specialLanes(row, o, lanes, x, x0 + i);
                    s1 += specialLanes(row, o, lanes, x, x1 + i);
                    s2 += specialLanes(row, o, lanes, x, x2 + i);
                    s3 += specialLanes(row, o, lanes, x, x3 + i);
                    h = h.blend((short) 0, f);
                }
                IntVector v = h.reinterpretAsInts();
                FloatVector even = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
                FloatVector odd = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
                e0 = even.fma(FloatVector.fromArray(F512, x, x0 + i), e0);
                o0 = odd.fma(FloatVector.fromArray(F512, x, x0 + i + 16), o0);
                e1 = even.fma(FloatVector.fromArray(F512, x, x1 + i), e1);
                o1 = odd.fma(FloatVector.fromArray(F512, x, x1 + i + 16), o1);
                e2 = even.fma(FloatVector.fromArray(F512, x, x2 + i), e2);
                o2 = odd.fma(FloatVector.fromArray(F512, x, x2 + i + 16), o2);
                e3 = even.fma(FloatVector.fromArray(F512, x, x3 + i), e3);
                o3 = odd.fma(FloatVector.fromArray(F512, x, x3 + i + 16), o3);
            }
            s0 = e0.add(o0).reduceLanes(ADD) + s0;
            s1 = e1.add(o1).reduceLanes(ADD) + s1;
            s2 = e2.add(o2).reduceLanes(ADD) + s2;
            s3 = e3.add(o3).reduceLanes(ADD) + s3;
            for (int i = runs * 32; i < cols; i++) {
                float v = Float.float16ToFloat(row.get(HALF, 2L * i));
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

    /** As {@link #inPlace1} on repacked rows, which hold no special values. */
    static void packed1(MemorySegment w, long stride, int from, int to, float[] x, int xo, float[] y, int yo, int cols) {
        int runs = cols >> 5, pairs = runs & ~1;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = FloatVector.zero(F512), a2 = FloatVector.zero(F512), a3 = FloatVector.zero(F512);
            for (int c = 0; c < pairs; c += 2) {
                int o = c * 64, xi = xo + c * 32;
                IntVector v = IntVector.fromMemorySegment(Simd.I512, row, o, LE);
                IntVector u = IntVector.fromMemorySegment(Simd.I512, row, o + 64, LE);
                a0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi), a0);
                a1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 16), a1);
                a2 = u.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 32), a2);
                a3 = u.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 48), a3);
            }
            if (pairs < runs) {
                int o = pairs * 64, xi = xo + pairs * 32;
                IntVector v = IntVector.fromMemorySegment(Simd.I512, row, o, LE);
                a0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi), a0);
                a1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(FloatVector.fromArray(F512, x, xi + 16), a1);
            }
            y[yo + r] = tail(row, runs, cols, x, xo, a0.add(a1).add(a2.add(a3)).reduceLanes(ADD));
        }
    }

    /** {@link #packed1} on four rows at a time, row i of each quarter of {@code [from, to)} (see {@link MatrixKernel#rows1}); the same sums in the same order. */
    static void quarters1(MemorySegment w, long stride, int from, int to, float[] x, int xo, float[] y, int yo, int cols) {
        int q = (to - from) / 4, runs = cols >> 5, pairs = runs & ~1;
        for (int i = 0; i < q; i++) {
            int r = from + i;
            MemorySegment ra = w.asSlice(r * stride, stride), rb = w.asSlice((r + q) * stride, stride);
            MemorySegment rc = w.asSlice((r + 2 * q) * stride, stride), rd = w.asSlice((r + 3 * q) * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
            IntVector v, u;
            for (int c = 0; c < pairs; c += 2) {
                int o = c * 64, xi = xo + c * 32;
                FloatVector x0 = FloatVector.fromArray(F512, x, xi), x1 = FloatVector.fromArray(F512, x, xi + 16);
                FloatVector x2 = FloatVector.fromArray(F512, x, xi + 32), x3 = FloatVector.fromArray(F512, x, xi + 48);
                v = IntVector.fromMemorySegment(Simd.I512, ra, o, LE);
                u = IntVector.fromMemorySegment(Simd.I512, ra, o + 64, LE);
                a0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, a0);
                a1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, a1);
                a2 = u.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x2, a2);
                a3 = u.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x3, a3);
                v = IntVector.fromMemorySegment(Simd.I512, rb, o, LE);
                u = IntVector.fromMemorySegment(Simd.I512, rb, o + 64, LE);
                b0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, b0);
                b1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, b1);
                b2 = u.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x2, b2);
                b3 = u.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x3, b3);
                v = IntVector.fromMemorySegment(Simd.I512, rc, o, LE);
                u = IntVector.fromMemorySegment(Simd.I512, rc, o + 64, LE);
                c0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, c0);
                c1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, c1);
                c2 = u.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x2, c2);
                c3 = u.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x3, c3);
                v = IntVector.fromMemorySegment(Simd.I512, rd, o, LE);
                u = IntVector.fromMemorySegment(Simd.I512, rd, o + 64, LE);
                d0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, d0);
                d1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, d1);
                d2 = u.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x2, d2);
                d3 = u.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x3, d3);
            }
            if (pairs < runs) {
                int o = pairs * 64, xi = xo + pairs * 32;
                FloatVector x0 = FloatVector.fromArray(F512, x, xi), x1 = FloatVector.fromArray(F512, x, xi + 16);
                v = IntVector.fromMemorySegment(Simd.I512, ra, o, LE);
                a0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, a0);
                a1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, a1);
                v = IntVector.fromMemorySegment(Simd.I512, rb, o, LE);
                b0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, b0);
                b1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, b1);
                v = IntVector.fromMemorySegment(Simd.I512, rc, o, LE);
                c0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, c0);
                c1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, c1);
                v = IntVector.fromMemorySegment(Simd.I512, rd, o, LE);
                d0 = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, d0);
                d1 = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, d1);
            }
            y[yo + r] = tail(ra, runs, cols, x, xo, a0.add(a1).add(a2.add(a3)).reduceLanes(ADD));
            y[yo + r + q] = tail(rb, runs, cols, x, xo, b0.add(b1).add(b2.add(b3)).reduceLanes(ADD));
            y[yo + r + 2 * q] = tail(rc, runs, cols, x, xo, c0.add(c1).add(c2.add(c3)).reduceLanes(ADD));
            y[yo + r + 3 * q] = tail(rd, runs, cols, x, xo, d0.add(d1).add(d2.add(d3)).reduceLanes(ADD));
        }
        packed1(w, stride, from + 4 * q, to, x, xo, y, yo, cols);
    }

    /** {@code s} plus the values after the last whole run of 32, in {@link #packed1}'s order. */
    private static float tail(MemorySegment row, int runs, int cols, float[] x, int xo, float s) {
        for (int i = runs * 32; i < cols; i++) s += Float.float16ToFloat(row.get(HALF, 2L * i)) * x[xo + i];
        return s;
    }

    static void packed4(MemorySegment w, long stride, int from, int to, float[] x, int xo, int xs, float[] y, int yo, int ys, int cols) {
        for (int k = 0; k < 4; k += 2) {
            packed2(w, stride, from, to, x, xo + k * xs, xs, y, yo + k * ys, ys, cols);
        }
    }

    /** Two inputs at a time: 8 accumulators, in the order of {@link #packed1}. */
    private static void packed2(MemorySegment w, long stride, int from, int to, float[] x, int xo, int xs, float[] y, int yo, int ys, int cols) {
        int runs = cols >> 5, pairs = runs & ~1;
        int x0 = xo, x1 = xo + xs;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector a0 = FloatVector.zero(F512), a1 = FloatVector.zero(F512), a2 = FloatVector.zero(F512), a3 = FloatVector.zero(F512);
            FloatVector b0 = FloatVector.zero(F512), b1 = FloatVector.zero(F512), b2 = FloatVector.zero(F512), b3 = FloatVector.zero(F512);
            for (int c = 0; c < pairs; c += 2) {
                int o = c * 64, i = c * 32;
                IntVector v = IntVector.fromMemorySegment(Simd.I512, row, o, LE);
                IntVector u = IntVector.fromMemorySegment(Simd.I512, row, o + 64, LE);
                FloatVector ve = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
                FloatVector vo = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
                FloatVector ue = u.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
                FloatVector uo = u.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
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
                IntVector v = IntVector.fromMemorySegment(Simd.I512, row, o, LE);
                FloatVector ve = v.lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
                FloatVector vo = v.lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats();
                a0 = ve.fma(FloatVector.fromArray(F512, x, x0 + i), a0);
                a1 = vo.fma(FloatVector.fromArray(F512, x, x0 + i + 16), a1);
                b0 = ve.fma(FloatVector.fromArray(F512, x, x1 + i), b0);
                b1 = vo.fma(FloatVector.fromArray(F512, x, x1 + i + 16), b1);
            }
            float s0 = a0.add(a1).add(a2.add(a3)).reduceLanes(ADD), s1 = b0.add(b1).add(b2.add(b3)).reduceLanes(ADD);
            for (int i = runs * 32; i < cols; i++) {
                float v = Float.float16ToFloat(row.get(HALF, 2L * i));
                s0 += v * x[x0 + i];
                s1 += v * x[x1 + i];
            }
            y[yo + r] = s0;
            y[yo + ys + r] = s1;
        }
    }
}
