package dev.hearth.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Loading errors, context limits, rewinding and batching of {@link Model} and {@link Session}. */
class ModelTest {
    @TempDir
    Path dir;

    private Path tinyLlama(String arch, GgmlType qType) throws IOException {
        return tinyLlama(arch, qType, 32);
    }

    /** A 2-layer llama of width {@code e} in F32, with {@code attn_q} of {@code qType} in layer 1. */
    private Path tinyLlama(String arch, GgmlType qType, int e) throws IOException {
        int ff = 2 * e, vocab = 16;
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        w.putU32(arch + ".context_length", 64);
        w.putU32(arch + ".embedding_length", e);
        w.putU32(arch + ".block_count", 2);
        w.putU32(arch + ".feed_forward_length", ff);
        w.putU32(arch + ".attention.head_count", e / 8);
        w.putU32(arch + ".attention.head_count_kv", e / 16);
        w.putF32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
        w.addTensor("token_embd.weight", ramp(e * vocab), e, vocab);
        w.addTensor("output_norm.weight", ones(e), e);
        for (int il = 0; il < 2; il++) {
            String p = "blk." + il + ".";
            w.addTensor(p + "attn_norm.weight", ones(e), e);
            if (il == 1 && qType != GgmlType.F32) {
                w.addTensor(p + "attn_q.weight", qType, new long[] {e, e}, new byte[(int) qType.byteSize((long) e * e)]);
            } else {
                w.addTensor(p + "attn_q.weight", ramp(e * e), e, e);
            }
            w.addTensor(p + "attn_k.weight", ramp(e * e / 2), e, e / 2);
            w.addTensor(p + "attn_v.weight", ramp(e * e / 2), e, e / 2);
            w.addTensor(p + "attn_output.weight", ramp(e * e), e, e);
            w.addTensor(p + "ffn_norm.weight", ones(e), e);
            w.addTensor(p + "ffn_gate.weight", ramp(e * ff), e, ff);
            w.addTensor(p + "ffn_up.weight", ramp(e * ff), e, ff);
            w.addTensor(p + "ffn_down.weight", ramp(e * ff), ff, e);
        }
        Path path = dir.resolve(arch + "-" + qType + ".gguf");
        w.write(path);
        return path;
    }

    private static float[] ramp(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = ((i * 37) % 101 - 50) / 500f;
        return a;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1);
        return a;
    }

    @Test
    void runsASyntheticModel() throws IOException {
        try (GgufFile f = GgufFile.open(tinyLlama("llama", GgmlType.F32))) {
            Model model = Model.load(f);
            assertEquals(16, model.config().vocabularySize());
            assertEquals(8, model.config().keyLength());
            float[] logits = model.newSession(64, KvCache.Type.F16).forward(new int[] {1, 2, 3}, 0, 3);
            assertEquals(16, logits.length);
            for (float v : logits) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void refusesAnUnknownArchitectureByName() throws IOException {
        try (GgufFile f = GgufFile.open(tinyLlama("mamba", GgmlType.F32))) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> Model.load(f));
            assertTrue(e.getMessage().contains("'mamba'"), e.getMessage());
        }
    }

    @Test
    void refusesAnUnsupportedTensorTypeByName() throws IOException {
        try (GgufFile f = GgufFile.open(tinyLlama("llama", GgmlType.IQ2_XXS, 256))) {
            Exception e = assertThrows(UnsupportedOperationException.class, () -> Model.load(f));
            assertTrue(e.getMessage().contains("IQ2_XXS") && e.getMessage().contains("blk.1.attn_q.weight"), e.getMessage());
        }
    }

    @Test
    void aPromptThatDoesNotFitIsRefusedWhole() throws IOException {
        try (GgufFile f = GgufFile.open(tinyLlama("llama", GgmlType.F32))) {
            Session s = Model.load(f).newSession(32, KvCache.Type.F32);
            s.forward(new int[] {1, 2, 3}, 0, 3);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.forward(new int[30], 0, 30));
            assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
            assertEquals(3, s.position());
            s.forward(new int[29], 0, 29); // exactly full is fine
            assertEquals(32, s.position());
        }
    }

    /** Like llama.cpp, the cache is padded to a multiple of 32 cells; any requested length works and is filled. */
    @Test
    void aContextThatIsNotAMultipleOf32IsPaddedAndUsable() throws IOException {
        try (GgufFile f = GgufFile.open(tinyLlama("llama", GgmlType.F32))) {
            for (int ctx : new int[] {1, 8, 40, 47}) {
                Session s = Model.load(f).newSession(ctx, KvCache.Type.F16);
                assertEquals((ctx + 31) / 32 * 32, s.contextLength());
                int[] tokens = new int[s.contextLength()];
                for (int i = 0; i < tokens.length; i++) tokens[i] = i % 16;
                for (float v : s.forward(tokens, 0, tokens.length)) assertTrue(Float.isFinite(v));
            }
        }
    }

    /** Re-evaluating after a rewind must not see the overwritten positions' old keys and values. */
    @Test
    void rewindingRecomputesTheSameLogits() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(Fixtures.file("models/llama-spm-q8_0.json").toFile());
        int[] prompt = ModelConformanceTest.ints(ref.get("prompt_ids"));
        try (GgufFile f = GgufFile.open(Fixtures.file("models/llama-spm-q8_0.gguf"))) {
            Session s = Model.load(f).newSession(64, KvCache.Type.F16);
            float[] first = s.forwardAll(prompt, 0, prompt.length);
            s.rewind(5);
            s.forward(new int[] {7, 8, 9, 10}, 0, 4); // different tokens at positions 5..8
            s.rewind(5);
            float[] again = s.forwardAll(prompt, 5, prompt.length - 5);
            int nVocab = again.length / (prompt.length - 5);
            assertArrayEquals(Arrays.copyOfRange(first, 5 * nVocab, first.length), again);
            assertThrows(IllegalArgumentException.class, () -> s.rewind(prompt.length + 1));
        }
    }

    /** A prompt split into several passes by a small batch size still gives llama.cpp's logits (README section 7). */
    @Test
    void smallBatchesMatchLlamaCpp() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(Fixtures.file("models/gemma2-f32.json").toFile());
        int[] prompt = ModelConformanceTest.ints(ref.get("prompt_ids"));
        try (GgufFile f = GgufFile.open(Fixtures.file("models/gemma2-f32.gguf"))) {
            Session s = Model.load(f).newSession(64, KvCache.Type.F32, 5);
            float[] all = s.forwardAll(prompt, 0, prompt.length);
            int nVocab = all.length / prompt.length;
            for (int p = 0; p < prompt.length; p++) {
                double err = ModelConformanceTest.relativeError(Arrays.copyOfRange(all, p * nVocab, (p + 1) * nVocab),
                        ModelConformanceTest.floats(ref.get("logits").get(p)));
                assertTrue(err <= 1e-3, "position " + p + ": " + err);
            }
            assertEquals(prompt.length, s.position());
        }
    }
}
