package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.WorkerPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Gets the matrix kernels compiled while a model loads. Until the JIT compiles them, Vector API code runs in its
 * scalar fallback, far slower: a first prompt on a 1B model spent seconds that way. So while the weights are being
 * repacked, a thread runs the kernels of the file's weight types on a made-up matrix of one row group (off the worker
 * pool), and stops when the model is loaded. Once per type and JVM.
 */
final class KernelWarmup {
    private static final int ROWS = Repacked.GROUP_ROWS, COLS = 512, ROUNDS = 1500;
    private static final Set<GgmlType> warmed = EnumSet.noneOf(GgmlType.class);

    private volatile boolean stopped;

    KernelWarmup() {}

    /** Ends the warm-up after its current round (a model's first prompt should not share the cores with it). */
    void stop() {
        stopped = true;
    }

    /** Starts warming the kernels of the file's 2-D weight types not warmed yet, on a daemon thread. */
    static KernelWarmup start(GgufFile file) {
        KernelWarmup warmup = new KernelWarmup();
        Set<GgmlType> types = EnumSet.noneOf(GgmlType.class);
        synchronized (warmed) {
            for (GgufTensor t : file.tensors().values()) {
                if (t.shape().length == 2 && t.rows() >= ROWS && VectorDots.supportsType(t.type()) && warmed.add(t.type())) {
                    types.add(t.type());
                }
            }
        }
        if (types.isEmpty()) return warmup;
        WorkerPool.startSerial("hearth-warmup", () -> {
            try {
                warmup.run(types, ROUNDS);
            } catch (RuntimeException e) {
                // best effort: the model works the same without it
            }
        });
        return warmup;
    }

    /**
     * Up to {@code rounds} rounds, each of four products of one input row and one of four rows by a made-up matrix of
     * every type: the types side by side (the load may end before one type's rounds would), and the one-row kernel
     * called as often as the four-row one (it runs 2 passes per product against 8), so that both reach the JIT's
     * thresholds together.
     */
    void run(Set<GgmlType> types, int rounds) {
        SplittableRandom random = new SplittableRandom(1);
        float[] in = new float[4 * COLS];
        for (int i = 0; i < in.length; i++) in[i] = (float) random.nextGaussian();
        Activations one = new Activations(COLS), four = new Activations(COLS);
        float[] y = new float[4 * ROWS];
        List<Matrix> matrices = new ArrayList<>();
        for (GgmlType type : types) matrices.add(Matrix.of(type, randomWeights(type, random), ROWS, COLS, false));
        for (int round = 0; round < rounds && !stopped; round++) {
            for (Matrix m : matrices) {
                for (int i = 0; i < 4; i++) m.multiply(one.set(in, 0, 1), y); // the decoding kernels (and quantizing the input)
                m.multiply(four.set(in, 0, 4), y); // the prompt kernels
            }
        }
    }

    /** Random bytes with every 16-bit word a small float16: whatever the block layout, scales are finite. */
    private static MemorySegment randomWeights(GgmlType type, SplittableRandom random) {
        long bytes = type.byteSize(COLS) * ROWS;
        MemorySegment w = Arena.ofAuto().allocate(bytes, 64);
        for (long o = 0; o + 1 < bytes; o += 2) {
            w.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16((float) random.nextDouble(-0.01, 0.01)));
        }
        return w;
    }
}
