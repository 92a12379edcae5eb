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
 * Matrix-matrix product (prefill): {@code batch} input rows against one matrix. Score = products per second;
 * GFLOP/s = score x 2 x rows x cols x batch / 1e9. The input is quantized once per set, as in the engine, and
 * that cost is included: each invocation sets the same input again.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class MatMulBench {
    @Param({"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;
    @Param({"2048x8192", "8192x2048"})
    public String shape;
    @Param({"GGUF", "REPACKED"})
    public String layout;
    @Param({"8", "64"})
    public int batch;
    @Param({"2"})
    public int threads;

    private Arena arena;
    private Matrix matrix;
    private Activations x;
    private float[] input, y;
    private WorkerPool pool;

    @Setup(Level.Trial)
    public void setUp() {
        int[] rc = BenchData.shape(shape);
        arena = Arena.ofShared();
        matrix = BenchData.matrices(GgmlType.valueOf(type), rc[0], rc[1], layout.equals("REPACKED"), false, arena)[0];
        input = BenchData.input(rc[1] * batch, 1);
        x = new Activations(rc[1]);
        y = new float[rc[0] * batch];
        pool = new WorkerPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public void matmul() {
        matrix.multiply(x.set(input, 0, batch), y, pool);
    }
}
