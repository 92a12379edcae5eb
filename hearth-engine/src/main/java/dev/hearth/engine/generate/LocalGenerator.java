package dev.hearth.engine.generate;

import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.grammar.TokenTrie;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Model;
import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A {@link Generator} over one model file: requests wait in a bounded first-come-first-served queue, and one engine
 * thread runs up to {@code parallel} of them at once in shared forward passes ({@link Scheduler}: continuous
 * batching, chunked prompts, prompt caching across slots).
 */
public final class LocalGenerator implements Generator {
    /** Context length when neither the caller nor a small model sets one: memory for the KV cache is allocated up front. */
    public static final int DEFAULT_CONTEXT = 4096;

    /** Prompt tokens evaluated per sequence and step when not set. */
    public static final int DEFAULT_CHUNK = 256;

    /**
     * @param contextLength positions a sequence may use; 0 = the model's trained length, capped at {@link #DEFAULT_CONTEXT}
     * @param maxQueue      requests that may wait while others run; more are refused with {@link OverloadedException}
     * @param parallel      sequences run at once (each with a KV cache of {@code contextLength}); 0 = chosen from
     *                      the memory available, at most 4
     * @param chunk         prompt tokens a sequence evaluates per step; 0 = {@link #DEFAULT_CHUNK}
     * @param kvBudget      KV cache cells (tokens) all sequences together may hold; 0 = {@code parallel} whole
     *                      contexts. Cached prefixes of finished requests are dropped (least recently used first)
     *                      to make room; a request that still does not fit gets an error
     */
    public record Options(int contextLength, KvCache.Type kvType, int maxQueue, int parallel, int chunk, int kvBudget) {
        public Options(int contextLength, KvCache.Type kvType, int maxQueue) {
            this(contextLength, kvType, maxQueue, 0, 0, 0);
        }

        public static Options defaults() {
            return new Options(0, KvCache.Type.F16, 64);
        }
    }

    private final GgufFile file;
    private final Model model;
    private final Tokenizer tokenizer;
    private final PromptEncoder prompts;
    private final ModelInfo info;
    private final Scheduler scheduler;
    private final BlockingQueue<Job> queue;
    private final Thread worker;
    private volatile boolean closed;
    private TokenTrie pieces; // built on the first request with a grammar

    private LocalGenerator(GgufFile file, Options options) {
        this.file = file;
        // the vocabulary is read while the weights are repacked: both take a while on a large model
        CompletableFuture<Tokenizer> vocabulary = CompletableFuture.supplyAsync(() -> Tokenizer.fromGguf(file),
                body -> Thread.ofPlatform().daemon().name("hearth-tokenizer").start(body));
        this.model = Model.load(file);
        this.tokenizer = joined(vocabulary);
        this.prompts = PromptEncoder.forModel(file, tokenizer);
        int trained = model.config().contextLength();
        int ctx = options.contextLength() > 0 ? options.contextLength() : Math.min(trained, DEFAULT_CONTEXT);
        int parallel = options.parallel() > 0 ? options.parallel() : defaultParallel(model, ctx, options.kvType());
        int chunk = options.chunk() > 0 ? options.chunk() : DEFAULT_CHUNK;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, options.maxQueue()));
        int budget = options.kvBudget() > 0 ? options.kvBudget() : Integer.MAX_VALUE;
        this.scheduler = new Scheduler(model, tokenizer, queue, parallel, ctx, options.kvType(), chunk, budget);
        this.info = new ModelInfo(stem(file.path()), file.path().toString(), model.config().architecture().name(),
                file.parameterCount(), file.fileSize(), scheduler.contextLength(), trained, tokenizer.vocabSize(),
                prompts.template().source(), scalarMetadata(file));
        this.worker = Thread.ofPlatform().name("hearth-engine").daemon().start(scheduler::loop);
    }

    private static <T> T joined(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw e;
        }
    }

    /** Opens, validates and loads a model file (an mmap: weights are read as they are first used). */
    public static LocalGenerator open(Path path, Options options) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            return new LocalGenerator(file, options);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public Generation submit(GenerationRequest request, GenerationListener listener) {
        if (closed) throw new IllegalStateException("the model has been unloaded");
        int[] ids = prompts.encode(request.prompt());
        if (ids.length == 0) throw new IllegalArgumentException("the prompt is empty");
        for (int id : ids) {
            if (id < 0 || id >= tokenizer.vocabSize()) {
                throw new IllegalArgumentException("prompt token id " + id + " is outside the vocabulary (0.." + (tokenizer.vocabSize() - 1) + ")");
            }
        }
        int ctx = Math.min(scheduler.contextLength(), scheduler.kvBudget());
        if (ids.length >= ctx) {
            throw new ContextOverflowException(ids.length, ctx);
        }
        // Built here so that bad sampling parameters (e.g. a logit_bias id outside the vocabulary) fail the request now.
        TokenTrie vocabulary = request.sampling().grammar() == null ? null : pieces();
        Sampler sampler = new Sampler(request.sampling(), tokenizer.vocabSize(), ctx, tokenizer::isEog, vocabulary);
        Job job = new Job(request, ids, sampler, listener);
        if (!queue.offer(job)) {
            throw new OverloadedException("the server is busy: " + scheduler.active() + " requests are running and "
                    + queue.size() + " are waiting; retry shortly", 1);
        }
        return job;
    }

    /** The token pieces as the decoder emits them (control tokens emit nothing), built once. */
    private synchronized TokenTrie pieces() {
        if (pieces == null) pieces = TokenTrie.of(tokenizer.vocabSize(), id -> tokenizer.piece(id, false), tokenizer::isEog);
        return pieces;
    }

    @Override
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        return tokenizer.encode(text, addSpecial, parseSpecial);
    }

    @Override
    public String detokenize(int[] ids) {
        return tokenizer.decode(ids);
    }

    @Override
    public String renderChat(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                             Map<String, Object> extraVariables) {
        return prompts.render(messages, tools, addGenerationPrompt, extraVariables);
    }

    @Override
    public EngineStats stats() {
        long steps = scheduler.steps();
        long cells = Math.min((long) scheduler.slotCount() * scheduler.contextLength(), scheduler.kvBudget());
        return new EngineStats(queue.size(), scheduler.active(), scheduler.kvHeld(), cells, steps,
                steps == 0 ? 0 : (double) scheduler.sequenceSteps() / steps);
    }

    /** Requests waiting to start. */
    public int queued() {
        return queue.size();
    }

    /** Requests being processed. */
    public int active() {
        return scheduler.active();
    }

    /** Forward passes run so far: each advances every running request by a token or a prompt chunk. */
    public long steps() {
        return scheduler.steps();
    }

    /** Sequences that can run at once. */
    public int parallel() {
        return scheduler.slotCount();
    }

    /**
     * As many sequences as a quarter of the free heap holds KV caches for (their arrays live on the heap), between
     * 1 and 4 (llama.cpp's server default).
     */
    private static int defaultParallel(Model model, int ctx, KvCache.Type type) {
        var c = model.config();
        long perToken = c.layerCount() * type.bytes((long) c.headCountKv() * (c.keyLength() + c.valueLength()));
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long fits = free / 4 / Math.max(1, perToken * ctx);
        return (int) Math.max(1, Math.min(4, fits));
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job j; (j = queue.poll()) != null; ) j.fail(new IllegalStateException("the model was unloaded"));
        file.close();
    }

    private static String stem(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    private static Map<String, Object> scalarMetadata(GgufFile f) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
            if (e.getValue() instanceof GgufArray) continue;
            if (e.getKey().equals(PromptEncoder.TEMPLATE_KEY)) continue;
            m.put(e.getKey(), e.getValue());
        }
        return Map.copyOf(m);
    }
}
