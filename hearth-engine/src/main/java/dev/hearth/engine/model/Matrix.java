package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.tensor.BlockFormat;
import dev.hearth.engine.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Stand-in for {@code dev.hearth.engine.tensor.Matrix} (branch kernels) until it is merged: a 2-D weight used in place
 * on the GGUF mapping, multiplied row by row against the input quantized to the weight's vec_dot type, which is
 * llama.cpp's arithmetic. Single-threaded and scalar.
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

    private final GgmlType type;
    private final BlockFormat format;
    private final MemorySegment data;
    private final int rows, cols;
    private final long rowBytes;
    private final boolean tokenEmbedding;

    private Matrix(GgmlType type, MemorySegment data, int rows, int cols, boolean tokenEmbedding) {
        this.tokenEmbedding = tokenEmbedding;
        this.type = type;
        this.format = BlockFormat.of(type);
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.byteSize(cols);
    }

    static Matrix of(GgufTensor tensor) {
        try {
            return new Matrix(tensor.type(), tensor.data(), Math.toIntExact(tensor.rows()), tensor.cols(),
                    tensor.name().equals("token_embd.weight"));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("tensor " + tensor.name() + ": " + e.getMessage(), e);
        }
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

    /** {@code y[b*rows + r] = dot(row r, input row b)} for every input row b of {@code x}. */
    void multiply(Activations x, float[] y) {
        if (x.cols() != cols) throw new IllegalArgumentException("input has " + x.cols() + " columns, matrix has " + cols);
        GgmlType vt = format.vecDotType();
        MemorySegment q = x.blocks(vt);
        int batch = x.batch();
        int xRowBytes = Math.toIntExact(vt.byteSize(cols));
        if (GgmlDots.supports(type)) {
            GgmlDots.Kernel kernel = GgmlDots.kernel(type, rows, tokenEmbedding, batch);
            GgmlDots dots = new GgmlDots(type, cols);
            byte[] xs = q.asSlice(0, (long) batch * xRowBytes).toArray(ValueLayout.JAVA_BYTE);
            for (int r = 0; r < rows; r++) {
                dots.load(data.asSlice(r * rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE), 0);
                for (int i = 0; i < batch; i++) y[i * rows + r] = dots.dot(kernel, xs, i * xRowBytes);
            }
            return;
        }
        // tinyBLAS takes two or more input rows, and (AVX-512 build) a row count that is a multiple of 4
        boolean tiny = batch >= 2 && rows % 4 == 0;
        float[] a = new float[cols];
        float[][] b = new float[batch][cols];
        for (int i = 0; i < batch; i++) {
            long xo = (long) i * xRowBytes;
            for (int k = 0; k < cols; k++) {
                b[i][k] = switch (type) {
                    case F32 -> q.get(FLOAT, xo + 4L * k);
                    case F16 -> Float.float16ToFloat(q.get(SHORT, xo + 2L * k));
                    case BF16 -> Float.intBitsToFloat(q.get(SHORT, xo + 2L * k) << 16);
                    default -> 0;
                };
            }
        }
        for (int r = 0; r < rows; r++) {
            if (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16) format.dequantize(data, r * rowBytes, a, 0, cols);
            for (int i = 0; i < batch; i++) {
                y[i * rows + r] = switch (type) {
                    case F32 -> tiny && cols % 16 == 0 ? tinyBlas(a, b[i], cols) : vecDotF32(a, b[i], cols);
                    case F16 -> tiny && cols % 16 == 0 ? tinyBlas(a, b[i], cols) : vecDotF16(a, b[i], cols);
                    case BF16 -> tiny && cols % 32 == 0 ? tinyBlasBf16(a, b[i], cols) : vecDotBf16(a, b[i], cols);
                    default -> format.dot(data, r * rowBytes, q, (long) i * xRowBytes, cols);
                };
            }
        }
    }

    /** {@code _mm512_reduce_add_ps}: halves added pairwise down to one lane. */
    static float reduce16(float[] a, int o) {
        float[] t = new float[8];
        for (int i = 0; i < 8; i++) t[i] = a[o + i] + a[o + i + 8];
        float u0 = t[0] + t[4], u1 = t[1] + t[5], u2 = t[2] + t[6], u3 = t[3] + t[7];
        return (u0 + u2) + (u1 + u3);
    }

    /** tinyBLAS (F32, F16): lane l accumulates elements l, l+16, ... with FMA, then {@link #reduce16}. */
    static float tinyBlas(float[] a, float[] b, int n) {
        float[] acc = new float[16];
        for (int l = 0; l < n; l += 16) for (int i = 0; i < 16; i++) acc[i] = Math.fma(a[l + i], b[l + i], acc[i]);
        return reduce16(acc, 0);
    }

    /** tinyBLAS with AVX512-BF16 {@code dpbf16}: lane j adds pair j of each 32 values, odd element first. */
    static float tinyBlasBf16(float[] a, float[] b, int n) {
        float[] acc = new float[16];
        for (int l = 0; l < n; l += 32) dpbf16(acc, a, b, l);
        return reduce16(acc, 0);
    }

    private static void dpbf16(float[] acc, float[] a, float[] b, int l) {
        for (int j = 0; j < 16; j++) {
            acc[j] += a[l + 2 * j + 1] * b[l + 2 * j + 1];
            acc[j] += a[l + 2 * j] * b[l + 2 * j];
        }
    }

    /** Four 16-lane accumulators over 64-value steps, reduced 0+2, 1+3, 0+1, then across lanes. */
    private static float vecDot4(float[] a, float[] b, int np) {
        float[] acc = new float[64];
        for (int i = 0; i < np; i += 64) for (int k = 0; k < 64; k++) acc[k] = Math.fma(a[i + k], b[i + k], acc[k]);
        for (int k = 0; k < 16; k++) {
            acc[k] += acc[32 + k];
            acc[16 + k] += acc[48 + k];
        }
        for (int k = 0; k < 16; k++) acc[k] += acc[16 + k];
        return reduce16(acc, 0);
    }

    /** ggml_vec_dot_f32: {@link #vecDot4}, then the tail in float. */
    static float vecDotF32(float[] a, float[] b, int n) {
        int np = n & ~63;
        float sum = np > 0 ? vecDot4(a, b, np) : 0.0f;
        for (int i = np; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /** ggml_vec_dot_f16: {@link #vecDot4} into a double, then the tail in double. */
    static float vecDotF16(float[] a, float[] b, int n) {
        int np = n & ~63;
        double sum = np > 0 ? vecDot4(a, b, np) : 0.0;
        for (int i = np; i < n; i++) sum += a[i] * b[i];
        return (float) sum;
    }

    /** ggml_vec_dot_bf16 (AVX512-BF16): two dpbf16 accumulators per 64 values, each reduced into a double. */
    static float vecDotBf16(float[] a, float[] b, int n) {
        float[] c1 = new float[16], c2 = new float[16];
        int i = 0;
        for (; i + 64 <= n; i += 64) {
            dpbf16(c1, a, b, i);
            dpbf16(c2, a, b, i + 32);
        }
        double sum = reduce16(c1, 0);
        sum += reduce16(c2, 0);
        for (; i < n; i++) sum += a[i] * b[i];
        return (float) sum;
    }
}
