package dev.hearth.engine.generate;

import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.grammar.TokenTrie;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Model;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.engine.sampling.StopStrings;
import dev.hearth.engine.sampling.TokenLogprobs;
import dev.hearth.engine.tokenizer.StreamDecoder;
import dev.hearth.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A {@link Generator} over one model file: one engine thread takes requests first come, first served, and runs
 * each to the end on one {@link Session}. Consecutive requests reuse the KV entries of their longest common
 * token prefix (a chat's earlier turns, a shared system prompt). Batching several sequences into one forward
 * pass is the scheduler's job (a later step); this is the single-sequence engine it will build on.
 */
public final class LocalGenerator implements Generator {
    /** Context length when neither the caller nor a small model sets one: memory for the KV cache is allocated up front. */
    public static final int DEFAULT_CONTEXT = 4096;

    /**
     * @param contextLength positions a sequence may use; 0 = the model's trained length, capped at {@link #DEFAULT_CONTEXT}
     * @param maxQueue      requests that may wait while one runs; more are refused with {@link OverloadedException}
     */
    public record Options(int contextLength, KvCache.Type kvType, int maxQueue) {
        public static Options defaults() {
            return new Options(0, KvCache.Type.F16, 64);
        }
    }

    private final GgufFile file;
    private final Model model;
    private final Tokenizer tokenizer;
    private final PromptEncoder prompts;
    private final ModelInfo info;
    private final Session session;
    private final BlockingQueue<Job> queue;
    private final Thread worker;
    private volatile boolean closed;
    private TokenTrie pieces; // built on the first request with a grammar
    // The tokens whose keys and values the session holds (engine thread only).
    private final int[] cached;
    private int cachedLength;

    private LocalGenerator(GgufFile file, Options options) {
        this.file = file;
        this.model = Model.load(file);
        this.tokenizer = Tokenizer.fromGguf(file);
        this.prompts = PromptEncoder.forModel(file, tokenizer);
        int trained = model.config().contextLength();
        int ctx = options.contextLength() > 0 ? options.contextLength() : Math.min(trained, DEFAULT_CONTEXT);
        this.session = model.newSession(ctx, options.kvType());
        this.cached = new int[session.contextLength()];
        this.info = new ModelInfo(stem(file.path()), file.path().toString(), model.config().architecture().name(),
                file.parameterCount(), file.fileSize(), session.contextLength(), trained, tokenizer.vocabSize(),
                prompts.template().source(), scalarMetadata(file));
        this.queue = new ArrayBlockingQueue<>(Math.max(1, options.maxQueue()));
        this.worker = Thread.ofPlatform().name("hearth-engine").daemon().start(this::loop);
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
        int ctx = session.contextLength();
        if (ids.length >= ctx) {
            throw new IllegalArgumentException("the prompt has " + ids.length + " tokens but the context holds " + ctx
                    + " (the prompt and at least one generated token must fit): shorten the prompt or start the server with a larger context size");
        }
        // Built here so that bad sampling parameters (e.g. a logit_bias id outside the vocabulary) fail the request now.
        TokenTrie vocabulary = request.sampling().grammar() == null ? null : pieces();
        Sampler sampler = new Sampler(request.sampling(), tokenizer.vocabSize(), ctx, tokenizer::isEog, vocabulary);
        Job job = new Job(request, ids, sampler, listener);
        if (!queue.offer(job)) {
            throw new OverloadedException("the server is busy: " + queue.size() + " requests are already waiting", 1);
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

    /** Requests waiting to start. */
    public int queued() {
        return queue.size();
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
        for (Job j; (j = queue.poll()) != null; ) j.listener.onError(new IllegalStateException("the model was unloaded"));
        file.close();
    }

    private void loop() {
        while (!closed) {
            Job job;
            try {
                job = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                run(job);
            } catch (Throwable t) {
                cachedLength = 0; // the session may hold a half-written step
                job.done = true;
                job.listener.onError(t);
            }
        }
    }

    private void run(Job job) {
        long start = System.nanoTime();
        long queueNanos = start - job.submitted;
        int[] ids = job.ids;
        if (job.cancelled) {
            finish(job, FinishReason.CANCELLED, null, ids.length, 0, 0, queueNanos, 0, 0);
            return;
        }
        // Reuse the longest common prefix; at least the last prompt token is evaluated again, for its logits.
        int common = 0;
        while (common < cachedLength && common < ids.length - 1 && cached[common] == ids[common]) common++;
        session.rewind(common);
        System.arraycopy(ids, 0, cached, 0, ids.length);
        cachedLength = ids.length; // if forward fails, loop() forgets the cache
        float[] logits = session.forward(ids, common, ids.length - common);
        long promptDone = System.nanoTime();

        Sampler sampler = job.sampler;
        SamplingParams params = job.request.sampling();
        sampler.accept(ids, Math.max(0, ids.length - 1024), ids.length); // the prompt tail feeds the penalties
        StreamDecoder decoder = tokenizer.newDecoder(false, false);
        StopStrings stops = new StopStrings(params.stop());
        int max = job.request.maxTokens() < 0 ? Integer.MAX_VALUE : job.request.maxTokens();
        int n = 0;
        FinishReason reason = null;
        if (max == 0) reason = FinishReason.LENGTH;
        while (reason == null) {
            if (job.cancelled) {
                reason = FinishReason.CANCELLED;
                break;
            }
            int token = sampler.sample(logits);
            TokenEvent.Candidate chosen = null;
            List<TokenEvent.Candidate> top = null;
            if (params.wantsLogprobs()) {
                TokenLogprobs lp = sampler.logprobs();
                chosen = new TokenEvent.Candidate(token, tokenizer.piece(token, true), lp.chosenLogprob());
                top = new ArrayList<>(lp.count());
                for (int i = 0; i < lp.count(); i++) {
                    top.add(new TokenEvent.Candidate(lp.token(i), tokenizer.piece(lp.token(i), true), lp.logprob(i)));
                }
            }
            sampler.accept(token);
            n++;
            String text;
            if (sampler.isEndOfGeneration(token)) {
                reason = tokenizer.isEog(token) ? FinishReason.END_OF_GENERATION : FinishReason.STOP;
                text = stops.push(decoder.finish());
                if (!stops.stopped()) text += stops.flush();
            } else {
                text = stops.push(decoder.next(token));
                if (stops.stopped()) {
                    reason = FinishReason.STOP;
                } else if (sampler.grammarComplete()) { // nothing may follow: as if the model had ended
                    reason = FinishReason.END_OF_GENERATION;
                    text += stops.push(decoder.finish());
                    if (!stops.stopped()) text += stops.flush();
                } else if (n == max || ids.length + n >= session.contextLength()) {
                    reason = n == max ? FinishReason.LENGTH : FinishReason.CONTEXT_FULL;
                    text += stops.push(decoder.finish());
                    if (!stops.stopped()) text += stops.flush();
                }
            }
            job.listener.onToken(new TokenEvent(token, text, chosen, top));
            if (reason == null) {
                logits = session.forward(token);
                cached[cachedLength++] = token;
            }
        }
        long end = System.nanoTime();
        finish(job, reason, stops.matchedStop(), ids.length, common, n, queueNanos, promptDone - start, end - promptDone);
    }

    private static void finish(Job job, FinishReason reason, String stop, int prompt, int cachedTokens, int generated,
                               long queueNanos, long promptNanos, long genNanos) {
        job.done = true;
        job.listener.onDone(new Completion(reason, stop, prompt, cachedTokens, generated, queueNanos, promptNanos, genNanos));
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

    private static final class Job implements Generation {
        final GenerationRequest request;
        final int[] ids;
        final Sampler sampler;
        final GenerationListener listener;
        final long submitted = System.nanoTime();
        volatile boolean cancelled;
        volatile boolean done;

        Job(GenerationRequest request, int[] ids, Sampler sampler, GenerationListener listener) {
            this.request = request;
            this.ids = ids;
            this.sampler = sampler;
            this.listener = listener;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public boolean isDone() {
            return done;
        }
    }
}
