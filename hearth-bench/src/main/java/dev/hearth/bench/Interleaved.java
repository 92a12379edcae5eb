package dev.hearth.bench;

import dev.hearth.engine.tensor.Activations;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.Matrix;
import dev.hearth.engine.tensor.OffHeap;
import dev.hearth.engine.tensor.WorkerPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;

/**
 * Matvec speed as a fraction of the read bandwidth measured at the same moment: rounds alternate one 1 GiB read
 * pass (as {@link ReadBandwidthBench}) and a pass of matvecs over rotating copies of the matrix (more than 1 GiB
 * of weights), and the median of the per-round ratios is reported. On a shared machine, whose bandwidth moves
 * with the neighbours' load, this ratio is steadier than two separately run benchmarks.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 \
 *      -cp hearth-bench/target/benchmarks.jar dev.hearth.bench.Interleaved [types] [shapes] [layouts] [threads] [rounds]
 * </pre>
 * Defaults: {@code F16,Q8_0,Q4_0,Q4_K,Q6_K 2048x8192,8192x2048 GGUF,REPACKED 1,2 9}.
 */
public final class Interleaved {
    private Interleaved() {}

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        String[] types = (args.length > 0 ? args[0] : "F16,Q8_0,Q4_0,Q4_K,Q6_K").split(",");
        String[] shapes = (args.length > 1 ? args[1] : "2048x8192,8192x2048").split(",");
        String[] layouts = (args.length > 2 ? args[2] : "GGUF,REPACKED").split(",");
        String[] threadCounts = (args.length > 3 ? args[3] : "1,2").split(",");
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 9;

        try (Arena bwArena = Arena.ofShared()) {
            MemorySegment buffer = OffHeap.allocate(ReadBandwidthBench.BYTES, bwArena);
            buffer.fill((byte) 1);
            long[] sink = new long[64];
            System.out.println("| matvec | shape | layout | threads | read GB/s | matvec GB/s | % of read (median of rounds) | range |");
            System.out.println("|---|---|---|---:|---:|---:|---:|---:|");
            for (String t : threadCounts) {
                try (WorkerPool pool = new WorkerPool(Integer.parseInt(t))) {
                    for (String shape : shapes) {
                        for (String type : types) {
                            for (String layout : layouts) {
                                run(GgmlType.valueOf(type), shape, layout, pool, buffer, sink, rounds);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void run(GgmlType type, String shape, String layout, WorkerPool pool, MemorySegment buffer, long[] sink, int rounds) {
        int[] rc = BenchData.shape(shape);
        try (Arena arena = Arena.ofShared()) {
            Matrix[] ms = BenchData.matrices(type, rc[0], rc[1], layout.equals("REPACKED"), true, arena);
            Activations x = new Activations(rc[1]).set(BenchData.input(rc[1], 1));
            float[] y = new float[rc[0]];
            long bytes = ms[0].byteSize() * ms.length;
            for (int i = 0; i < 3; i++) { // warm-up: compile both loops
                read(pool, buffer, sink);
                for (int k = 0; k < 20 * ms.length; k++) ms[k % ms.length].multiply(x, y, pool);
            }
            double[] bw = new double[rounds], mv = new double[rounds], ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                read(pool, buffer, sink);
                long t1 = System.nanoTime();
                for (Matrix m : ms) m.multiply(x, y, pool);
                long t2 = System.nanoTime();
                bw[r] = ReadBandwidthBench.BYTES / (double) (t1 - t0);
                mv[r] = bytes / (double) (t2 - t1);
                ratio[r] = mv[r] / bw[r];
            }
            Arrays.sort(bw);
            Arrays.sort(mv);
            Arrays.sort(ratio);
            System.out.printf("| %-4s | %-9s | %-8s | %d | %5.1f | %5.1f | %3.0f%% | %.0f-%.0f%% |%n", type, shape, layout, pool.threads(),
                    bw[rounds / 2], mv[rounds / 2], 100 * ratio[rounds / 2], 100 * ratio[0], 100 * ratio[rounds - 1]);
        }
    }

    private static void read(WorkerPool pool, MemorySegment buffer, long[] sink) {
        pool.forEachRange((int) (ReadBandwidthBench.BYTES / ReadBandwidthBench.CHUNK), 1, buffer, sink, null, (seg, out, unused, from, to) -> {
            long s = 0;
            for (int c = from; c < to; c++) s += ReadBandwidthBench.sum(seg.asSlice((long) c * ReadBandwidthBench.CHUNK, ReadBandwidthBench.CHUNK));
            out[from % 64] += s;
        });
    }
}
