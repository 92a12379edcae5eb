package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Model;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static dev.hearth.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth synth}: cut-down variants of each shape load, tokenize and run a forward step. */
class SynthCommandTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"llama-3.2-1b,q8_0,llama", "llama-3.2-1b,q4_k_m,llama", "qwen2.5-0.5b,q4_0,qwen2",
            "qwen2.5-0.5b,q4_k_m,qwen2", "smollm2-135m,q4_k_m,llama", "smollm2-135m,f16,llama", "qwen2.5-0.5b,bf16,qwen2"})
    void aCutDownModelLoadsAndRuns(String shape, String type, String arch) throws Exception {
        Path file = tmp.resolve(shape + "-" + type + ".gguf");
        Cli.Run r = run("synth", "--shape", shape, "--type", type, "-o", file.toString(),
                "--layers", "8", "--embd", "256", "--vocab", "2048");
        assertEquals(0, r.exit(), r.err());
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(arch, f.getString("general.architecture"));
            assertEquals(8, f.getInt(arch + ".block_count"));
            assertEquals(2048, f.getArray("tokenizer.ggml.tokens").length());
            assertFalse(f.tensors().containsKey("output.weight"), "the output matrix is tied to the embeddings");
            assertEquals(shape.startsWith("qwen"), f.tensors().containsKey("blk.0.attn_q.bias"));
            for (GgufTensor t : f.tensors().values()) {
                if (t.shape().length == 1) assertEquals(GgmlType.F32, t.type(), t.name());
                else if (type.endsWith("f16")) assertEquals(GgmlType.valueOf(type.toUpperCase(Locale.ROOT)), t.type(), t.name());
            }
            Model m = Model.load(f);
            Session s = m.newSession(64, KvCache.Type.F16);
            Tokenizer tok = Tokenizer.fromGguf(f);
            int[] prompt = tok.encode("hello world, the quick brown fox", true, false);
            assertTrue(prompt.length > 3);
            float[] logits = s.forward(prompt, 0, prompt.length);
            assertEquals(2048, logits.length);
            for (float v : logits) assertTrue(Float.isFinite(v));
            float[] next = s.forward(prompt[0]);
            for (float v : next) assertTrue(Float.isFinite(v));
        }
    }

    /** llama.cpp's Q4_K_M rules: Q6_K attn_v/ffn_down in the "more bits" layers, the tied embeddings as output. */
    @Test
    void q4KmUsesLlamaCppsMix() throws Exception {
        Path file = tmp.resolve("mix.gguf");
        assertEquals(0, run("synth", "--shape", "llama-3.2-1b", "--type", "q4_k_m", "-o", file.toString(),
                "--layers", "16", "--embd", "256", "--vocab", "1024").exit());
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(GgmlType.Q6_K, f.tensors().get("token_embd.weight").type());
            Set<Integer> moreBits = new HashSet<>(List.of(0, 1, 4, 7, 10, 13, 14, 15)); // 16 layers: < 2, >= 14, every 3rd
            for (int i = 0; i < 16; i++) {
                GgmlType expected = moreBits.contains(i) ? GgmlType.Q6_K : GgmlType.Q4_K;
                assertEquals(expected, f.tensors().get("blk." + i + ".attn_v.weight").type(), "layer " + i);
                assertEquals(GgmlType.Q4_K, f.tensors().get("blk." + i + ".attn_q.weight").type());
            }
            assertTrue(f.tensors().containsKey("rope_freqs.weight"));
        }
        // A width that is not a multiple of 256 falls back as llama.cpp does: Q4_K -> Q5_0, tied output -> Q8_0.
        Path qwen = tmp.resolve("qwen.gguf");
        assertEquals(0, run("synth", "--shape", "qwen2.5-0.5b", "--type", "q4_k_m", "-o", qwen.toString(),
                "--layers", "2", "--embd", "128", "--vocab", "1024").exit());
        try (GgufFile f = GgufFile.open(qwen)) {
            assertEquals(GgmlType.Q8_0, f.tensors().get("token_embd.weight").type());
            assertEquals(GgmlType.Q5_0, f.tensors().get("blk.0.attn_q.weight").type());
        }
    }

    @Test
    void refusesAnUnknownShapeOrType() {
        Cli.Run r = run("synth", "--shape", "gpt-5", "--type", "q8_0", "-o", tmp.resolve("x.gguf").toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("unknown shape"), r.err());
        r = run("synth", "--shape", "smollm2-135m", "--type", "q3_k", "-o", tmp.resolve("x.gguf").toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("unknown type"), r.err());
    }
}
