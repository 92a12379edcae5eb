package dev.hearth.engine.generate;

import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.engine.sampling.StopStrings;
import dev.hearth.engine.sampling.TokenLogprobs;
import dev.hearth.engine.tokenizer.StreamDecoder;
import dev.hearth.engine.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * One request inside the engine: its prompt, sampler and output state, from admission to its last event. The
 * scheduler feeds it logits; it samples, turns tokens into text events and decides when it is finished. Only the
 * engine thread touches it, except {@link #cancel}.
 */
final class Job implements Generation {
    final GenerationRequest request;
    final int[] prompt;
    final GenerationListener listener;
    final long submitted = System.nanoTime();
    private final Sampler sampler;
    private volatile boolean cancelled;
    private volatile boolean done;

    // engine-thread state
    Slot slot;
    int evaluated;        // prompt tokens whose keys and values the slot holds
    int cachedTokens;     // of those, how many came from the prompt cache
    int nextToken = -1;   // a sampled token still to be evaluated, or -1
    long started, promptDone;
    private int generated;
    private StreamDecoder decoder;
    private StopStrings stops;
    private StringBuilder watched; // the output's tail while a lazy grammar waits for its trigger

    Job(GenerationRequest request, int[] prompt, Sampler sampler, GenerationListener listener) {
        this.request = request;
        this.prompt = prompt;
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

    boolean cancelled() {
        return cancelled;
    }

    boolean prefilling() {
        return evaluated < prompt.length;
    }

    /** Called once the job has a slot holding {@code cached} of its prompt tokens. */
    void start(Slot slot, int cached, Tokenizer tokenizer) {
        this.slot = slot;
        this.evaluated = cached;
        this.cachedTokens = cached;
        this.started = System.nanoTime();
        this.decoder = tokenizer.newDecoder(false, request.specialTokenText());
        this.stops = new StopStrings(request.sampling().stop());
        // the prompt's tail feeds the repetition penalties
        sampler.accept(prompt, Math.max(0, prompt.length - 1024), prompt.length);
    }

    /**
     * The logits after the job's last evaluated token: samples the next token and sends its event. Returns the
     * finish reason when this was the last one, else null (and {@link #nextToken} is to be evaluated next).
     */
    FinishReason onLogits(float[] logits, int contextLength, Tokenizer tokenizer) {
        if (generated == 0) promptDone = System.nanoTime();
        SamplingParams params = request.sampling();
        int max = request.maxTokens() < 0 ? Integer.MAX_VALUE : request.maxTokens();
        if (max == 0) return FinishReason.LENGTH;
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
        generated++;
        FinishReason reason = null;
        String text;
        if (sampler.isEndOfGeneration(token)) {
            reason = tokenizer.isEog(token) ? FinishReason.END_OF_GENERATION : FinishReason.STOP;
            text = stops.push(decoder.finish());
            if (!stops.stopped()) text += stops.flush();
        } else {
            String piece = decoder.next(token);
            if (sampler.grammarTrigger() != null) watchForTrigger(piece);
            text = stops.push(piece);
            if (stops.stopped()) {
                reason = FinishReason.STOP;
            } else if (sampler.grammarComplete()) { // nothing may follow: as if the model had ended
                reason = FinishReason.END_OF_GENERATION;
                text += stops.push(decoder.finish());
                if (!stops.stopped()) text += stops.flush();
            } else if (generated == max || prompt.length + generated >= contextLength) {
                reason = generated == max ? FinishReason.LENGTH : FinishReason.CONTEXT_FULL;
                text += stops.push(decoder.finish());
                if (!stops.stopped()) text += stops.flush();
            }
        }
        listener.onToken(new TokenEvent(token, text, chosen, top));
        nextToken = reason == null ? token : -1;
        return reason;
    }

    /**
     * A lazy grammar starts when its trigger shows in the output; the rest of the text after it, already sampled,
     * is the grammar's first input. Only the trigger's length minus one characters are kept between tokens.
     */
    private void watchForTrigger(String piece) {
        String trigger = sampler.grammarTrigger();
        if (watched == null) watched = new StringBuilder();
        watched.append(piece);
        int at = watched.indexOf(trigger);
        if (at >= 0) {
            sampler.triggerGrammar(watched.substring(at + trigger.length())); // false: dropped, the reply runs free
            watched = null;
        } else if (watched.length() >= trigger.length()) {
            watched.delete(0, watched.length() - trigger.length() + 1);
        }
    }

    void finish(FinishReason reason) {
        long end = System.nanoTime();
        long start = started == 0 ? end : started;
        long promptEnd = promptDone == 0 ? end : promptDone;
        done = true;
        listener.onDone(new Completion(reason, stops == null ? null : stops.matchedStop(), prompt.length, cachedTokens,
                generated, start - submitted, promptEnd - start, end - promptEnd));
    }

    void fail(Throwable t) {
        done = true;
        listener.onError(t);
    }
}
