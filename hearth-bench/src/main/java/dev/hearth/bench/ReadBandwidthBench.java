package dev.hearth.bench;

import dev.hearth.engine.tensor.OffHeap;
import dev.hearth.engine.tensor.WorkerPool;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The machine's read bandwidth as plain Java sees it: a Vector API sum over 1 GiB off-heap, split over the threads
 * in contiguous ranges. "huge" is memory as the repacked layout gets it (madvise(MADV_HUGEPAGE)); "small" is
 * ordinary 4 KiB pages, as a file mapping has. Score = passes per second; GB/s = score x 2^30.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class ReadBandwidthBench {
    static final long BYTES = 1L << 30;
    static final int CHUNK = 1 << 20;
    static final VectorSpecies<Long> L512 = LongVector.SPECIES_512;

    @Param({"1", "2"})
    public int threads;
    @Param({"huge", "small"})
    public String pages;

    private Arena arena;
    private MemorySegment data;
    private WorkerPool pool;
    private final long[] sums = new long[64];

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        data = pages.equals("huge") ? OffHeap.allocate(BYTES, arena) : arena.allocate(BYTES, 4096);
        data.fill((byte) 1);
        pool = new WorkerPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public long read() {
        pool.forEachRange((int) (BYTES / CHUNK), 1, data, sums, null, (seg, out, unused, from, to) -> {
            long s = 0;
            for (int c = from; c < to; c++) s += sum(seg.asSlice((long) c * CHUNK, CHUNK));
            out[from % 64] = s;
        });
        return sums[0];
    }

    static long sum(MemorySegment s) {
        LongVector a0 = LongVector.zero(L512), a1 = LongVector.zero(L512), a2 = LongVector.zero(L512), a3 = LongVector.zero(L512);
        for (int o = 0; o < CHUNK; o += 256) {
            a0 = a0.add(LongVector.fromMemorySegment(L512, s, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(LongVector.fromMemorySegment(L512, s, o + 64, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(LongVector.fromMemorySegment(L512, s, o + 128, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(LongVector.fromMemorySegment(L512, s, o + 192, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
