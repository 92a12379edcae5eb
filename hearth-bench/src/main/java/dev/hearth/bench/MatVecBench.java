package dev.hearth.bench;

import dev.hearth.engine.tensor.Activations;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.Matrix;
import dev.hearth.engine.tensor.WorkerPool;
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

/**
 * Matrix-vector product (decoding): one input row. Score = products per second; GB/s = score x the matrix's
 * GGUF size. "rotate" cycles over copies of the matrix totalling more than 1 GiB, so the weights come from DRAM
 * as in decoding; "single" reuses one matrix (as llama.cpp's test-backend-ops measures; may be cache-resident).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class MatVecBench {
    @Param({"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;
    @Param({"2048x8192", "8192x2048"})
    public String shape;
    @Param({"GGUF", "REPACKED"})
    public String layout;
    @Param({"1", "2"})
    public int threads;
    @Param({"rotate", "single"})
    public String data;

    private Arena arena;
    private Matrix[] matrices;
    private Activations x;
    private float[] y;
    private WorkerPool pool;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        int[] rc = BenchData.shape(shape);
        arena = Arena.ofShared();
        matrices = BenchData.matrices(GgmlType.valueOf(type), rc[0], rc[1], layout.equals("REPACKED"), data.equals("rotate"), arena);
        x = new Activations(rc[1]).set(BenchData.input(rc[1], 1));
        y = new float[rc[0]];
        pool = new WorkerPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public void matvec() {
        Matrix m = matrices[next];
        next = next + 1 == matrices.length ? 0 : next + 1;
        m.multiply(x, y, pool);
    }
}
