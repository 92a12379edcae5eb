package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * F32 and F16 weights (BF16: {@link Bf16Dots}) with the Vector API, one input row in the order of ggml's {@code
 * vec_dot_f32} and {@code vec_dot_f16} ({@link Matrix#vecDotF32}, {@link Matrix#vecDotF16}: four 16-lane FMA chains
 * over 64-value steps, reduced 0+2, 1+3, 0+1, then across the lanes like {@code _mm512_reduce_add_ps}, the tail in
 * scalar): the same bits. Four rows advance together, one from each quarter of the thread's rows, so that four runs of
 * memory are read side by side (the hardware prefetcher keeps a limited number of lines in flight per run). F16 rows
 * are converted a chunk at a time through {@link Float#float16ToFloat}, which C2 turns into vector conversions: exact
 * for every value, subnormals and inf/NaN included (the Vector API has no fp16 conversion). Two or more input rows and
 * a multiple of 4 weight rows take tinyBLAS's order instead ({@link Matrix#tinyBlas}: one 16-lane chain per output),
 * as llama.cpp does.
 */
final class DenseDots {
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Values taken from each row in turn (512 bytes of F16): finer turns keep four runs streaming (2 KiB chunks: 5 GB/s, 512 B: 7.5). */
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
        Scratch s = SCRATCH.get().fit(cols, batch, m.type == GgmlType.BF16);
        if (m.type == GgmlType.BF16) {
            Bf16Dots.rows(m, x, y, from, to, s);
            return;
        }
        MemorySegment q = x.blocks(m.format.vecDotType());
        for (int i = 0; i < batch * cols; i++) {
            s.b[i] = f16 ? Float.float16ToFloat(q.get(HALF, 2L * i)) : q.get(FLOAT, 4L * i);
        }
        if (batch >= 2 && rows % 4 == 0 && cols % 16 == 0) { // the order of llamafile's tinyBLAS, as Matrix#tinyBlas
            for (int r = from; r < to; r++) {
                chains(m, f16, r, 0, 1, s, 0, 0); // the row's values only
                for (int i = 0; i < batch; i++) y[i * rows + r] = tinyBlas(s.rows, s.b, i * cols, cols, s.lanes);
            }
            return;
        }
        int quarter = (to - from) / 4;
        for (int i = 0; i < batch; i++) {
            int bo = i * cols, yo = i * rows;
            for (int r = from; r < from + quarter; r++) {
                chains(m, f16, r, quarter, 4, s, bo, cols & ~63);
                for (int k = 0; k < 4; k++) y[yo + r + k * quarter] = finish(f16, s.acc, 64 * k, s.rows, k * cols, s.b, bo, cols, s.lanes);
            }
            for (int r = from + 4 * quarter; r < to; r++) {
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
        float[] b = new float[0], rows = new float[0], acc = new float[256], lanes = new float[16];
        /** BF16: each 32 input values' odd and even elements, 16 of each in turn. */
        float[] pairs = new float[0];
        short[] halves = new short[CHUNK];

        Scratch fit(int cols, int batch, boolean bf16) {
            if (b.length < batch * cols) b = new float[batch * cols];
            if (rows.length < 4 * cols) rows = new float[4 * cols];
            if (bf16 && pairs.length < batch * cols) pairs = new float[batch * cols];
            return this;
        }
    }
}
