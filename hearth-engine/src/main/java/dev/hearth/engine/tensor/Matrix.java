package dev.hearth.engine.tensor;

import dev.hearth.engine.gguf.GgufTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight tensor ready to multiply: {@code rows} rows of {@code cols} values of one ggml type, and
 * {@link #multiply} computing {@code y[b*rows + r] = dot(row r, input row b)} for every input row of an
 * {@link Activations}, split over the rows on a {@link WorkerPool}. Results match llama.cpp's CPU matmul within
 * float rounding (the input is quantized exactly as llama.cpp quantizes it; only the order of float sums differs).
 *
 * <p>{@link #of} works in place on the GGUF layout, typically the file's memory mapping (no copy, nothing to
 * load). {@link #repack} makes a copy in a layout arranged for wide vector loads (groups of 16 blocks, one int
 * lane per block), in huge-page memory; it is faster for the big matrices of a model and costs the copy's memory
 * and the time to read the weights once. It is a per-tensor choice.
 *
 * <p>F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K have dedicated Vector API kernels; the other types with a
 * {@link BlockFormat} use its scalar {@code dot}; other types are refused when the matrix is created. Safe for
 * concurrent use (the matrix is immutable); an {@link Activations} belongs to one thread at a time. The weights'
 * memory must be readable from the pool's threads (a file mapping, a shared or global arena; not a confined one).
 *
 * <p>JVM flags: {@code --add-modules jdk.incubator.vector} (required); {@code --enable-native-access=ALL-UNNAMED}
 * (lets {@link OffHeap} ask for huge pages); {@code -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0} (about 10% on
 * the fastest kernels). The last one removes the per-load bounds checks of vector loads; it is safe here because
 * every load offset a kernel computes stays inside a row slice whose size {@link #of} checked against the data
 * once, and inside activation arrays {@link Activations} sized for the input (slices themselves stay checked).
 */
public final class Matrix {
    /** Weight layouts. */
    public enum Layout {
        /** The tensor as stored in a GGUF file. */
        GGUF,
        /** This project's layout for the dedicated kernels (see {@link Matrix#repack}). */
        REPACKED
    }

    private static final WorkerPool.RangeTask<MatrixKernel, Activations, float[]> MULTIPLY =
            (kernel, x, y, from, to) -> kernel.multiply(x, y, from, to);

    private final GgmlType type;
    private final int rows, cols;
    private final MatrixKernel kernel;

    private Matrix(GgmlType type, int rows, int cols, MatrixKernel kernel) {
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.kernel = kernel;
    }

    /** A tensor of a GGUF file, in place. Every dimension past the first counts as rows. */
    public static Matrix of(GgufTensor tensor) {
        long rows = tensor.rows();
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException(tensor.name() + ": too many rows (" + rows + ")");
        try {
            return of(tensor.type(), tensor.data(), (int) rows, tensor.cols());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("tensor " + tensor.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code rows} rows of {@code cols} values of {@code type} in the GGUF block layout, starting at the beginning
     * of {@code data}, used in place.
     *
     * @throws UnsupportedOperationException for a type without kernels (the message names it)
     * @throws IllegalArgumentException when the shape does not fit the type's blocks or the data
     */
    public static Matrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad matrix shape " + rows + " x " + cols);
        if (type == GgmlType.Q8_1 || type == GgmlType.Q8_K) {
            throw new UnsupportedOperationException(type + " is an activation format, not supported for weight matrices");
        }
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException(rows + " x " + cols + " " + type + " matrix: rows must be whole "
                    + type.blockSize + "-value blocks");
        }
        long rowBytes = type.byteSize(cols);
        if (data.byteSize() < rowBytes * rows) {
            throw new IllegalArgumentException(rows + " x " + cols + " " + type + " matrix needs " + rowBytes * rows
                    + " bytes, data has " + data.byteSize());
        }
        // The kernels index rows by int offsets and load whole vectors without per-load bounds checks (with
        // -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0): what makes that safe is this check, done once.
        if (rowBytes > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("rows of " + rowBytes + " bytes are too long");
        MemorySegment w = data.asSlice(0, rowBytes * rows);
        MatrixKernel kernel = !Simd.FAST ? new GenericKernel(type, w, rows, cols, rowBytes) : switch (type) {
            case F32 -> new F32Kernel(w, rows, cols, rowBytes, false);
            case F16 -> new F16Kernel(w, rows, cols, rowBytes);
            case BF16 -> new BF16Kernel(w, rows, cols, rowBytes, false);
            case Q8_0 -> new Q8_0Kernel(w, rows, cols, rowBytes, false);
            case Q4_0 -> new Q4_0Kernel(w, rows, cols, rowBytes, false);
            case Q4_K -> new Q4_KKernel(w, rows, cols, rowBytes, false);
            case Q6_K -> new Q6_KKernel(w, rows, cols, rowBytes, false);
            default -> new GenericKernel(type, w, rows, cols, rowBytes); // throws for types without a BlockFormat
        };
        return new Matrix(type, rows, cols, kernel);
    }

    /** {@link #repack(Arena)} with memory freed when the returned matrix is no longer reachable. */
    public Matrix repack() {
        return repack(Arena.ofAuto());
    }

    /**
     * This matrix in the repacked layout, in memory of {@code arena}; or this matrix itself when already repacked,
     * when its type has no repacked layout, or when a value cannot be represented in it (a block scale of 128 or
     * more, inf or NaN: never produced by llama.cpp's quantizers).
     */
    public Matrix repack(Arena arena) {
        if (kernel.repacked()) return this;
        MatrixKernel k = kernel.repack(arena);
        return k == null ? this : new Matrix(type, rows, cols, k);
    }

    public GgmlType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public Layout layout() {
        return kernel.repacked() ? Layout.REPACKED : Layout.GGUF;
    }

    /** Bytes of the weights in the GGUF layout: what a matrix-vector product streams from memory. */
    public long byteSize() {
        return type.byteSize(cols) * rows;
    }

    /** {@link #multiply(Activations, float[], WorkerPool)} on the {@linkplain WorkerPool#shared() shared pool}. */
    public void multiply(Activations x, float[] y) {
        multiply(x, y, WorkerPool.shared());
    }

    /**
     * {@code y[b*rows + r] = dot(row r, input row b)} for every row r and every input row b of {@code x}. Allocates
     * nothing once {@code x} holds the forms of its input this type needs (computed here on first use).
     */
    public void multiply(Activations x, float[] y, WorkerPool pool) {
        if (x.cols() != cols) throw new IllegalArgumentException("input has " + x.cols() + " columns, matrix has " + cols);
        int batch = x.batch();
        if (batch < 1) throw new IllegalArgumentException("no input set");
        if (y.length < (long) batch * rows) {
            throw new IllegalArgumentException("output needs " + (long) batch * rows + " floats, has " + y.length);
        }
        kernel.prepare(x);
        pool.forEachRange(rows, MatrixKernel.TILE, kernel, x, y, MULTIPLY);
    }

    @Override
    public String toString() {
        return rows + " x " + cols + " " + type + " (" + layout() + ")";
    }
}
