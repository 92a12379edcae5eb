package dev.hearth.bench;

import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Synthetic weights in GGUF layout, realistic where it matters for speed (fp16 values, block scales). */
final class BenchData {
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Total size of the copies a "cold" benchmark rotates over: more than any cache, so weights stream from DRAM. */
    static final long ROTATION_BYTES = Long.getLong("hearth.bench.rotationBytes", 1L << 30);

    private BenchData() {}

    static int[] shape(String s) {
        String[] p = s.split("x");
        return new int[]{Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    /**
     * A rows x cols matrix of {@code type}: fp16 weights normal with sigma 0.02 (so about 0.2% are fp16
     * subnormals, as in real models), quantized types with random quants and scales around 1e-3.
     */
    static MemorySegment ggufMatrix(GgmlType type, int rows, int cols, Arena arena, long seed) {
        long n = type.byteSize(cols) * rows;
        MemorySegment s = arena.allocate(n, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i + 8 <= n; i += 8) s.set(LONG, i, rnd.nextLong());
        switch (type) {
            case F16 -> {
                for (long i = 0; i < n; i += 2) s.set(HALF, i, Float.floatToFloat16((float) (rnd.nextGaussian() * 0.02)));
            }
            case BF16 -> {
                for (long i = 0; i < n; i += 2) s.set(HALF, i, (short) (Float.floatToRawIntBits((float) (rnd.nextGaussian() * 0.02)) >>> 16));
            }
            case F32 -> {
                for (long i = 0; i < n; i += 4) s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (rnd.nextGaussian() * 0.02));
            }
            case Q8_0 -> scales(s, n, 34, 0, 1, rnd);
            case Q4_0 -> scales(s, n, 18, 0, 1, rnd);
            case Q4_K -> scales(s, n, 144, 0, 2, rnd);
            case Q6_K -> scales(s, n, 210, 208, 1, rnd);
            default -> throw new IllegalArgumentException("no generator for " + type);
        }
        return s;
    }

    private static void scales(MemorySegment s, long n, int block, int at, int count, SplittableRandom rnd) {
        for (long o = 0; o < n; o += block) {
            for (int k = 0; k < count; k++) s.set(HALF, o + at + 2L * k, Float.floatToFloat16((float) (5e-4 + rnd.nextDouble() * 1e-3)));
        }
    }

    /** One matrix, or enough copies of it (in distinct memory) to exceed {@link #ROTATION_BYTES}. */
    static Matrix[] matrices(GgmlType type, int rows, int cols, boolean repacked, boolean rotate, Arena arena) {
        MemorySegment src = ggufMatrix(type, rows, cols, arena, 42);
        long bytes = src.byteSize();
        int copies = rotate ? (int) Math.max(2, (ROTATION_BYTES + bytes - 1) / bytes) : 1;
        Matrix[] ms = new Matrix[copies];
        for (int i = 0; i < copies; i++) {
            MemorySegment data = src;
            if (i > 0 && !repacked) {
                data = arena.allocate(bytes, 64);
                MemorySegment.copy(src, 0, data, 0, bytes);
            }
            Matrix m = Matrix.of(type, data, rows, cols);
            ms[i] = repacked ? m.repack(arena) : m;
            if (repacked && ms[i].layout() != Matrix.Layout.REPACKED) throw new IllegalStateException(type + " did not repack");
        }
        return ms;
    }

    static float[] input(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
