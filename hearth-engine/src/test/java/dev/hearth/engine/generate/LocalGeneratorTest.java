package dev.hearth.engine.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.sampling.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The generation loop end to end on a fixture model, against llama.cpp's greedy continuation. */
class LocalGeneratorTest {
    static LocalGenerator gen;
    static JsonNode golden;

    @BeforeAll
    static void load() throws Exception {
        gen = LocalGenerator.open(Fixtures.file("models/llama-spm-f32.gguf"), new LocalGenerator.Options(256, KvCache.Type.F32, 2));
        golden = new ObjectMapper().readTree(Fixtures.file("models/llama-spm-f32.json").toFile());
    }

    @AfterAll
    static void close() {
        if (gen != null) gen.close();
    }

    /** Collects a generation's events. */
    static class Collector implements GenerationListener {
        final List<TokenEvent> tokens = new ArrayList<>();
        final CompletableFuture<Completion> done = new CompletableFuture<>();

        @Override public void onToken(TokenEvent e) { tokens.add(e); }
        @Override public void onDone(Completion c) { done.complete(c); }
        @Override public void onError(Throwable t) { done.completeExceptionally(t); }

        Completion await() throws Exception { return done.get(60, TimeUnit.SECONDS); }

        String text() {
            StringBuilder sb = new StringBuilder();
            for (TokenEvent e : tokens) sb.append(e.text());
            return sb.toString();
        }

        int[] ids() { return tokens.stream().mapToInt(TokenEvent::token).toArray(); }
    }

    static int[] promptIds() {
        int[] ids = new int[golden.get("prompt_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = golden.get("prompt_ids").get(i).asInt();
        return ids;
    }

    static Collector run(Prompt prompt, SamplingParams params, int max) throws Exception {
        Collector c = new Collector();
        gen.submit(new GenerationRequest(prompt, params, max), c);
        c.await();
        return c;
    }

    @Test
    void greedyContinuationMatchesLlamaCpp() throws Exception {
        Collector c = run(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 32);
        Completion done = c.await();
        assertEquals(FinishReason.LENGTH, done.finishReason());
        assertEquals(32, done.generatedTokens());
        assertEquals(16, done.promptTokens());
        int[] ours = c.ids();
        // README section 7.3: equal up to the first step whose top-2 gap is below 0.1 (none for this file).
        for (int s = 0; s < 32; s++) {
            if (golden.get("greedy_top2_gap").get(s).asDouble() < 0.1) break;
            assertEquals(golden.get("greedy").get(s).asInt(), ours[s], "greedy step " + s);
        }
    }

    @Test
    void aRepeatedPromptReusesItsKvEntriesAndGivesTheSameTokens() throws Exception {
        Collector first = run(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 8);
        Collector second = run(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 8);
        assertEquals(14, second.await().cachedPromptTokens(), "all but the last two prompt tokens come from the cache");
        assertArrayEquals(first.ids(), second.ids());
        assertEquals(first.text(), second.text());
    }

    @Test
    void stopStringEndsTheTextBeforeIt() throws Exception {
        String full = run(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 24).text();
        assertTrue(full.length() > 12, "need some text to cut: " + full);
        String stop = full.substring(8, 11);
        String expected = full.substring(0, full.indexOf(stop));
        Collector c = run(new Prompt.Tokens(promptIds()), SamplingParams.greedy().toBuilder().stop(stop).build(), 24);
        assertEquals(FinishReason.STOP, c.await().finishReason());
        assertEquals(stop, c.await().matchedStop());
        assertEquals(expected, c.text());
    }

    @Test
    void textPromptsAndChatPromptsAreTokenizedAndRendered() throws Exception {
        Collector text = run(new Prompt.Text("The quick brown fox"), SamplingParams.greedy(), 4);
        assertEquals(4, text.await().generatedTokens());
        assertEquals(gen.tokenize("The quick brown fox", true, true).length, text.await().promptTokens());
        Collector chat = run(new Prompt.Chat(List.of(Map.of("role", "user", "content", "Hello")), null, true, Map.of()),
                SamplingParams.greedy(), 4);
        String rendered = gen.renderChat(List.of(Map.of("role", "user", "content", "Hello")), null, true, Map.of());
        assertTrue(rendered.contains("Hello"), rendered);
        assertTrue(chat.await().promptTokens() > 1);
    }

    @Test
    void statsCountForwardPassesAndCachedTokens() throws Exception {
        long before = gen.stats().decodes();
        Collector c = run(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 5);
        Completion done = c.await();
        assertTrue(done.generatedTokens() > 0);
        EngineStats s = gen.stats();
        // one pass for the prompt, one per generated token but the last (whose successor is never needed)
        assertEquals(done.generatedTokens(), s.decodes() - before);
        // this request's cells, beside what other slots keep cached from earlier tests
        assertTrue(s.kvCacheTokens() >= done.promptTokens() + done.generatedTokens() - 1, "held " + s.kvCacheTokens());
        assertEquals((long) gen.parallel() * gen.info().contextLength(), s.kvCacheCells());
        assertTrue(s.kvCacheTokens() <= s.kvCacheCells());
        assertTrue(s.busySlotsPerDecode() >= 1.0, "sequences per pass: " + s.busySlotsPerDecode());
        assertEquals((double) s.kvCacheTokens() / s.kvCacheCells(), s.kvCacheUsage());
        assertEquals(0, s.waiting());
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (gen.stats().running() != 0) { // the engine thread leaves the job just after onDone
            assertTrue(System.nanoTime() < deadline, "the engine never went idle");
            Thread.sleep(5);
        }
    }

    @Test
    void promptLongerThanTheContextIsRefusedWithCounts() {
        int[] tooLong = new int[300];
        java.util.Arrays.fill(tooLong, 300);
        ContextOverflowException e = assertThrows(ContextOverflowException.class,
                () -> gen.submit(new GenerationRequest(new Prompt.Tokens(tooLong), SamplingParams.greedy(), 4), new Collector()));
        assertTrue(e.getMessage().contains("300 tokens") && e.getMessage().contains("256"), e.getMessage());
        assertEquals(300, e.promptTokens());
        assertEquals(gen.info().contextLength(), e.contextLength());
    }

    @Test
    void cancelStopsAGenerationAndAFullQueueRefusesMore() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Collector blocking = new Collector() {
            @Override public void onToken(TokenEvent e) {
                super.onToken(e);
                try {
                    release.await(30, TimeUnit.SECONDS); // holds the engine thread on its first token
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Generation g = gen.submit(new GenerationRequest(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 200), blocking);
        while (blocking.tokens.isEmpty()) Thread.sleep(5);
        Collector waiting1 = new Collector(), waiting2 = new Collector();
        gen.submit(new GenerationRequest(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 2), waiting1);
        gen.submit(new GenerationRequest(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 2), waiting2);
        assertThrows(OverloadedException.class,
                () -> gen.submit(new GenerationRequest(new Prompt.Tokens(promptIds()), SamplingParams.greedy(), 2), new Collector()));
        g.cancel();
        release.countDown();
        assertEquals(FinishReason.CANCELLED, blocking.await().finishReason());
        assertTrue(blocking.tokens.size() < 200);
        assertEquals(FinishReason.LENGTH, waiting1.await().finishReason());
        assertEquals(FinishReason.LENGTH, waiting2.await().finishReason());
        assertTrue(g.isDone());
    }

    /** A tool-call parser needs control tokens' text (Mistral's [TOOL_CALLS]); plain replies leave it out. */
    @Test
    void controlTokenTextOnlyWhenAsked() throws Exception {
        int bos = 1; // <s>: a control token that does not end generation
        SamplingParams forced = SamplingParams.greedy().toBuilder().logitBias(bos, 1000).build();
        Collector plain = new Collector();
        gen.submit(new GenerationRequest(new Prompt.Tokens(promptIds()), forced, 3), plain);
        plain.await();
        assertArrayEquals(new int[]{bos, bos, bos}, plain.ids());
        assertEquals("", plain.text());
        Collector special = new Collector();
        gen.submit(new GenerationRequest(new Prompt.Tokens(promptIds()), forced, 3, true), special);
        special.await();
        assertEquals("<s><s><s>", special.text());
    }
}
