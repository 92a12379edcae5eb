package dev.hearth.cli;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.Generation;
import dev.hearth.engine.generate.GenerationListener;
import dev.hearth.engine.generate.TokenEvent;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Prints a generation's text as it arrives (flushed per token, so a terminal shows it live) and keeps it. When
 * the output is gone (e.g. {@code | head} exited) the generation is cancelled rather than run to its end.
 */
final class Streamer implements GenerationListener {
    private final PrintWriter out;
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<Completion> done = new CompletableFuture<>();
    private volatile Generation generation;

    Streamer(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void onToken(TokenEvent event) {
        if (event.text().isEmpty()) return;
        text.append(event.text());
        out.print(event.text());
        if (out.checkError() && generation != null) generation.cancel(); // checkError flushes
    }

    /** The generation to cancel when the output fails. */
    void attach(Generation generation) {
        this.generation = generation;
    }

    @Override
    public void onDone(Completion completion) {
        done.complete(completion);
    }

    @Override
    public void onError(Throwable error) {
        done.completeExceptionally(error);
    }

    /** Waits for the end; an engine failure is rethrown as it was raised (Main prints it as one line). */
    Completion await() throws Exception {
        try {
            return done.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    /** Everything printed so far (the engine thread has finished writing once {@link #await} returned). */
    String text() {
        return text.toString();
    }

    /**
     * One line of counts and speeds, e.g. {@code prompt: 6 tokens (0 cached), 310.2 tokens/s | generated: 16
     * tokens, 85.1 tokens/s | stop: length}. Prompt speed counts the tokens actually evaluated (not the cached ones).
     */
    static String stats(Completion c) {
        int evaluated = c.promptTokens() - c.cachedPromptTokens();
        return String.format(Locale.ROOT, "prompt: %d tokens (%d cached), %s tokens/s | generated: %d tokens, %s tokens/s | stop: %s",
                c.promptTokens(), c.cachedPromptTokens(), rate(evaluated, c.promptNanos()),
                c.generatedTokens(), rate(c.generatedTokens(), c.generationNanos()),
                c.finishReason().name().toLowerCase(Locale.ROOT));
    }

    static String rate(long tokens, long nanos) {
        return tokens <= 0 || nanos <= 0 ? "-" : String.format(Locale.ROOT, "%.2f", tokens * 1e9 / nanos);
    }
}
