package dev.hearth.engine.generate;

import dev.hearth.engine.model.Batch;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Model;
import dev.hearth.engine.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching on the engine thread: up to {@code slots} sequences run at once, and every step is one
 * forward pass over the next token of each generating sequence plus chunks of prompts still being processed, so the
 * weights are read once per step for all of them and a long prompt never stalls the others' streams.
 *
 * <ul>
 *   <li>Admission is first come, first served, as slots free up; the waiting queue is bounded by its owner.
 *   <li>Prompt caching: a new request takes the free slot holding the longest prefix of its prompt (least recently
 *       used first among equals); when a busy slot holds a longer one, that prefix is copied over. Only the rest of
 *       the prompt is evaluated (at least its last two tokens, so the last chunk's arithmetic is that of a cold run).
 *   <li>Prompts are evaluated in chunks of at most {@code chunk} tokens cut at the same places whatever else runs,
 *       so a sequence's results do not depend on its neighbours; the decoding rows go first in each step.
 *   <li>A cancelled request leaves at the next step; its slot keeps what was evaluated for later reuse.
 *   <li>The KV cells all slots hold together stay within a budget: cached prefixes of finished requests go first
 *       (least recently used first), then prompt chunks wait; a request that still cannot get a cell for its next
 *       token fails with {@link OverloadedException}, the newest first, so the others go on.
 * </ul>
 */
final class Scheduler {
    private final Model model;
    private final Tokenizer tokenizer;
    private final BlockingQueue<Job> queue;
    private final Slot[] slots;
    private final Batch batch;
    private final int chunk, vocab, budget;
    private final List<Job> running = new ArrayList<>();
    private final Job[] entryJob;
    private final int[] entryRow;
    private final float[] logits, row;
    private final int[] one = new int[1];
    private long clock;
    private volatile int active, kvHeld;
    private volatile long steps, sequenceSteps;

    Scheduler(Model model, Tokenizer tokenizer, BlockingQueue<Job> queue, int slots, int contextLength,
              KvCache.Type kvType, int chunk, int budget) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.queue = queue;
        this.slots = new Slot[slots];
        for (int i = 0; i < slots; i++) this.slots[i] = new Slot(i, model.newSession(contextLength, kvType, 1));
        this.chunk = Math.max(2, chunk);
        this.budget = budget;
        this.batch = new Batch(model, slots + this.chunk);
        this.vocab = model.config().vocabularySize();
        this.entryJob = new Job[slots];
        this.entryRow = new int[slots];
        this.logits = new float[slots * vocab];
        this.row = new float[vocab];
    }

    int contextLength() {
        return slots[0].session.contextLength();
    }

    /** KV cells all sequences may hold together. */
    int kvBudget() {
        return budget;
    }

    int slotCount() {
        return slots.length;
    }

    /** Requests being processed now (reading from any thread). */
    int active() {
        return active;
    }

    /** KV cache cells holding tokens, over all slots, cached prefixes of finished requests included (any thread). */
    int kvHeld() {
        return kvHeld;
    }

    /** The sum over all passes of the sequences each advanced (any thread). */
    long sequenceSteps() {
        return sequenceSteps;
    }

    /** Forward passes run so far (reading from any thread). */
    long steps() {
        return steps;
    }

    /** Runs until interrupted. */
    void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (running.isEmpty()) {
                    Job job = queue.poll(1, TimeUnit.SECONDS);
                    if (job == null) continue;
                    admit(job);
                }
                admitWaiting();
                step();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) { // a bug must not stop the engine thread: the running requests fail
                failAll(e);
            }
        }
        for (Job j : running) j.fail(new IllegalStateException("the model was unloaded"));
        running.clear();
    }

    private void admitWaiting() {
        while (running.size() < slots.length) {
            Job job = queue.poll();
            if (job == null) return;
            admit(job);
        }
    }

    private void admit(Job job) {
        if (job.cancelled()) {
            job.finish(FinishReason.CANCELLED);
            return;
        }
        int[] ids = job.prompt;
        // evaluate at least the last two prompt tokens again (one for the logits; two so that this last chunk runs
        // the multi-row arithmetic a cold start runs too)
        int limit = Math.max(0, ids.length - 2);
        Slot best = null, donor = null;
        int bestCommon = -1, donorCommon = 0;
        for (Slot s : slots) {
            int common = Math.min(limit, s.commonPrefix(ids));
            if (s.job == null) {
                if (common > bestCommon || common == bestCommon && s.lastUsed < best.lastUsed) {
                    best = s;
                    bestCommon = common;
                }
            } else if (common > donorCommon) {
                donor = s;
                donorCommon = common;
            }
        }
        if (donor != null && donorCommon > bestCommon) {
            // a running request holds a longer prefix: copy it into the least recently used free slot
            best = null;
            for (Slot s : slots) if (s.job == null && (best == null || s.lastUsed < best.lastUsed)) best = s;
            best.session.copyPrefix(donor.session, donorCommon);
            System.arraycopy(donor.tokens, 0, best.tokens, 0, donorCommon);
            bestCommon = donorCommon;
        } else {
            best.session.rewind(bestCommon);
        }
        best.job = job;
        best.lastUsed = ++clock;
        job.start(best, bestCommon, tokenizer);
        running.add(job);
        active = running.size();
    }

    /** One forward pass over every running request, then their sampling. */
    private void step() {
        for (int i = running.size() - 1; i >= 0; i--) {
            Job job = running.get(i);
            if (job.cancelled()) release(job, FinishReason.CANCELLED);
        }
        if (running.isEmpty()) return;
        batch.clear();
        int entries = 0;
        int decoding = 0;
        for (Job job : running) if (!job.prefilling()) decoding++;
        while (decoding > 0 && !reserve(decoding)) { // no cell for every next token: the newest request goes
            Job newest = running.getLast();
            if (!newest.prefilling()) decoding--;
            refuse(newest);
        }
        if (running.isEmpty()) return;
        int reserved = decoding;
        for (Job job : running) { // decoding rows first: one token each
            if (job.prefilling()) continue;
            one[0] = job.nextToken;
            job.slot.append(one, 0, 1);
            entryRow[entries] = batch.add(job.slot.session, one, 0, 1, Batch.Output.LAST);
            entryJob[entries++] = job;
        }
        for (Job job : running) { // then prompt chunks, first come first served, cut where a lone run cuts them
            if (!job.prefilling()) continue;
            int rest = job.prompt.length - job.evaluated;
            int n = Math.min(rest, chunk);
            if (rest - n == 1) n--; // never leave a one-token last chunk
            if (batch.rows() + n > batch.maxRows() || !reserve(reserved + n)) break;
            reserved += n;
            boolean last = n == rest;
            job.slot.append(job.prompt, job.evaluated, n);
            int out = batch.add(job.slot.session, job.prompt, job.evaluated, n, last ? Batch.Output.LAST : Batch.Output.NONE);
            job.evaluated += n;
            if (last) {
                entryRow[entries] = out;
                entryJob[entries++] = job;
            }
        }
        if (batch.rows() == 0) { // every prompt waits for cells that only the newest request's end would free
            refuse(running.getLast());
            return;
        }
        try {
            int sequences = batch.entries();
            batch.run(logits);
            steps++;
            sequenceSteps += sequences;
        } catch (RuntimeException | Error e) {
            failAll(e);
            return;
        }
        for (int i = 0; i < entries; i++) {
            Job job = entryJob[i];
            System.arraycopy(logits, entryRow[i] * vocab, row, 0, vocab);
            FinishReason reason;
            try {
                reason = job.onLogits(row, job.slot.session.contextLength(), tokenizer);
            } catch (RuntimeException e) {
                free(job);
                job.fail(e);
                continue;
            }
            if (reason != null) release(job, reason);
        }
        int held = 0;
        for (Slot s : slots) held += s.length();
        kvHeld = held;
    }

    /**
     * Whether {@code cells} more KV cells fit the budget beside those the slots hold, after dropping cached prefixes
     * of idle slots (least recently used first) as needed.
     */
    private boolean reserve(int cells) {
        long held = 0;
        for (Slot s : slots) held += s.length();
        while (held + cells > budget) {
            Slot victim = null;
            for (Slot s : slots) {
                if (s.job == null && s.length() > 0 && (victim == null || s.lastUsed < victim.lastUsed)) victim = s;
            }
            if (victim == null) return false;
            held -= victim.length();
            victim.session.rewind(0);
        }
        return true;
    }

    private void refuse(Job job) {
        job.slot.session.rewind(0);
        free(job);
        job.fail(new OverloadedException("the KV cache budget of " + budget + " tokens is full: this request could not "
                + "go on beside the " + running.size() + " others; retry when fewer run, or start the server with a "
                + "larger --kv-budget", 1));
    }

    /** Ends every running request with {@code e}; their slots forget what the failed step may have half written. */
    private void failAll(Throwable e) {
        batch.clear();
        for (Job job : List.copyOf(running)) {
            job.slot.session.rewind(0);
            free(job);
            job.fail(e);
        }
    }

    private void release(Job job, FinishReason reason) {
        free(job);
        job.finish(reason);
    }

    private void free(Job job) {
        job.slot.job = null;
        job.slot.lastUsed = ++clock;
        running.remove(job);
        active = running.size();
    }
}
