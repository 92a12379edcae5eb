package dev.hearth.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Any type with a {@link BlockFormat}: the input is quantized to the format's vec_dot type by
 * {@link BlockFormat#quantize} (once per input, see {@link Activations#blocks}), then each row is one
 * {@link BlockFormat#dot}. Used for the types without a dedicated kernel, and for every type on CPUs without
 * 512-bit vectors.
 */
final class GenericKernel implements MatrixKernel {
    private final BlockFormat format;
    private final GgmlType dotType;
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride, inputStride;

    GenericKernel(GgmlType type, MemorySegment data, int rows, int cols, long stride) {
        this.format = BlockFormat.of(type);
        this.dotType = format.vecDotType();
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.stride = stride;
        this.inputStride = dotType.byteSize(cols);
    }

    @Override public int rows() { return rows; }

    @Override public boolean repacked() { return false; }

    @Override public void prepare(Activations x) { x.blocks(dotType); }

    @Override public MatrixKernel repack(Arena arena) { return null; }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        MemorySegment in = x.blocks(dotType);
        long io = b * inputStride;
        int yo = b * rows;
        for (int r = from; r < to; r++) y[yo + r] = format.dot(data, r * stride, in, io, cols);
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        MemorySegment in = x.blocks(dotType);
        for (int r = from; r < to; r++) { // row-major so each weight row is read from memory once for the four inputs
            for (int k = b; k < b + 4; k++) y[k * rows + r] = format.dot(data, r * stride, in, k * inputStride, cols);
        }
    }
}
