package dev.hearth.engine.model;

import dev.hearth.engine.tensor.BlockFormat;
import dev.hearth.engine.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;

/**
 * Stand-in for {@code dev.hearth.engine.tensor.Activations} (branch kernels) until it is merged: the same API, built
 * on {@link BlockFormat}. Holds {@code batch} input rows of {@code cols} floats and, computed once per input, their
 * quantized form for each vec_dot type asked for (llama.cpp quantizes the input of every matmul to the weight's
 * vec_dot type; Q, K and V share one input, so do gate and up).
 */
final class Activations {
    private final int cols;
    private int batch;
    private float[] values = new float[0];
    private final EnumMap<GgmlType, MemorySegment> blocks = new EnumMap<>(GgmlType.class);
    private final EnumMap<GgmlType, Boolean> ready = new EnumMap<>(GgmlType.class);

    Activations(int cols) {
        if (cols <= 0) throw new IllegalArgumentException("cols must be positive, got " + cols);
        this.cols = cols;
    }

    int cols() {
        return cols;
    }

    int batch() {
        return batch;
    }

    /** Sets {@code batch} input rows; row {@code b} is {@code x[offset + b*cols ...]}. The values are copied. */
    Activations set(float[] x, int offset, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (values.length < batch * cols) values = new float[batch * cols];
        System.arraycopy(x, offset, values, 0, batch * cols);
        this.batch = batch;
        ready.clear();
        return this;
    }

    /**
     * llama.cpp's x86 {@code quantize_row_q8_0}/{@code _q8_1} (what its CPU backend runs, rather than the
     * {@code _ref} versions): {@code id = 127/max} rather than {@code 1/d}, and rounding half to even.
     */
    static void simdQ8(float[] x, int off, MemorySegment dst, long o, int n, boolean q81) {
        int bytes = q81 ? 36 : 34, qo = q81 ? 4 : 2;
        for (int b = 0; b < n / 32; b++) {
            float max = 0;
            for (int j = 0; j < 32; j++) max = Math.max(max, Math.abs(x[off + b * 32 + j]));
            float d = max / 127.f;
            float id = max != 0 ? 127.f / max : 0;
            long bo = o + (long) b * bytes;
            dst.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, bo, Float.floatToFloat16(d));
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                int q = (int) Math.rint(x[off + b * 32 + j] * id);
                sum += q;
                dst.set(java.lang.foreign.ValueLayout.JAVA_BYTE, bo + qo + j, (byte) q);
            }
            if (q81) dst.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, bo + 2, Float.floatToFloat16(d * sum));
        }
    }

    /** The input quantized to {@code type}'s blocks, row {@code b} at {@code b * type.byteSize(cols)}. */
    MemorySegment blocks(GgmlType type) {
        MemorySegment seg = blocks.get(type);
        long rowBytes = type.byteSize(cols);
        if (ready.get(type) == null) {
            if (seg == null || seg.byteSize() < rowBytes * batch) {
                seg = MemorySegment.ofArray(new long[(int) ((rowBytes * batch + 7) / 8)]);
                blocks.put(type, seg);
            }
            BlockFormat fmt = BlockFormat.of(type);
            for (int b = 0; b < batch; b++) {
                if (type == GgmlType.Q8_0 || type == GgmlType.Q8_1) simdQ8(values, b * cols, seg, b * rowBytes, cols, type == GgmlType.Q8_1);
                else fmt.quantize(values, b * cols, seg, b * rowBytes, cols);
            }
            ready.put(type, Boolean.TRUE);
        }
        return seg;
    }
}
