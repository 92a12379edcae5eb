package dev.hearth.engine.generate;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.generate.LocalGeneratorTest.Collector;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Continuous batching in {@link LocalGenerator}: shared passes, same results as alone, caching, cancel, backpressure. */
class SchedulerTest {
    private static final String MODEL = "models/qwen2-q8_0.gguf";

    private static LocalGenerator open(int parallel, int maxQueue, int chunk) throws Exception {
        return open(parallel, maxQueue, chunk, 0);
    }

    private static LocalGenerator open(int parallel, int maxQueue, int chunk, int kvBudget) throws Exception {
        return LocalGenerator.open(Fixtures.file(MODEL), new LocalGenerator.Options(256, KvCache.Type.F16, maxQueue, parallel, chunk, kvBudget));
    }

    private static Collector submit(Generator g, int[] ids, int max, boolean ignoreEos) {
        Collector c = new Collector();
        SamplingParams p = SamplingParams.greedy().toBuilder().ignoreEos(ignoreEos).build();
        g.submit(new GenerationRequest(new Prompt.Tokens(ids), p, max), c);
        return c;
    }

    private static int[] prompt(int seed, int length) {
        int[] ids = new int[length];
        ids[0] = 1;
        for (int i = 1; i < length; i++) ids[i] = 3 + Math.floorMod(seed * 131 + i * 17 + i * i * seed, 500);
        return ids;
    }

    private static Collector submit(Generator g, int[] ids, int max) {
        Collector c = new Collector();
        g.submit(new GenerationRequest(new Prompt.Tokens(ids), SamplingParams.greedy(), max), c);
        return c;
    }

    @Test
    void concurrentGreedyRequestsEqualEachRunAlone() throws Exception {
        int n = 8, max = 12;
        int[][] prompts = new int[n][];
        for (int i = 0; i < n; i++) prompts[i] = prompt(i + 1, 5 + 7 * i); // 5 .. 54 tokens: several chunks of 16
        List<Collector> alone = new ArrayList<>();
        long aloneSteps;
        try (LocalGenerator g = open(1, 16, 16)) {
            for (int[] p : prompts) {
                Collector c = submit(g, p, max);
                c.await();
                alone.add(c);
            }
            aloneSteps = g.steps();
        }
        try (LocalGenerator g = open(4, 16, 16)) {
            long stepsBefore = g.steps();
            List<Collector> together = new ArrayList<>();
            for (int[] p : prompts) together.add(submit(g, p, max));
            for (int i = 0; i < n; i++) {
                Completion done = together.get(i).await();
                assertEquals(alone.get(i).await().finishReason(), done.finishReason(), "request " + i);
                assertArrayEquals(alone.get(i).ids(), together.get(i).ids(), "request " + i);
                assertEquals(alone.get(i).text(), together.get(i).text(), "request " + i);
            }
            long steps = g.steps() - stepsBefore;
            assertTrue(steps < aloneSteps / 2, "passes were not shared: " + steps + " together, " + aloneSteps + " one by one");
        }
    }

    @Test
    void aPrefixHeldByARunningRequestIsCopiedAndGivesTheSameResult() throws Exception {
        int[] system = prompt(7, 40);
        int[] question = new int[46];
        System.arraycopy(system, 0, question, 0, 40);
        for (int i = 40; i < 46; i++) question[i] = 300 + i;
        try (LocalGenerator g = open(2, 4, 16)) {
            Collector cold = submit(g, question, 10);
            cold.await();
            assertEquals(0, cold.done.get().cachedPromptTokens());

            // a long request holding the shared prefix runs while the question arrives again
            Collector holder = submit(g, system, 200);
            while (holder.tokens.isEmpty()) Thread.onSpinWait();
            Collector warm = submit(g, question, 10);
            Completion done = warm.await();
            assertTrue(done.cachedPromptTokens() >= 40, "cached " + done.cachedPromptTokens());
            assertArrayEquals(cold.ids(), warm.ids());
            assertFalse(holder.done.isDone(), "the holder still runs");
        }
    }

    @Test
    void cancellingOneRequestLeavesTheOthersRunning() throws Exception {
        try (LocalGenerator g = open(2, 4, 16)) {
            Collector other = submit(g, prompt(3, 10), 30);
            Collector victim = new Collector();
            CountDownLatch started = new CountDownLatch(1);
            Generation gen = g.submit(new GenerationRequest(new Prompt.Tokens(prompt(4, 10)), SamplingParams.greedy(), 10_000),
                    new GenerationListener() {
                        @Override public void onToken(TokenEvent e) { victim.onToken(e); started.countDown(); }
                        @Override public void onDone(Completion c) { victim.onDone(c); }
                        @Override public void onError(Throwable t) { victim.onError(t); }
                    });
            assertTrue(started.await(30, TimeUnit.SECONDS));
            gen.cancel();
            assertEquals(FinishReason.CANCELLED, victim.await().finishReason());
            assertTrue(gen.isDone());
            assertEquals(FinishReason.LENGTH, other.await().finishReason());
            assertEquals(30, other.ids().length);
            // the freed slot serves the next request
            assertEquals(FinishReason.LENGTH, submit(g, prompt(5, 8), 4).await().finishReason());
            assertEquals(0, g.active());
        }
    }

    @Test
    void aFullQueueRefusesWithRetryAfter() throws Exception {
        try (LocalGenerator g = open(1, 1, 16)) {
            Collector running = submit(g, prompt(1, 6), 10_000);
            while (running.tokens.isEmpty()) Thread.onSpinWait();
            Collector waiting = submit(g, prompt(2, 6), 4); // waits for the only slot
            OverloadedException e = assertThrows(OverloadedException.class, () -> submit(g, prompt(3, 6), 4));
            assertTrue(e.retryAfterSeconds() >= 1);
            assertTrue(e.getMessage().contains("busy"), e.getMessage());
            assertFalse(waiting.done.isDone());
        }
    }

    @Test
    void aLongGenerationDoesNotStarveShortOnes() throws Exception {
        try (LocalGenerator g = open(2, 8, 16)) {
            Collector longOne = submit(g, prompt(1, 6), 400);
            while (longOne.tokens.isEmpty()) Thread.onSpinWait();
            for (int i = 0; i < 3; i++) {
                Collector shortOne = submit(g, prompt(10 + i, 6), 5);
                assertEquals(FinishReason.LENGTH, shortOne.await().finishReason());
            }
            assertFalse(longOne.done.isDone(), "the short requests finished while the long one ran");
        }
    }

    @Test
    void aRequestBeyondTheKvBudgetFailsAndTheOthersGoOn() throws Exception {
        try (LocalGenerator g = open(2, 4, 16, 64)) {
            assertThrows(IllegalArgumentException.class, () -> submit(g, prompt(9, 70), 4), "a prompt larger than the budget");
            // both queued at once (waiting for the older's first token let a fast engine finish it before the newer
            // came): together they need 110 cells of 64, and the older one, admitted first, keeps its cells
            Collector older = submit(g, prompt(1, 10), 45, true);
            Collector newer = submit(g, prompt(2, 10), 45, true);
            Exception e = assertThrows(Exception.class, newer::await);
            assertInstanceOf(OverloadedException.class, e.getCause(), String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("KV cache budget of 64 tokens"), e.getCause().getMessage());
            assertEquals(FinishReason.LENGTH, older.await().finishReason());
            assertEquals(45, older.ids().length);
        }
    }

    @Test
    void cachedPrefixesMakeRoomWithinTheBudget() throws Exception {
        try (LocalGenerator g = open(2, 4, 16, 48)) {
            int[] a = prompt(1, 10), b = prompt(2, 10);
            b[0] = 2; // no common prefix with a: b goes to the other, empty slot
            Collector first = submit(g, a, 20, true);
            assertEquals(FinishReason.LENGTH, first.await().finishReason());
            assertEquals(FinishReason.LENGTH, submit(g, a, 20, true).await().finishReason()); // cached: fits
            Collector other = submit(g, b, 30, true); // needs cells held by a's cached prefix
            assertEquals(FinishReason.LENGTH, other.await().finishReason());
            Collector again = submit(g, a, 20, true);
            assertEquals(FinishReason.LENGTH, again.await().finishReason());
            assertEquals(0, again.done.get().cachedPromptTokens(), "a's prefix was dropped to make room for b");
            assertArrayEquals(first.ids(), again.ids());
        }
    }
}
