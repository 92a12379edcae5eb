package dev.hearth.engine.tensor;

import java.lang.foreign.Arena;

/**
 * The rows of one weight matrix in one memory layout, and the code that multiplies them. {@link Matrix} splits
 * the rows between threads; a kernel computes {@code y[b*rows + r]} for its rows and every input row b.
 */
sealed interface MatrixKernel permits F32Kernel, F16Kernel, BF16Kernel, Q8_0Kernel, Q4_0Kernel, Q4_KKernel, Q6_KKernel, GenericKernel {
    /** Rows of weights processed together for every input row, so they are read from memory once (B > 1). */
    int TILE = 16;

    int rows();

    boolean repacked();

    /** Computes the forms of the input that this kernel reads; runs on the calling thread before the split. */
    void prepare(Activations x);

    /**
     * Input row {@code b} times rows {@code [from, to)}. The repacked kernels advance four rows at once, one from each
     * quarter of the range, so that four runs of memory are read side by side: the hardware prefetcher keeps a limited
     * number of lines in flight per run, and one run streamed at 55-85 % of the read bandwidth here, four at 75-100 %.
     */
    void rows1(Activations x, int b, float[] y, int from, int to);

    /** Input rows {@code b .. b+3} times rows {@code [from, to)}, each weight block loaded once for all four. */
    void rows4(Activations x, int b, float[] y, int from, int to);

    /** The same matrix in this format's repacked layout, or null when it has none or cannot represent it. */
    MatrixKernel repack(Arena arena);

    default void multiply(Activations x, float[] y, int from, int to) {
        int batch = x.batch();
        if (batch == 1) {
            rows1(x, 0, y, from, to);
            return;
        }
        for (int t = from; t < to; t += TILE) {
            int end = Math.min(to, t + TILE);
            int b = 0;
            for (; b + 4 <= batch; b += 4) rows4(x, b, y, t, end);
            for (; b < batch; b++) rows1(x, b, y, t, end);
        }
    }
}
