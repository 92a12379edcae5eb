package dev.hearth.server;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.EngineStats;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@code GET /metrics}, in Prometheus' text format: llama.cpp's {@code llamacpp:} names (that
 * existing dashboards read) plus histograms of time to first token, time per output token and queue time.
 */
public final class Metrics {
    private final LongAdder promptTokens = new LongAdder();
    private final DoubleAdder promptSeconds = new DoubleAdder();
    private final LongAdder predictedTokens = new LongAdder();
    private final DoubleAdder predictedSeconds = new DoubleAdder();
    private final AtomicLong processing = new AtomicLong();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder cancellations = new LongAdder();
    private final Histogram ttft = new Histogram(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);
    private final Histogram tpot = new Histogram(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5);
    private final Histogram queue = new Histogram(0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60);
    private volatile double lastPromptRate, lastPredictedRate;

    void started(int generations) {
        requests.add(generations);
        processing.addAndGet(generations);
    }

    void firstToken(double seconds) {
        ttft.observe(seconds);
    }

    void finished(Completion c) {
        processing.decrementAndGet();
        promptTokens.add(c.promptTokens() - c.cachedPromptTokens());
        promptSeconds.add(c.promptNanos() / 1e9);
        predictedTokens.add(c.generatedTokens());
        predictedSeconds.add(c.generationNanos() / 1e9);
        queue.observe(c.queueNanos() / 1e9);
        if (c.generatedTokens() > 0 && c.generationNanos() > 0) {
            tpot.observe(c.generationNanos() / 1e9 / c.generatedTokens());
            lastPredictedRate = c.generatedTokens() / (c.generationNanos() / 1e9);
        }
        int processed = c.promptTokens() - c.cachedPromptTokens();
        if (processed > 0 && c.promptNanos() > 0) lastPromptRate = processed / (c.promptNanos() / 1e9);
    }

    void failed() {
        processing.decrementAndGet();
        failures.increment();
    }

    void cancelled() {
        cancellations.increment();
    }

    /** Generations a request abandoned without seeing their end (the engine finishes them on its side). */
    void ended(int stillOpen) {
        if (stillOpen > 0) processing.addAndGet(-stillOpen);
    }

    public long requestsProcessing() {
        return processing.get();
    }

    /** The text of {@code GET /metrics}; {@code engine} gives the queue, cache and forward-pass figures. */
    public String prometheusText(EngineStats engine) {
        StringBuilder b = new StringBuilder();
        counter(b, "llamacpp:prompt_tokens_total", "Number of prompt tokens processed.", promptTokens.sum());
        counter(b, "llamacpp:prompt_seconds_total", "Prompt process time in seconds.", promptSeconds.sum());
        counter(b, "llamacpp:tokens_predicted_total", "Number of generation tokens processed.", predictedTokens.sum());
        counter(b, "llamacpp:tokens_predicted_seconds_total", "Predict process time in seconds.", predictedSeconds.sum());
        gauge(b, "llamacpp:prompt_tokens_seconds", "Average prompt throughput in tokens/s (last request).", lastPromptRate);
        gauge(b, "llamacpp:predicted_tokens_seconds", "Average generation throughput in tokens/s (last request).", lastPredictedRate);
        counter(b, "llamacpp:n_decode_total", "Total number of forward passes (llama_decode calls).", engine.decodes());
        counter(b, "llamacpp:n_busy_slots_per_decode", "Average number of sequences per forward pass.", engine.busySlotsPerDecode());
        gauge(b, "llamacpp:kv_cache_usage_ratio", "KV-cache usage. 1 means 100 percent usage.", engine.kvCacheUsage());
        gauge(b, "llamacpp:kv_cache_tokens", "KV-cache tokens.", engine.kvCacheTokens());
        // in flight = waiting in the engine's queue (deferred) + being processed
        gauge(b, "llamacpp:requests_processing", "Number of generations being processed.", Math.max(0, processing.get() - engine.waiting()));
        gauge(b, "llamacpp:requests_deferred", "Number of generations waiting in the queue.", engine.waiting());
        counter(b, "hearth_requests_total", "Generations submitted.", requests.sum());
        counter(b, "hearth_request_failures_total", "Generations that ended in an engine error.", failures.sum());
        counter(b, "hearth_request_cancellations_total", "Streams whose client went away (their generations were cancelled).", cancellations.sum());
        ttft.write(b, "hearth_time_to_first_token_seconds", "Time from submission to the first token.");
        tpot.write(b, "hearth_time_per_output_token_seconds", "Generation time per output token.");
        queue.write(b, "hearth_queue_time_seconds", "Time a request waited before its prompt was processed.");
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, double v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
        b.append(name).append(' ').append(num(v)).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, double v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(name).append(' ').append(num(v)).append('\n');
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%s", v);
    }

    /** A cumulative-bucket histogram, as Prometheus wants it. */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Histogram(double... bounds) {
            this.bounds = bounds;
            this.counts = new LongAdder[bounds.length];
            for (int i = 0; i < bounds.length; i++) counts[i] = new LongAdder();
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) if (v <= bounds[i]) counts[i].increment();
            sum.add(v);
            count.increment();
        }

        void write(StringBuilder b, String name, String help) {
            b.append("# HELP ").append(name).append(' ').append(help).append('\n');
            b.append("# TYPE ").append(name).append(" histogram\n");
            for (int i = 0; i < bounds.length; i++) {
                b.append(name).append("_bucket{le=\"").append(num(bounds[i])).append("\"} ").append(counts[i].sum()).append('\n');
            }
            b.append(name).append("_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
            b.append(name).append("_sum ").append(num(sum.sum())).append('\n');
            b.append(name).append("_count ").append(count.sum()).append('\n');
        }
    }
}
