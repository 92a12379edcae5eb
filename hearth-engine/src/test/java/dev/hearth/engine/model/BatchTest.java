package dev.hearth.engine.model;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Several sessions in one {@link Batch} get exactly the logits each gets alone. */
class BatchTest {

    /**
     * A session's heads shared out over more threads than the machine has give the one-thread logits. (Its attention
     * parts are made before they run; made lazily by the pool's threads, two of them could grow the parts array at
     * once and one got null: a race this test only sometimes hits.)
     */
    @Test
    void headsSharedOverManyThreadsMatchOneThread() throws IOException {
        int before = dev.hearth.engine.tensor.WorkerPool.shared().threads();
        try (GgufFile f = GgufFile.open(Fixtures.file("models/llama-spm-q8_0.gguf"))) {
            Model model = Model.load(f);
            int[] prompt = {1, 5, 9, 13, 17, 21, 25};
            float[][] expected = null;
            for (int threads : new int[] {1, 6, 5, 6}) {
                dev.hearth.engine.tensor.WorkerPool.configureShared(threads);
                float[][] logits = new float[4][];
                for (int run = 0; run < 3; run++) { // fresh sessions: their attention parts are made anew
                    Session session = model.newSession(32, KvCache.Type.F16);
                    logits[0] = session.forward(prompt, 0, prompt.length).clone();
                    for (int i = 1; i < logits.length; i++) logits[i] = session.forward(i + 2).clone();
                }
                if (expected == null) expected = logits;
                for (int i = 0; i < logits.length; i++) assertArrayEquals(expected[i], logits[i], 0f, threads + " threads, step " + i);
            }
        } finally {
            dev.hearth.engine.tensor.WorkerPool.configureShared(before);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/llama-spm-q8_0.gguf", "models/qwen2-q4_k_m.gguf", "models/llama-spm-q4_0.gguf"})
    void sessionsInOneBatchMatchEachAlone(String name) throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.file(name))) {
            Model model = Model.load(f);
            int vocab = model.config().vocabularySize();
            int[][] prompts = {{1, 5, 9, 13, 17, 21}, {1, 40, 41}, {1, 7, 7, 7, 7, 7, 7, 7, 2}};
            int steps = 6;

            // alone: each prompt, then greedy decoding one token at a time
            int[][] aloneTokens = new int[prompts.length][steps];
            float[][][] aloneLogits = new float[prompts.length][steps][];
            for (int s = 0; s < prompts.length; s++) {
                Session session = model.newSession(64, KvCache.Type.F16);
                float[] logits = session.forward(prompts[s], 0, prompts[s].length);
                for (int i = 0; i < steps; i++) {
                    aloneLogits[s][i] = logits.clone();
                    aloneTokens[s][i] = argmax(logits, vocab);
                    logits = session.forward(aloneTokens[s][i]);
                }
            }

            // together: the prompts in one pass, then every decoding step of all sessions in one pass
            Session[] sessions = new Session[prompts.length];
            Batch batch = new Batch(model, 32);
            float[] out = new float[prompts.length * vocab];
            int[] outRow = new int[prompts.length];
            for (int s = 0; s < prompts.length; s++) {
                sessions[s] = model.newSession(64, KvCache.Type.F16, 1);
                outRow[s] = batch.add(sessions[s], prompts[s], 0, prompts[s].length, Batch.Output.LAST);
            }
            assertEquals(prompts.length, batch.outputRows());
            batch.run(out);
            for (int i = 0; i < steps; i++) {
                int[] next = new int[prompts.length];
                for (int s = 0; s < prompts.length; s++) {
                    float[] logits = Arrays.copyOfRange(out, outRow[s] * vocab, (outRow[s] + 1) * vocab);
                    assertArrayEquals(aloneLogits[s][i], logits, 0f, name + ": sequence " + s + " step " + i);
                    next[s] = argmax(logits, vocab);
                }
                for (int s = 0; s < prompts.length; s++) outRow[s] = batch.add(sessions[s], next, s, 1, Batch.Output.LAST);
                batch.run(out);
            }
            for (int s = 0; s < prompts.length; s++) assertEquals(prompts[s].length + steps, sessions[s].position());
        }
    }

    @Test
    void entriesWithoutLogitsAndAllLogits() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.file("models/llama-spm-q8_0.gguf"))) {
            Model model = Model.load(f);
            int vocab = model.config().vocabularySize();
            int[] prompt = {1, 5, 9, 13, 17, 21, 25};
            float[] all = model.newSession(64, KvCache.Type.F32).forwardAll(prompt, 0, prompt.length);

            Session a = model.newSession(64, KvCache.Type.F32, 1), b = model.newSession(64, KvCache.Type.F32, 1);
            Batch batch = new Batch(model, 16);
            assertEquals(-1, batch.add(a, prompt, 0, 3, Batch.Output.NONE));
            assertEquals(0, batch.add(b, prompt, 0, prompt.length, Batch.Output.ALL));
            float[] out = new float[prompt.length * vocab];
            batch.run(out);
            assertEquals(3, a.position());
            assertEquals(prompt.length, b.position());
            assertArrayEquals(all, out, 0f);

            // the session without logits carries on exactly where it was
            batch.add(a, prompt, 3, 4, Batch.Output.LAST);
            batch.run(out);
            assertArrayEquals(Arrays.copyOfRange(all, (prompt.length - 1) * vocab, prompt.length * vocab),
                    Arrays.copyOfRange(out, 0, vocab), 0f);
        }
    }

    @Test
    void refusesWhatDoesNotFit() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.file("models/llama-spm-q8_0.gguf"))) {
            Model model = Model.load(f);
            Session s = model.newSession(32, KvCache.Type.F16, 1);
            Batch batch = new Batch(model, 4);
            assertThrows(IllegalArgumentException.class, () -> batch.add(s, new int[5], 0, 5, Batch.Output.LAST));
            batch.add(s, new int[] {1, 2}, 0, 2, Batch.Output.LAST);
            assertThrows(IllegalArgumentException.class, () -> batch.add(s, new int[] {3}, 0, 1, Batch.Output.LAST));
            assertThrows(IllegalArgumentException.class,
                    () -> batch.add(model.newSession(32, KvCache.Type.F16, 1), new int[] {1 << 30}, 0, 1, Batch.Output.LAST));
            Batch big = new Batch(model, 64);
            assertThrows(IllegalStateException.class,
                    () -> big.add(model.newSession(32, KvCache.Type.F16, 1), new int[33], 0, 33, Batch.Output.LAST));
        }
    }

    private static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
