package dev.hearth.bench;

import dev.hearth.engine.tensor.GgmlType;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs the benchmarks through JMH and prints one compact table: read bandwidth (GB/s), matvec (GB/s of weights
 * streamed and % of the read bandwidth at the same thread count), matmul (GFLOP/s).
 *
 * <pre>
 * java -cp hearth-bench/target/benchmarks.jar dev.hearth.bench.Table [bandwidth] [matvec] [matmul]
 *      [-p name=v1,v2]... [-wi 2] [-i 3] [-r 0.6]
 * </pre>
 * With no group named, all three run. {@code -p} narrows a parameter (e.g. {@code -p type=Q8_0,Q4_0}); {@code -wi},
 * {@code -i} and {@code -r} set warm-up iterations, measured iterations and seconds per iteration.
 */
public final class Table {
    private Table() {}

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        List<String> groups = new ArrayList<>();
        Map<String, String[]> params = new LinkedHashMap<>();
        int warmups = 2, iterations = 3;
        double seconds = 0.6;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-p" -> {
                    String[] kv = args[++i].split("=", 2);
                    params.put(kv[0], kv[1].split(","));
                }
                case "-wi" -> warmups = Integer.parseInt(args[++i]);
                case "-i" -> iterations = Integer.parseInt(args[++i]);
                case "-r" -> seconds = Double.parseDouble(args[++i]);
                case "bandwidth", "matvec", "matmul" -> groups.add(args[i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (groups.isEmpty()) groups = List.of("bandwidth", "matvec", "matmul");
        ChainedOptionsBuilder opts = new OptionsBuilder()
                .warmupIterations(warmups).measurementIterations(iterations)
                .warmupTime(TimeValue.milliseconds((long) (seconds * 1000))).measurementTime(TimeValue.milliseconds((long) (seconds * 1000)))
                .shouldFailOnError(true);
        for (String g : groups) {
            opts.include(switch (g) {
                case "bandwidth" -> ReadBandwidthBench.class.getName();
                case "matvec" -> MatVecBench.class.getName();
                default -> MatMulBench.class.getName();
            });
        }
        params.forEach(opts::param);
        Collection<RunResult> results = new Runner(opts.build()).run();
        print(results);
    }

    static void print(Collection<RunResult> results) {
        Map<Integer, Double> bandwidth = new TreeMap<>();
        List<String> bw = new ArrayList<>(), mv = new ArrayList<>(), mm = new ArrayList<>();
        for (RunResult r : results) {
            var p = r.getParams();
            double score = r.getPrimaryResult().getScore(); // ops/s
            String bench = p.getBenchmark();
            if (bench.endsWith("ReadBandwidthBench.read")) {
                int t = Integer.parseInt(p.getParam("threads"));
                double gbs = score * ReadBandwidthBench.BYTES / 1e9;
                bandwidth.merge(t, gbs, Math::max);
                bw.add(String.format("| read 1 GiB | %-5s | %d | %6.1f |", p.getParam("pages"), t, gbs));
            }
        }
        for (RunResult r : results) {
            var p = r.getParams();
            double score = r.getPrimaryResult().getScore();
            String bench = p.getBenchmark();
            if (bench.endsWith("MatVecBench.matvec")) {
                int[] rc = BenchData.shape(p.getParam("shape"));
                int t = Integer.parseInt(p.getParam("threads"));
                double gbs = score * GgmlType.valueOf(p.getParam("type")).byteSize(rc[1]) * rc[0] / 1e9;
                Double ref = bandwidth.get(t);
                mv.add(String.format("| %-4s | %-9s | %-8s | %-6s | %d | %6.1f | %5s | %8.1f |", p.getParam("type"), p.getParam("shape"),
                        p.getParam("layout"), p.getParam("data"), t, gbs, ref == null ? "" : String.format("%.0f%%", 100 * gbs / ref),
                        1e6 / score));
            } else if (bench.endsWith("MatMulBench.matmul")) {
                int[] rc = BenchData.shape(p.getParam("shape"));
                int batch = Integer.parseInt(p.getParam("batch"));
                double gflops = score * 2.0 * rc[0] * rc[1] * batch / 1e9;
                mm.add(String.format("| %-4s | %-9s | %-8s | %3d | %s | %7.1f | %8.2f |", p.getParam("type"), p.getParam("shape"),
                        p.getParam("layout"), batch, p.getParam("threads"), gflops, 1e3 / score));
            }
        }
        System.out.println();
        if (!bw.isEmpty()) {
            System.out.println("| read bandwidth | pages | threads | GB/s |");
            System.out.println("|---|---|---:|---:|");
            bw.forEach(System.out::println);
            System.out.println();
        }
        if (!mv.isEmpty()) {
            System.out.println("| matvec | shape | layout | data | threads | GB/s | % of read bw | us/op |");
            System.out.println("|---|---|---|---|---:|---:|---:|---:|");
            mv.forEach(System.out::println);
            System.out.println();
        }
        if (!mm.isEmpty()) {
            System.out.println("| matmul | shape | layout | batch | threads | GFLOP/s | ms/op |");
            System.out.println("|---|---|---|---:|---:|---:|---:|");
            mm.forEach(System.out::println);
        }
    }
}
