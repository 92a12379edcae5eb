package dev.hearth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Model;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.tensor.WorkerPool;
import dev.hearth.engine.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Measure prompt processing and generation speed, like llama.cpp's llama-bench.",
                "pp<P>: P tokens evaluated as one prompt (in batches) on an empty KV cache; tg<N>: N tokens "
                        + "evaluated one at a time from an empty KV cache. The tokens are random ids from the "
                        + "vocabulary (speed does not depend on them). Each test runs once to warm up, then R "
                        + "times; the table shows tokens/s as mean ± standard deviation over the R runs.",
                "With --server URL instead of -m: load-test a running OpenAI-compatible server with C concurrent "
                        + "streaming chat completions (R in all) and report aggregate tokens/s, time to first token, "
                        + "inter-token latency and request latency percentiles, and errors by status."})
final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "A GGUF file, a cached model's name (see `hearth list`), or OWNER/REPO:QUANT (pulled first).")
    String modelName;

    @picocli.CommandLine.Mixin
    HubOptions hub;

    @Option(names = "--server", paramLabel = "URL", description = "Load-test this server instead (e.g. http://127.0.0.1:8080).")
    String server;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "1",
            description = "With --server: requests in flight at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--requests", paramLabel = "R", description = "With --server: requests in all (default 4 x C).")
    Integer requests;

    @Option(names = "--prompt-tokens", paramLabel = "P", defaultValue = "128",
            description = "With --server: prompt size in tokens, about (default ${DEFAULT-VALUE}).")
    int serverPromptTokens;

    @Option(names = "--max-tokens", paramLabel = "M", defaultValue = "128",
            description = "With --server: max_tokens of each request (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--api-key", paramLabel = "K", description = "With --server: sent as a bearer token.")
    String apiKey;

    @Option(names = "--server-model", paramLabel = "NAME", description = "With --server: the model field (default: the first of /v1/models).")
    String serverModel;

    @Option(names = "--ignore-eos", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --server: ask for exactly M tokens per request (ignore_eos; default on).")
    boolean ignoreEos;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "With --server: per-request timeout (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "P", defaultValue = "512",
            description = "Prompt tokens of the pp test; 0 skips it (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128",
            description = "Generated tokens of the tg test; 0 skips it (default ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", defaultValue = "3",
            description = "Measured runs of each test (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0",
            description = "Threads for the matrix products (default: one per available processor).")
    int threads;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "F16",
            description = "KV cache element type: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, as llama-bench).")
    KvCache.Type kvType;

    @Option(names = "--json", description = "Print a JSON array with one object per test (llama-bench -o json's fields); with --server, one JSON object.")
    boolean json;


    @Option(names = "--seed", paramLabel = "S", defaultValue = "1234", description = "Seed of the random token ids.")
    long seed;

    /** One test's measured runs. */
    record Result(String name, int prompt, int gen, long[] nanos) {
        int tokens() {
            return prompt + gen;
        }

        double[] tokensPerSecond() {
            double[] ts = new double[nanos.length];
            for (int i = 0; i < ts.length; i++) ts[i] = tokens() * 1e9 / nanos[i];
            return ts;
        }
    }

    @Override
    public Integer call() throws Exception {
        if ((modelName == null) == (server == null)) throw usage("give either -m MODEL or --server URL");
        if (server != null) return loadTest();
        if (promptTokens < 0 || genTokens < 0) throw usage("-p and -n must be >= 0");
        if (promptTokens == 0 && genTokens == 0) throw usage("nothing to measure: -p and -n are both 0");
        if (repetitions < 1) throw usage("-r must be >= 1, got " + repetitions);
        if (threads < 0) throw usage("-t must be >= 0 (0 = one per processor), got " + threads);
        WorkerPool.configureShared(threads);
        int nThreads = WorkerPool.shared().threads();
        PrintWriter out = spec.commandLine().getOut();
        Path model = ModelLocator.locate(modelName, hub, spec.commandLine().getErr());
        try (GgufFile file = GgufFile.open(model)) {
            Model m;
            try {
                m = Model.load(file);
            } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
                throw ModelOptions.cannotLoad(model, e);
            }
            Session session;
            try {
                session = m.newSession(Math.max(promptTokens, genTokens), kvType);
            } catch (IllegalArgumentException e) {
                throw ModelOptions.cannotLoad(model, e); // e.g. a Q8_0 KV cache for a head dimension it cannot split
            }
            int[] tokens = randomTokens(Math.max(promptTokens, genTokens), m.config().vocabularySize());
            List<Result> results = new ArrayList<>();
            if (promptTokens > 0) results.add(measure("pp" + promptTokens, promptTokens, 0, () -> {
                session.rewind(0);
                session.forward(tokens, 0, promptTokens);
            }));
            if (genTokens > 0) results.add(measure("tg" + genTokens, 0, genTokens, () -> {
                session.rewind(0);
                for (int i = 0; i < genTokens; i++) session.forward(tokens[i]);
            }));
            String type = m.config().architecture().name().toLowerCase(Locale.ROOT) + " " + fileType(file);
            out.print(json ? json(file, type, session.maxBatch(), nThreads, results) : table(file, type, nThreads, results));
            out.flush();
        }
        return 0;
    }

    private int loadTest() throws Exception {
        int total = requests != null ? requests : 4 * concurrency;
        if (concurrency < 1 || total < 1) throw usage("--concurrency and --requests must be >= 1");
        if (serverPromptTokens < 1 || maxTokens < 1) throw usage("--prompt-tokens and --max-tokens must be >= 1");
        URI uri;
        try {
            uri = URI.create(server.endsWith("/") ? server : server + "/");
        } catch (IllegalArgumentException e) {
            throw usage("--server: not a URL: " + server);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) throw usage("--server must be an http(s) URL, got " + server);
        var settings = new ServerLoad.Settings(uri, concurrency, total, serverPromptTokens, maxTokens, apiKey, serverModel,
                ignoreEos, Duration.ofSeconds(timeoutSeconds), seed);
        ServerLoad.Report report;
        try (ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();
             HttpClient http = HttpClient.newBuilder().executor(io).connectTimeout(Duration.ofSeconds(10)).build()) {
            report = new ServerLoad(settings, http).run();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? ServerLoad.json(report) : ServerLoad.text(report));
        out.flush();
        return report.succeeded() > 0 ? 0 : 1; // failures are part of the measurement; none succeeding is not
    }

    private Result measure(String name, int prompt, int gen, Runnable test) {
        test.run(); // warm-up: JIT compilation, first touch of the mapped weights
        long[] nanos = new long[repetitions];
        for (int r = 0; r < repetitions; r++) {
            long t0 = System.nanoTime();
            test.run();
            nanos[r] = System.nanoTime() - t0;
        }
        return new Result(name, prompt, gen, nanos);
    }

    private int[] randomTokens(int n, int vocab) {
        Random random = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = random.nextInt(vocab);
        return ids;
    }

    /** llama.cpp's name of {@code general.file_type} (llama_model_ftype_name), so rows read like llama-bench's. */
    static String fileType(GgufFile f) {
        String name = f.has("general.file_type") ? switch (f.getInt("general.file_type")) {
            case 0 -> "all F32";
            case 1 -> "F16";
            case 2 -> "Q4_0";
            case 3 -> "Q4_1";
            case 7 -> "Q8_0";
            case 8 -> "Q5_0";
            case 9 -> "Q5_1";
            case 10 -> "Q2_K - Medium";
            case 11 -> "Q3_K - Small";
            case 12 -> "Q3_K - Medium";
            case 13 -> "Q3_K - Large";
            case 14 -> "Q4_K - Small";
            case 15 -> "Q4_K - Medium";
            case 16 -> "Q5_K - Small";
            case 17 -> "Q5_K - Medium";
            case 18 -> "Q6_K";
            case 25 -> "IQ4_NL - 4.5 bpw";
            case 30 -> "IQ4_XS - 4.25 bpw";
            case 32 -> "BF16";
            case 36 -> "TQ1_0 - 1.69 bpw ternary";
            case 37 -> "TQ2_0 - 2.06 bpw ternary";
            default -> null;
        } : null;
        return name != null ? name : mainType(f);
    }

    /** Without a known file type: the type holding most of the weight bytes. */
    static String mainType(GgufFile f) {
        Map<GgmlType, Long> bytes = new EnumMap<>(GgmlType.class);
        for (GgufTensor t : f.tensors().values()) {
            if (t.shape().length >= 2) bytes.merge(t.type(), t.byteSize(), Long::sum);
        }
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name()).orElse("?");
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** The sample standard deviation, as llama-bench (0 for one run). */
    static double stddev(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }

    private static String table(GgufFile f, String type, int threads, List<Result> results) {
        StringBuilder sb = new StringBuilder();
        String row = "| %-30s | %10s | %10s | %7s | %13s | %20s |\n";
        sb.append(String.format(Locale.ROOT, row, "model", "size", "params", "threads", "test", "t/s"));
        sb.append("| ------------------------------ | ---------: | ---------: | ------: | ------------: | -------------------: |\n");
        for (Result r : results) {
            double[] ts = r.tokensPerSecond();
            sb.append(String.format(Locale.ROOT, row, type, Human.bytes(f.tensorBytes()), Human.count(f.parameterCount()),
                    threads, r.name(), String.format(Locale.ROOT, "%.2f ± %.2f", mean(ts), stddev(ts))));
        }
        return sb.toString();
    }

    private String json(GgufFile f, String type, int batch, int threads, List<Result> results) throws Exception {
        ArrayNode array = JSON.createArrayNode();
        for (Result r : results) {
            double[] ts = r.tokensPerSecond();
            double[] ns = new double[r.nanos().length];
            for (int i = 0; i < ns.length; i++) ns[i] = r.nanos()[i];
            ObjectNode o = array.addObject();
            o.put("model_filename", f.path().toString());
            o.put("model_type", type);
            o.put("model_size", f.tensorBytes());
            o.put("model_n_params", f.parameterCount());
            o.put("n_batch", batch);
            o.put("n_threads", threads);
            o.put("type_k", kvType.name().toLowerCase(Locale.ROOT));
            o.put("type_v", kvType.name().toLowerCase(Locale.ROOT));
            o.put("n_prompt", r.prompt());
            o.put("n_gen", r.gen());
            o.put("test", r.name());
            o.put("avg_ns", Math.round(mean(ns)));
            o.put("stddev_ns", Math.round(stddev(ns)));
            o.put("avg_ts", mean(ts));
            o.put("stddev_ts", stddev(ts));
            ArrayNode samplesNs = o.putArray("samples_ns"), samplesTs = o.putArray("samples_ts");
            for (long n : r.nanos()) samplesNs.add(n);
            for (double t : ts) samplesTs.add(t);
        }
        return JSON.writeValueAsString(array) + "\n";
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
