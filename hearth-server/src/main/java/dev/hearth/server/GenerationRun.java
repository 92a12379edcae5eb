package dev.hearth.server;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.ContextOverflowException;
import dev.hearth.engine.generate.Generation;
import dev.hearth.engine.generate.GenerationListener;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.OverloadedException;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.sampling.SamplingParameterException;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP request's generations (several when OpenAI's {@code n} &gt; 1), bridged from the engine's callback
 * thread to the request's own (virtual) thread through a queue, so the engine never waits on a socket.
 */
public final class GenerationRun {
    public sealed interface Event permits Token, Done, Failed {
        int index();
    }

    public record Token(int index, TokenEvent event) implements Event {}

    public record Done(int index, Completion completion) implements Event {}

    public record Failed(int index, Throwable error) implements Event {}

    /** What a non-streaming response needs of one generation. */
    public static final class Choice {
        public final StringBuilder text = new StringBuilder();
        public final List<TokenEvent> tokens = new ArrayList<>();
        public Completion completion;
    }

    private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final List<Generation> generations = new ArrayList<>();
    private final Metrics metrics;
    private final long startNanos = System.nanoTime();
    private long firstTokenNanos = -1;
    private int open;
    private int promptTokens, generatedTokens;
    private long generationNanos;
    private boolean cancelled;

    private GenerationRun(Metrics metrics) {
        this.metrics = metrics;
    }

    /**
     * Submits every request, or none: a request the engine refuses becomes an {@link ApiError} (invalid input,
     * overloaded) after the ones already submitted are cancelled.
     */
    public static GenerationRun start(Generator generator, List<GenerationRequest> requests, Metrics metrics) {
        GenerationRun run = new GenerationRun(metrics);
        int vocab = generator.info().vocabSize();
        for (GenerationRequest r : requests) {
            for (Integer id : r.sampling().logitBias().keySet()) {
                if (vocab > 0 && id >= vocab) {
                    throw ApiError.invalid("logit_bias", "logit_bias token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                }
            }
        }
        for (int i = 0; i < requests.size(); i++) {
            int index = i;
            try {
                run.generations.add(generator.submit(requests.get(i), new GenerationListener() {
                    @Override
                    public void onToken(TokenEvent event) {
                        run.queue.add(new Token(index, event));
                    }

                    @Override
                    public void onDone(Completion completion) {
                        run.queue.add(new Done(index, completion));
                    }

                    @Override
                    public void onError(Throwable error) {
                        run.queue.add(new Failed(index, error));
                    }
                }));
                run.open++;
            } catch (RuntimeException e) {
                run.cancel();
                throw refused(e);
            }
        }
        metrics.started(run.open);
        return run;
    }

    static ApiError refused(RuntimeException e) {
        return switch (e) {
            case ApiError a -> a;
            case OverloadedException o -> new ApiError(ApiError.Kind.OVERLOADED, o.getMessage(), null, "overloaded")
                    .retryAfter(o.retryAfterSeconds());
            case SamplingParameterException s -> ApiError.invalid(s.parameter(), s.getMessage());
            // OpenAI's code, llama.cpp's type and fields: clients of either recognise it
            case ContextOverflowException o -> new ApiError(ApiError.Kind.INVALID, o.getMessage(), "messages", "context_length_exceeded")
                    .with("type", "exceed_context_size_error")
                    .with("n_prompt_tokens", o.promptTokens())
                    .with("n_ctx", o.contextLength());
            case IllegalArgumentException i -> ApiError.invalid(null, i.getMessage() == null ? "invalid request" : i.getMessage());
            default -> throw e;
        };
    }

    /** The next event, or null when none came within the timeout. Null too once every generation has ended. */
    public Event next(long timeoutMillis) throws InterruptedException {
        if (open == 0) return null;
        Event e = queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        if (e == null) return null;
        switch (e) {
            case Token t -> {
                if (firstTokenNanos < 0) {
                    firstTokenNanos = System.nanoTime();
                    metrics.firstToken((firstTokenNanos - startNanos) / 1e9);
                }
            }
            case Done d -> {
                open--;
                Completion c = d.completion();
                promptTokens += c.promptTokens();
                generatedTokens += c.generatedTokens();
                generationNanos += c.generationNanos();
                metrics.finished(c);
            }
            case Failed f -> {
                open--;
                metrics.failed();
            }
        }
        return e;
    }

    public boolean finished() {
        return open == 0;
    }

    /**
     * Runs every generation to its end and gathers the text (for non-streaming responses). The client is watched
     * meanwhile: if it closes the connection, the generations are cancelled and {@link ClientWatch.GoneException}
     * ends the handler without a response.
     */
    public List<Choice> collect(Context ctx, int n) throws InterruptedException {
        ctx.attribute(HearthServer.RUN, this);
        ClientWatch client = ClientWatch.of(ctx);
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; i < n; i++) choices.add(new Choice());
        Throwable failure = null;
        long lookEvery = ClientWatch.LOOK_MILLIS * 1_000_000, nextLook = System.nanoTime() + lookEvery;
        while (!finished()) {
            Event e = next(ClientWatch.LOOK_MILLIS);
            if (System.nanoTime() - nextLook >= 0) {
                nextLook = System.nanoTime() + lookEvery;
                if (failure == null && client.gone()) {
                    cancel();
                    metrics.cancelled();
                    ctx.attribute(HearthServer.CLIENT_GONE, true);
                    close();
                    throw new ClientWatch.GoneException();
                }
            }
            switch (e) {
                case Token t -> {
                    choices.get(t.index()).text.append(t.event().text());
                    choices.get(t.index()).tokens.add(t.event());
                }
                case Done d -> choices.get(d.index()).completion = d.completion();
                case Failed f -> {
                    if (failure == null) failure = f.error();
                    cancel();
                }
                case null -> { }
            }
        }
        if (failure != null) throw failed(failure);
        return choices;
    }

    /** An engine failure after submission: an internal error (the request id ties it to the log), or a backend's own. */
    public static ApiError failed(Throwable t) {
        if (t instanceof ApiError a) return a;
        ApiError e = new ApiError(ApiError.Kind.INTERNAL, "generation failed: " + t.getMessage(), null, null);
        e.initCause(t);
        return e;
    }

    /** Cancels every generation that has not ended (client gone, or a sibling failed). */
    public void cancel() {
        synchronized (this) {
            if (cancelled) return;
            cancelled = true;
        }
        for (Generation g : generations) {
            if (!g.isDone()) g.cancel();
        }
    }

    public boolean isCancelled() {
        synchronized (this) {
            return cancelled;
        }
    }

    /** Wall time from submission to the first token event, or -1 if none came. */
    public double timeToFirstTokenSeconds() {
        return firstTokenNanos < 0 ? -1 : (firstTokenNanos - startNanos) / 1e9;
    }

    public long startNanos() { return startNanos; }
    Metrics metrics() { return metrics; }
    public int promptTokens() { return promptTokens; }
    public int generatedTokens() { return generatedTokens; }

    public double tokensPerSecond() {
        return generationNanos <= 0 ? 0 : generatedTokens / (generationNanos / 1e9);
    }

    /** The generations still running at the end of a request (their counts leave the processing gauge). */
    public void close() {
        metrics.ended(open);
        open = 0;
    }
}
