package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.WorkerPool;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Speed of the model's bit-exact {@link Matrix} (not JMH: it lives in the engine's package to reach the
 * package-private class). Rounds alternate a read pass over 1 GiB (the machine's read bandwidth at that moment) and
 * one multiply of each of several copies of the matrix (over 512 MiB in all, so weights stream from DRAM), for three
 * kernels: {@code before} (the scalar single-threaded code this replaced, kept here verbatim), {@code scalar} (the
 * {@link GgmlDots} reference path, now threaded) and {@code vector} (what {@link Matrix#multiply} runs). Prints the
 * best round's GB/s of weights and the ratio to the read bandwidth of that round. Threads: {@code -Dhearth.threads}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Dhearth.threads=1 -cp hearth-bench/target/benchmarks.jar \
 *      dev.hearth.engine.model.ModelMatrixBench [types] [shapes] [batches] [kernels] [rounds]
 * </pre>
 */
public final class ModelMatrixBench {
    private static final long READ_BYTES = 1L << 30, ROTATION = 512L << 20;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ModelMatrixBench() {}

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        String[] types = (args.length > 0 ? args[0] : "Q8_0,Q4_K,Q6_K,Q4_0").split(",");
        String[] shapes = (args.length > 1 ? args[1] : "896x4864,2048x8192").split(",");
        String[] batches = (args.length > 2 ? args[2] : "1,32").split(",");
        String[] kernels = (args.length > 3 ? args[3] : "before,vector").split(",");
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        WorkerPool pool = WorkerPool.shared();
        System.out.println("threads " + pool.threads());
        System.out.println("| type | shape | batch | kernel | GB/s (best) | read GB/s | % of read | rounds' range GB/s |");
        System.out.println("|---|---|---:|---|---:|---:|---:|---|");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(READ_BYTES, 4096);
            buffer.fill((byte) 1);
            for (int i = 0; i < 3; i++) read(pool, buffer); // warm-up
            for (String shape : shapes) {
                String[] rc = shape.split("x");
                int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
                for (String t : types) {
                    GgmlType type = GgmlType.valueOf(t);
                    try (Arena data = Arena.ofShared()) {
                        Matrix[] ms = matrices(type, rows, cols, data);
                        for (String b : batches) {
                            int batch = Integer.parseInt(b);
                            float[] in = new float[batch * cols];
                            SplittableRandom rnd = new SplittableRandom(7);
                            for (int i = 0; i < in.length; i++) in[i] = (float) rnd.nextGaussian();
                            Activations x = new Activations(cols).set(in, 0, batch);
                            float[] y = new float[batch * rows];
                            for (String k : kernels) run(type, shape, batch, k, ms, x, y, buffer, pool, rounds);
                        }
                    }
                }
            }
        }
    }

    private static void run(GgmlType type, String shape, int batch, String kernel, Matrix[] ms, Activations x, float[] y,
                            MemorySegment buffer, WorkerPool pool, int rounds) {
        // the slower runs get fewer copies per round (still over the L3 cache)
        int copies = Math.max(2, ms.length / ((kernel.equals("vector") ? 1 : 4) * (batch > 1 ? 8 : 1)));
        long bytes = ms[0].rowBytes * ms[0].rows * copies;
        for (int i = 0; i < 2; i++) pass(kernel, ms, copies, x, y); // warm-up
        double[] mv = new double[rounds], bw = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            read(pool, buffer);
            long t1 = System.nanoTime();
            pass(kernel, ms, copies, x, y);
            long t2 = System.nanoTime();
            bw[r] = READ_BYTES / (double) (t1 - t0);
            mv[r] = bytes / (double) (t2 - t1);
        }
        int best = 0;
        for (int r = 1; r < rounds; r++) if (mv[r] > mv[best]) best = r;
        double[] sorted = mv.clone();
        Arrays.sort(sorted);
        System.out.printf("| %s | %s | %d | %s | %.2f | %.1f | %.0f%% | %.2f-%.2f |%n", type, shape, batch, kernel, mv[best], bw[best],
                100 * mv[best] / bw[best], sorted[0], sorted[rounds - 1]);
    }

    private static void pass(String kernel, Matrix[] ms, int copies, Activations x, float[] y) {
        for (int i = 0; i < copies; i++) {
            switch (kernel) {
                case "before" -> before(ms[i], x, y);
                case "scalar" -> ms[i].multiply(x, y, false);
                default -> ms[i].multiply(x, y, true);
            }
        }
    }

    private static long sink;

    private static void read(WorkerPool pool, MemorySegment buffer) {
        long[] sums = new long[1];
        pool.forEachRange((int) (READ_BYTES >> 20), 1, buffer, sums, null, (seg, out, unused, from, to) -> {
            var s = LongVector.zero(LongVector.SPECIES_512);
            for (long o = (long) from << 20, end = (long) to << 20; o < end; o += 64) {
                s = s.add(LongVector.fromMemorySegment(LongVector.SPECIES_512, seg, o, ByteOrder.LITTLE_ENDIAN));
            }
            long v = s.reduceLanes(VectorOperators.ADD);
            synchronized (out) {
                out[0] += v;
            }
        });
        sink += sums[0];
    }

    /** Copies of a random matrix in GGUF layout, totalling over {@link #ROTATION} bytes. */
    private static Matrix[] matrices(GgmlType type, int rows, int cols, Arena arena) {
        long n = type.byteSize(cols) * rows;
        int copies = (int) Math.max(2, (ROTATION + n - 1) / n);
        MemorySegment src = arena.allocate(n, 4096);
        SplittableRandom rnd = new SplittableRandom(42);
        for (long i = 0; i + 8 <= n; i += 8) src.set(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
        int block = type.typeSize;
        int[] fields = switch (type) {
            case Q8_0, Q4_0 -> new int[]{0};
            case Q4_K -> new int[]{0, 2};
            case Q6_K -> new int[]{208};
            default -> throw new IllegalArgumentException(type.name());
        };
        for (long o = 0; o < n; o += block) {
            for (int f : fields) src.set(HALF, o + f, Float.floatToFloat16((float) (5e-4 + rnd.nextDouble() * 1e-3)));
        }
        Matrix[] ms = new Matrix[copies];
        for (int i = 0; i < copies; i++) {
            MemorySegment d = i == 0 ? src : arena.allocate(n, 4096);
            if (i > 0) MemorySegment.copy(src, 0, d, 0, n);
            ms[i] = Matrix.of(type, d, rows, cols, false);
        }
        return ms;
    }

    /** The multiply this package had before it was threaded and vectorized (scalar, one thread, a copy per row). */
    static void before(Matrix m, Activations x, float[] y) {
        GgmlType vt = m.format.vecDotType();
        MemorySegment q = x.blocks(vt);
        int batch = x.batch();
        int xRowBytes = Math.toIntExact(vt.byteSize(m.cols));
        GgmlDots.Kernel kernel = GgmlDots.kernel(m.type, m.rows, m.tokenEmbedding, batch);
        GgmlDots dots = new GgmlDots(m.type, m.cols);
        byte[] xs = q.asSlice(0, (long) batch * xRowBytes).toArray(ValueLayout.JAVA_BYTE);
        for (int r = 0; r < m.rows; r++) {
            dots.load(m.data.asSlice(r * m.rowBytes, m.rowBytes).toArray(ValueLayout.JAVA_BYTE), 0);
            for (int i = 0; i < batch; i++) y[i * m.rows + r] = dots.dot(kernel, xs, i * xRowBytes);
        }
    }
}
