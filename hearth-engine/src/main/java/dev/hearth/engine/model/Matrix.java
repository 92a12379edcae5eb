package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.tensor.BlockFormat;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.OffHeap;
import dev.hearth.engine.tensor.WorkerPool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The model's weight matrices: a 2-D weight used in place on the GGUF mapping, multiplied row by row against the
 * input quantized to the weight's vec_dot type, which is llama.cpp's arithmetic in llama.cpp's order of float
 * operations (the golden fixtures need it bit for bit, so the faster block-summing kernels of
 * {@code dev.hearth.engine.tensor.Matrix} are not used here). The rows are shared out over the
 * {@link WorkerPool#shared() worker pool}. Q8_0, Q5_0, Q4_0 (repacked order), Q4_K and Q6_K weights are copied at load
 * into a {@link Repacked} layout, one vector lane per row, whose kernels advance 32 rows at once; the other types
 * {@link VectorDots} covers run its per-row Vector API kernels, F32, F16 and BF16 {@link DenseDots}, the rest the
 * scalar code here and in {@link GgmlDots}: the same order of float operations in every case (bit-identical results).
 *
 * <p>F32, F16 and BF16 rows are summed in the order of the llama.cpp build that produced the fixtures (AVX-512):
 * llamafile's tinyBLAS for two or more input rows and a multiple of 4 weight rows (one 16-lane accumulator per
 * output), ggml's {@code vec_dot} otherwise. With F16/BF16 weights the activations are rounded to fp16/bf16, and a one-ulp difference in a sum can move a
 * value across a rounding boundary downstream; matching the order removes those differences. The 32-block quantized
 * types follow {@link GgmlDots}; the others use {@link BlockFormat#dot}.
 */
final class Matrix {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final GgmlType type;
    final BlockFormat format;
    final MemorySegment data;
    final int rows, cols;
    final long rowBytes;
    final boolean tokenEmbedding;
    /** The whole groups of rows repacked (lane = row), for the types that have such a kernel; else null. */
    private final Repacked repacked;

    private Matrix(GgmlType type, MemorySegment data, int rows, int cols, boolean tokenEmbedding) {
        this.tokenEmbedding = tokenEmbedding;
        this.type = type;
        this.format = BlockFormat.of(type);
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.byteSize(cols);
        Copy copy = copy(type, rows, cols, tokenEmbedding);
        this.repacked = copy == null ? null : switch (copy) {
            case Q8_0 -> Q8_0x32.of(type, data, rows, cols);
            case Q6_K -> Q6_Kx32.of(data, rows, cols);
            case Q4_K -> Q4_Kx32.of(data, rows, cols);
            case Q4_0 -> Q4_0x32.of(data, rows, cols);
        };
    }

    /** The lane-per-row copies a weight can get (Q8_0's also takes Q5_0). */
    private enum Copy { Q8_0, Q6_K, Q4_K, Q4_0 }

    /** The copy a weight of this type and shape gets at load, or null: it stays with the GGUF layout. */
    private static Copy copy(GgmlType type, int rows, int cols, boolean tokenEmbedding) {
        if (!VectorDots.supportsType(type) || rows < 32) return null;
        return switch (type) {
            case Q8_0, Q5_0 -> Q8_0x32.fits(rows, cols) ? Copy.Q8_0 : null;
            case Q6_K -> Copy.Q6_K;
            case Q4_K -> Copy.Q4_K;
            case Q4_0 -> {
                boolean repackedOrder = GgmlDots.kernel(type, rows, tokenEmbedding, 1) == GgmlDots.Kernel.REPACKED_Q4_0;
                yield repackedOrder && Q4_0x32.fits(rows, cols) ? Copy.Q4_0 : null;
            }
            default -> null;
        };
    }

    /**
     * Bytes a weight of this type and shape takes beyond its size in the file once loaded: its repacked copy
     * replaces the file's pages; Q5_0 and Q6_K copies are larger (values widened to int8), Q4_K's slightly, Q8_0's and
     * Q4_0's by the padding between the runs of memory they are laid out in.
     */
    static long loadedGrowth(GgmlType type, long rows, int cols) {
        Copy copy = copy(type, (int) Math.min(rows, Integer.MAX_VALUE), cols, false);
        if (copy == null) return 0;
        long groups = rows / 32;
        return switch (copy) {
            case Q8_0 -> (type == GgmlType.Q5_0 ? groups * 32 * (cols / 32) * (34L - 22) : 0) + 8L * Q8_0x32.PAD;
            case Q6_K -> groups * 32 * (cols / 256) * (274L - 210);
            case Q4_K -> groups * 32 * (cols / 256) * (148L - 144); // scales and mins a byte each
            case Q4_0 -> Q4_0x32.PADDING;
        };
    }

    static Matrix of(GgufTensor tensor) {
        try {
            Matrix m = new Matrix(tensor.type(), tensor.data(), Math.toIntExact(tensor.rows()), tensor.cols(),
                    tensor.name().equals("token_embd.weight"));
            // the repacked copy is what multiplies now: the file's pages of those rows need not stay resident
            if (m.repacked != null) OffHeap.releaseFilePages(m.data.asSlice(0, m.repacked.packedRows() * m.rowBytes));
            return m;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("tensor " + tensor.name() + ": " + e.getMessage(), e);
        }
    }

    /** A matrix over {@code data} in GGUF layout (for tests and benchmarks; models use {@link #of(GgufTensor)}). */
    static Matrix of(GgmlType type, MemorySegment data, int rows, int cols, boolean tokenEmbedding) {
        return new Matrix(type, data, rows, cols, tokenEmbedding);
    }

    /** Bytes of the repacked copy beyond the file bytes of the rows it holds (0 without a copy). */
    long repackedGrowth() {
        return repacked == null ? 0 : repacked.bytes() - repacked.packedRows() * rowBytes;
    }

    GgmlType type() {
        return type;
    }

    int rows() {
        return rows;
    }

    int cols() {
        return cols;
    }

    /**
     * {@code y[b*rows + r] = dot(row r, input row b)} for every input row b of {@code x}, the rows split over the
     * {@link WorkerPool#shared() shared pool} (each output is one thread's, summed in the same order as alone).
     */
    void multiply(Activations x, float[] y) {
        multiply(x, y, true);
    }

    /** As {@link #multiply(Activations, float[])}; {@code fast = false} runs only the scalar reference kernels. */
    void multiply(Activations x, float[] y, boolean fast) {
        if (x.cols() != cols) throw new IllegalArgumentException("input has " + x.cols() + " columns, matrix has " + cols);
        GgmlType vt = format.vecDotType();
        x.blocks(vt); // the input is quantized here, on the calling thread, before the rows are shared out
        boolean vector = fast && VectorDots.supports(this);
        if (vector) x.values(vt);
        if (vector && repacked != null) WorkerPool.shared().forEachRange(rows, Repacked.GROUP_ROWS, this, x, y, Matrix::repackedRows);
        else if (fast && DenseDots.supports(this)) WorkerPool.shared().forEachRange(rows, 16, this, x, y, DENSE_ROWS);
        else WorkerPool.shared().forEachRange(rows, 16, this, x, y, vector ? VECTOR_ROWS : SCALAR_ROWS);
    }

    /** Rows {@code [from, to)} ({@code from} a multiple of the group size): the repacked groups, then any rows past them. */
    private void repackedRows(Activations x, float[] y, int from, int to) {
        GgmlType vt = format.vecDotType();
        int packed = repacked.packedRows(), end = Math.min(to, packed), group = Repacked.GROUP_ROWS;
        if (from < end) {
            int[] sums = x.sums32(vt);
            repacked.groups(x.values(vt), x.floatValues(vt), x.scales(vt), sums, x.batch(), rows, y, from / group, end / group);
        }
        if (to > packed) VectorDots.rows(this, x, y, Math.max(from, packed), to);
    }

    private static final WorkerPool.RangeTask<Matrix, Activations, float[]> VECTOR_ROWS = VectorDots::rows;
    private static final WorkerPool.RangeTask<Matrix, Activations, float[]> SCALAR_ROWS = Matrix::scalarRows;
    private static final WorkerPool.RangeTask<Matrix, Activations, float[]> DENSE_ROWS = DenseDots::rows;

    /** Rows {@code [from, to)} with the scalar kernels ({@link GgmlDots}, or the float orders below). */
    private void scalarRows(Activations x, float[] y, int from, int to) {
        GgmlType vt = format.vecDotType();
        int batch = x.batch();
        int xRowBytes = Math.toIntExact(vt.byteSize(cols));
        Scratch s = SCRATCH.get();
        if (GgmlDots.supports(type)) {
            GgmlDots.Kernel kernel = GgmlDots.kernel(type, rows, tokenEmbedding, batch);
            GgmlDots dots = s.dots(type, cols);
            byte[] xs = x.blockBytes(vt), row = s.row(rowBytes);
            for (int r = from; r < to; r++) {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes, row, 0, (int) rowBytes);
                dots.load(row, 0);
                for (int i = 0; i < batch; i++) y[i * rows + r] = dots.dot(kernel, xs, i * xRowBytes);
            }
            return;
        }
        MemorySegment q = x.blocks(vt);
        // tinyBLAS takes two or more input rows, and (AVX-512 build) a row count that is a multiple of 4
        boolean tiny = batch >= 2 && rows % 4 == 0;
        boolean dense = type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
        float[] a = s.floats(cols, 0);
        float[] b = s.floats(batch * cols, 1);
        for (int i = 0; dense && i < batch; i++) {
            long xo = (long) i * xRowBytes;
            for (int k = 0; k < cols; k++) {
                b[i * cols + k] = switch (type) {
                    case F32 -> q.get(FLOAT, xo + 4L * k);
                    case F16 -> Float.float16ToFloat(q.get(SHORT, xo + 2L * k));
                    default -> Float.intBitsToFloat(q.get(SHORT, xo + 2L * k) << 16);
                };
            }
        }
        for (int r = from; r < to; r++) {
            if (dense) format.dequantize(data, r * rowBytes, a, 0, cols);
            for (int i = 0; i < batch; i++) {
                int bo = i * cols;
                y[i * rows + r] = switch (type) {
                    case F32 -> tiny && cols % 16 == 0 ? tinyBlas(a, b, bo, cols) : vecDotF32(a, b, bo, cols);
                    case F16 -> tiny && cols % 16 == 0 ? tinyBlas(a, b, bo, cols) : vecDotF16(a, b, bo, cols);
                    case BF16 -> tiny && cols % 32 == 0 ? tinyBlasBf16(a, b, bo, cols) : vecDotBf16(a, b, bo, cols);
                    default -> format.dot(data, r * rowBytes, q, (long) i * xRowBytes, cols);
                };
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers of the scalar kernels, grown as needed and kept (no allocation per call once warm). */
    private static final class Scratch {
        private byte[] row = new byte[0];
        private final float[][] floats = {new float[0], new float[0]};
        private GgmlDots[] dots = new GgmlDots[0];

        byte[] row(long bytes) {
            if (row.length < bytes) row = new byte[Math.toIntExact(bytes)];
            return row;
        }

        float[] floats(int n, int which) {
            if (floats[which].length < n) floats[which] = new float[n];
            return floats[which];
        }

        GgmlDots dots(GgmlType type, int n) {
            for (GgmlDots d : dots) if (d.fits(type, n)) return d;
            GgmlDots d = new GgmlDots(type, n);
            dots = java.util.Arrays.copyOf(dots, dots.length + 1);
            dots[dots.length - 1] = d;
            return d;
        }
    }

    /** {@code _mm512_reduce_add_ps}: halves added pairwise down to one lane. */
    static float reduce16(float[] a, int o) {
        float t0 = a[o] + a[o + 8], t1 = a[o + 1] + a[o + 9], t2 = a[o + 2] + a[o + 10], t3 = a[o + 3] + a[o + 11];
        float t4 = a[o + 4] + a[o + 12], t5 = a[o + 5] + a[o + 13], t6 = a[o + 6] + a[o + 14], t7 = a[o + 7] + a[o + 15];
        float u0 = t0 + t4, u1 = t1 + t5, u2 = t2 + t6, u3 = t3 + t7;
        return (u0 + u2) + (u1 + u3);
    }

    /** tinyBLAS (F32, F16): lane l accumulates elements l, l+16, ... with FMA, then {@link #reduce16}. */
    static float tinyBlas(float[] a, float[] b, int bo, int n) {
        float[] acc = new float[16];
        for (int l = 0; l < n; l += 16) for (int i = 0; i < 16; i++) acc[i] = Math.fma(a[l + i], b[bo + l + i], acc[i]);
        return reduce16(acc, 0);
    }

    /** tinyBLAS with AVX512-BF16 {@code dpbf16}: lane j adds pair j of each 32 values, odd element first. */
    static float tinyBlasBf16(float[] a, float[] b, int bo, int n) {
        float[] acc = new float[16];
        for (int l = 0; l < n; l += 32) dpbf16(acc, a, b, bo, l);
        return reduce16(acc, 0);
    }

    private static void dpbf16(float[] acc, float[] a, float[] b, int bo, int l) {
        for (int j = 0; j < 16; j++) {
            acc[j] += a[l + 2 * j + 1] * b[bo + l + 2 * j + 1];
            acc[j] += a[l + 2 * j] * b[bo + l + 2 * j];
        }
    }

    /** Four 16-lane accumulators over 64-value steps, reduced 0+2, 1+3, 0+1, then across lanes. */
    private static float vecDot4(float[] a, float[] b, int bo, int np) {
        float[] acc = new float[64];
        for (int i = 0; i < np; i += 64) for (int k = 0; k < 64; k++) acc[k] = Math.fma(a[i + k], b[bo + i + k], acc[k]);
        for (int k = 0; k < 16; k++) {
            acc[k] += acc[32 + k];
            acc[16 + k] += acc[48 + k];
        }
        for (int k = 0; k < 16; k++) acc[k] += acc[16 + k];
        return reduce16(acc, 0);
    }

    /** ggml_vec_dot_f32: {@link #vecDot4}, then the tail in float. */
    static float vecDotF32(float[] a, float[] b, int bo, int n) {
        int np = n & ~63;
        float sum = np > 0 ? vecDot4(a, b, bo, np) : 0.0f;
        for (int i = np; i < n; i++) sum += a[i] * b[bo + i];
        return sum;
    }

    /** ggml_vec_dot_f16: {@link #vecDot4} into a double, then the tail in double. */
    static float vecDotF16(float[] a, float[] b, int bo, int n) {
        int np = n & ~63;
        double sum = np > 0 ? vecDot4(a, b, bo, np) : 0.0;
        for (int i = np; i < n; i++) sum += a[i] * b[bo + i];
        return (float) sum;
    }

    /** ggml_vec_dot_bf16 (AVX512-BF16): two dpbf16 accumulators per 64 values, each reduced into a double. */
    static float vecDotBf16(float[] a, float[] b, int bo, int n) {
        float[] c1 = new float[16], c2 = new float[16];
        int i = 0;
        for (; i + 64 <= n; i += 64) {
            dpbf16(c1, a, b, bo, i);
            dpbf16(c2, a, b, bo, i + 32);
        }
        double sum = reduce16(c1, 0);
        sum += reduce16(c2, 0);
        for (; i < n; i++) sum += a[i] * b[bo + i];
        return (float) sum;
    }
}
