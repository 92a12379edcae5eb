package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * F32 and F16 weights (BF16: {@link Bf16Dots}) with the Vector API, one input row in the order of ggml's {@code
 * vec_dot_f32} and {@code vec_dot_f16} ({@link Matrix#vecDotF32}, {@link Matrix#vecDotF16}: four 16-lane FMA chains
 * over 64-value steps, reduced 0+2, 1+3, 0+1, then across the lanes like {@code _mm512_reduce_add_ps}, the tail in
 * scalar): the same bits. Several rows advance together, one from each part of the thread's rows, so that several runs
 * of memory are read side by side (the hardware prefetcher keeps a limited number of lines in flight per run): four
 * F32 rows copied a chunk at a time, two F16 rows read as vectors straight from the mapping ({@link #f16Two}).
 * Elsewhere F16 values are converted through {@link Float#float16ToFloat} in loops that C2 turns into vector
 * conversions (the Vector API has no fp16 conversion). Two or more input rows and a multiple of 4 weight rows take
 * tinyBLAS's order instead ({@link Matrix#tinyBlas}: one 16-lane chain per output), as llama.cpp does.
 */
final class DenseDots {
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final short ABS = 0x7FFF, INF = 0x7C00;
    /** Sign, exponent and mantissa of a half moved down 3 bits in a float's top half (see {@link #f16Two}). */
    private static final int HALF_BITS = 0x8FFFE000;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    /** Values {@link #chains} takes from each row in turn: finer turns keep the runs streaming (F16 2 KiB: 5 GB/s, 512 B: 7.5). */
    private static final int CHUNK = 256;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private DenseDots() {}

    /** Whether {@link #rows} computes products with these weights: F32, F16 or BF16. */
    static boolean supports(Matrix m) {
        return VectorDots.ENABLED && (m.type == GgmlType.F32 || m.type == GgmlType.F16 || m.type == GgmlType.BF16);
    }

    /** Rows {@code [from, to)} of {@code m} times every input row of {@code x} (F16: rounded to fp16, as llama.cpp does). */
    static void rows(Matrix m, Activations x, float[] y, int from, int to) {
        int cols = m.cols, rows = m.rows, batch = x.batch();
        boolean f16 = m.type == GgmlType.F16;
        Scratch s = SCRATCH.get().fit(cols, batch, m.type);
        if (m.type == GgmlType.BF16) {
            Bf16Dots.rows(m, x, y, from, to, s);
            return;
        }
        MemorySegment q = x.blocks(m.format.vecDotType());
        for (int i = 0; i < batch * cols; i++) {
            s.b[i] = f16 ? Float.float16ToFloat(q.get(HALF, 2L * i)) : q.get(FLOAT, 4L * i);
        }
        if (f16) for (int i = 0; i < batch * cols; i++) s.scaled[i] = s.b[i] * 0x1p112f;
        if (batch >= 2 && rows % 4 == 0 && cols % 16 == 0) { // the order of llamafile's tinyBLAS, as Matrix#tinyBlas
            for (int r = from; r < to; r++) {
                chains(m, f16, r, 0, 1, s, 0, 0); // the row's values only
                for (int i = 0; i < batch; i++) y[i * rows + r] = tinyBlas(s.rows, s.b, i * cols, cols, s.lanes);
            }
            return;
        }
        // F16: two rows read as vectors straight from the mapping (four made the method too large for C1, and then
        // for C2); F32: four rows, copied a chunk at a time
        int ways = f16 ? 2 : 4, part = (to - from) / ways;
        for (int i = 0; i < batch; i++) {
            int bo = i * cols, yo = i * rows;
            for (int r = from; r < from + part; r++) {
                if (f16) f16Two(m, r, part, s, bo);
                else chains(m, false, r, part, 4, s, bo, cols & ~63);
                for (int k = 0; k < ways; k++) y[yo + r + k * part] = finish(f16, s.acc, 64 * k, s.rows, k * cols, s.b, bo, cols, s.lanes);
            }
            for (int r = from + ways * part; r < to; r++) {
                chains(m, f16, r, 0, 1, s, bo, cols & ~63);
                y[yo + r] = finish(f16, s.acc, 0, s.rows, 0, s.b, bo, cols, s.lanes);
            }
        }
    }

    /**
     * The FMA chains of {@code count} rows r, r + stride, ... over their first {@code steps} values into
     * {@code s.acc[64k ..]}, their values kept in {@code s.rows[k·cols ..]}; a chunk of each row in turn, so the rows
     * stream side by side.
     */
    private static void chains(Matrix m, boolean f16, int r, int stride, int count, Scratch s, int bo, int steps) {
        int cols = m.cols;
        java.util.Arrays.fill(s.acc, 0, 64 * count, 0f);
        for (int c = 0; c < cols; c += CHUNK) {
            int n = Math.min(CHUNK, cols - c);
            for (int k = 0; k < count; k++) load(m, f16, r + k * stride, c, n, s, k * cols + c);
            int full = Math.max(0, Math.min(n, steps - c)); // the 64-value steps in this chunk
            for (int k = 0; k < count; k++) fma(s.rows, k * cols + c, s.b, bo + c, full, s.acc, 64 * k);
        }
    }

    /**
     * F16 rows r and r + part read as vectors straight from the mapping, into {@code s.acc} as {@link #chains} leaves
     * it: a half's bits moved into a float's (sign in place, the rest shifted down 3 bits) are its value times 2^-112
     * (exact for zero, normal and subnormal halves), multiplied by the input times 2^112, so each product and each FMA
     * is the same as on the true values. A step holding an infinity or NaN converts its halves exactly instead.
     */
    private static void f16Two(Matrix m, int r, int part, Scratch s, int bo) {
        MemorySegment w = m.data;
        int cols = m.cols, steps = cols & ~63;
        long ra = r * m.rowBytes, rb = ra + part * m.rowBytes;
        float[] xs = s.scaled, b = s.b, t = s.lanes64;
        FloatVector a0 = FloatVector.zero(F512), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        ShortVector h0, h1, h2, h3;
        for (int i = 0; i < steps; i += 64) {
            FloatVector x0 = FloatVector.fromArray(F512, xs, bo + i), x1 = FloatVector.fromArray(F512, xs, bo + i + 16);
            FloatVector x2 = FloatVector.fromArray(F512, xs, bo + i + 32), x3 = FloatVector.fromArray(F512, xs, bo + i + 48);
            h0 = ShortVector.fromMemorySegment(S256, w, ra + 2L * i, LE);
            h1 = ShortVector.fromMemorySegment(S256, w, ra + 2L * i + 32, LE);
            h2 = ShortVector.fromMemorySegment(S256, w, ra + 2L * i + 64, LE);
            h3 = ShortVector.fromMemorySegment(S256, w, ra + 2L * i + 96, LE);
            if (h0.and(ABS).max(h1.and(ABS)).max(h2.and(ABS).max(h3.and(ABS))).compare(GE, INF).anyTrue()) {
                for (int j = 0; j < 64; j++) t[j] = Float.float16ToFloat(w.get(HALF, ra + 2L * (i + j)));
                a0 = FloatVector.fromArray(F512, t, 0).fma(FloatVector.fromArray(F512, b, bo + i), a0);
                a1 = FloatVector.fromArray(F512, t, 16).fma(FloatVector.fromArray(F512, b, bo + i + 16), a1);
                a2 = FloatVector.fromArray(F512, t, 32).fma(FloatVector.fromArray(F512, b, bo + i + 32), a2);
                a3 = FloatVector.fromArray(F512, t, 48).fma(FloatVector.fromArray(F512, b, bo + i + 48), a3);
            } else {
                a0 = ((IntVector) h0.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, a0);
                a1 = ((IntVector) h1.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, a1);
                a2 = ((IntVector) h2.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x2, a2);
                a3 = ((IntVector) h3.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x3, a3);
            }
            h0 = ShortVector.fromMemorySegment(S256, w, rb + 2L * i, LE);
            h1 = ShortVector.fromMemorySegment(S256, w, rb + 2L * i + 32, LE);
            h2 = ShortVector.fromMemorySegment(S256, w, rb + 2L * i + 64, LE);
            h3 = ShortVector.fromMemorySegment(S256, w, rb + 2L * i + 96, LE);
            if (h0.and(ABS).max(h1.and(ABS)).max(h2.and(ABS).max(h3.and(ABS))).compare(GE, INF).anyTrue()) {
                for (int j = 0; j < 64; j++) t[j] = Float.float16ToFloat(w.get(HALF, rb + 2L * (i + j)));
                b0 = FloatVector.fromArray(F512, t, 0).fma(FloatVector.fromArray(F512, b, bo + i), b0);
                b1 = FloatVector.fromArray(F512, t, 16).fma(FloatVector.fromArray(F512, b, bo + i + 16), b1);
                b2 = FloatVector.fromArray(F512, t, 32).fma(FloatVector.fromArray(F512, b, bo + i + 32), b2);
                b3 = FloatVector.fromArray(F512, t, 48).fma(FloatVector.fromArray(F512, b, bo + i + 48), b3);
            } else {
                b0 = ((IntVector) h0.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x0, b0);
                b1 = ((IntVector) h1.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x1, b1);
                b2 = ((IntVector) h2.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x2, b2);
                b3 = ((IntVector) h3.convertShape(S2I, I512, 0)).lanewise(LSHL, 16).lanewise(ASHR, 3).and(HALF_BITS).reinterpretAsFloats().fma(x3, b3);
            }
        }
        float[] acc = s.acc;
        a0.intoArray(acc, 0); a1.intoArray(acc, 16); a2.intoArray(acc, 32); a3.intoArray(acc, 48);
        b0.intoArray(acc, 64); b1.intoArray(acc, 80); b2.intoArray(acc, 96); b3.intoArray(acc, 112);
        for (int k = 0; k < 2; k++) { // the values after the last step, for finish
            long ro = ra + k * part * m.rowBytes;
            for (int j = steps; j < cols; j++) s.rows[k * cols + j] = Float.float16ToFloat(w.get(HALF, ro + 2L * j));
        }
    }

    /** Values {@code [c, c + n)} of row r as floats into {@code s.rows[at ..]}. */
    private static void load(Matrix m, boolean f16, int r, int c, int n, Scratch s, int at) {
        long o = r * m.rowBytes;
        if (f16) {
            MemorySegment.copy(m.data, HALF, o + 2L * c, s.halves, 0, n);
            for (int j = 0; j < n; j++) s.rows[at + j] = Float.float16ToFloat(s.halves[j]);
        } else {
            MemorySegment.copy(m.data, FLOAT, o + 4L * c, s.rows, at, n);
        }
    }

    /** Four 16-lane FMA chains over {@code n} values (a multiple of 64), continued from {@code acc[ao .. ao + 64)}. */
    private static void fma(float[] a, int ai, float[] b, int bi, int n, float[] acc, int ao) {
        FloatVector s0 = FloatVector.fromArray(F512, acc, ao), s1 = FloatVector.fromArray(F512, acc, ao + 16);
        FloatVector s2 = FloatVector.fromArray(F512, acc, ao + 32), s3 = FloatVector.fromArray(F512, acc, ao + 48);
        for (int i = 0; i < n; i += 64) {
            s0 = FloatVector.fromArray(F512, a, ai + i).fma(FloatVector.fromArray(F512, b, bi + i), s0);
            s1 = FloatVector.fromArray(F512, a, ai + i + 16).fma(FloatVector.fromArray(F512, b, bi + i + 16), s1);
            s2 = FloatVector.fromArray(F512, a, ai + i + 32).fma(FloatVector.fromArray(F512, b, bi + i + 32), s2);
            s3 = FloatVector.fromArray(F512, a, ai + i + 48).fma(FloatVector.fromArray(F512, b, bi + i + 48), s3);
        }
        s0.intoArray(acc, ao);
        s1.intoArray(acc, ao + 16);
        s2.intoArray(acc, ao + 32);
        s3.intoArray(acc, ao + 48);
    }

    /** The chains at {@code acc[ao ..]} reduced as ggml does, plus the tail after the last 64-value step (row values at {@code a[ai ..]}). */
    private static float finish(boolean f16, float[] acc, int ao, float[] a, int ai, float[] b, int bo, int cols, float[] lanes) {
        int np = cols & ~63;
        FloatVector s0 = FloatVector.fromArray(F512, acc, ao), s1 = FloatVector.fromArray(F512, acc, ao + 16);
        FloatVector s2 = FloatVector.fromArray(F512, acc, ao + 32), s3 = FloatVector.fromArray(F512, acc, ao + 48);
        s0.add(s2).add(s1.add(s3)).intoArray(lanes, 0);
        float reduced = np > 0 ? Matrix.reduce16(lanes, 0) : 0f;
        if (f16) { // ggml_vec_dot_f16 sums into a double
            double sum = reduced;
            for (int i = np; i < cols; i++) sum += a[ai + i] * b[bo + i];
            return (float) sum;
        }
        float sum = reduced;
        for (int i = np; i < cols; i++) sum += a[ai + i] * b[bo + i];
        return sum;
    }

    /** One 16-lane FMA chain over the row (lane l: values l, l + 16, ...), then {@link Matrix#reduce16}. */
    private static float tinyBlas(float[] a, float[] b, int bo, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F512);
        for (int l = 0; l < n; l += 16) acc = FloatVector.fromArray(F512, a, l).fma(FloatVector.fromArray(F512, b, bo + l), acc);
        acc.intoArray(lanes, 0);
        return Matrix.reduce16(lanes, 0);
    }

    /** Per-thread buffers, grown as needed and kept. */
    static final class Scratch {
        float[] b = new float[0], rows = new float[0], acc = new float[256], lanes = new float[16], lanes64 = new float[64];
        /** BF16: each 32 input values' odd and even elements, 16 of each in turn. */
        float[] pairs = new float[0];
        /** F16: the input times 2^112 ({@link #f16Two}). */
        float[] scaled = new float[0];
        short[] halves = new short[CHUNK];

        /** Room for {@code batch} input rows of {@code cols} values, and the forms of the input this weight type reads. */
        Scratch fit(int cols, int batch, GgmlType type) {
            if (b.length < batch * cols) b = new float[batch * cols];
            if (rows.length < 4 * cols) rows = new float[4 * cols];
            if (type == GgmlType.BF16 && pairs.length < batch * cols) pairs = new float[batch * cols];
            if (type == GgmlType.F16 && scaled.length < batch * cols) scaled = new float[batch * cols];
            return this;
        }
    }
}
