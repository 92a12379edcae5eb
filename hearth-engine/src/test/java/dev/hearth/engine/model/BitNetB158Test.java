package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.I2_S;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Microsoft's {@code bitnet-b1.58} architecture with I2_S weights (the layout of bitnet-b1.58-2B-4T's GGUF, at a toy
 * size): the I2_S file must compute what the same ternary weights stored as floats compute, up to the 8-bit
 * quantization of the activations (W1.58A8).
 */
class BitNetB158Test {
    private static final int E = 128, FF = 256, HEADS = 4, KV_HEADS = 2, LAYERS = 2, VOCAB = 64;

    @TempDir
    Path dir;

    @Test
    void i2sModelMatchesTheSameTernaryWeightsInF32() throws IOException {
        Path i2s = write(true), f32 = write(false);
        try (GgufFile a = GgufFile.open(i2s); GgufFile b = GgufFile.open(f32)) {
            assertEquals(GgmlType.I2_S, a.tensor("blk.0.attn_q.weight").type());
            Model ma = Model.load(a), mb = Model.load(b);
            assertEquals("bitnet-b1.58", ma.config().architecture().name());
            int[] prompt = {1, 5, 9, 33, 17, 60, 2, 40};
            float[] la = ma.newSession(64, KvCache.Type.F32).forwardAll(prompt, 0, prompt.length);
            float[] lb = mb.newSession(64, KvCache.Type.F32).forwardAll(prompt, 0, prompt.length);
            for (int t = 0; t < prompt.length; t++) {
                float[] x = Arrays.copyOfRange(la, t * VOCAB, (t + 1) * VOCAB), y = Arrays.copyOfRange(lb, t * VOCAB, (t + 1) * VOCAB);
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE, diff = 0;
                for (int i = 0; i < VOCAB; i++) {
                    min = Math.min(min, y[i]);
                    max = Math.max(max, y[i]);
                    diff = Math.max(diff, Math.abs(x[i] - y[i]));
                }
                assertTrue(max - min > 0.1f, "logits vary");
                assertTrue(diff <= 0.03f * (max - min), "position " + t + ": differs by " + diff / (max - min) + " of the range");
            }
        }
    }

    @Test
    void unknownTypesAndArchitecturesAreNamed() {
        assertThrows(UnsupportedOperationException.class, () -> Architecture.of("bitnet-2"));
        assertEquals(Architecture.Activation.RELU_SQR, Architecture.of("bitnet-b1.58").activation());
    }

    /** A toy bitnet-b1.58 model: ternary q/k/v/o/gate/up/down with one scale per tensor, F32 norms and embeddings. */
    private Path write(boolean i2s) throws IOException {
        Random r = new Random(42);
        String a = "bitnet-b1.58";
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", a);
        w.putU32(a + ".context_length", 4096);
        w.putU32(a + ".embedding_length", E);
        w.putU32(a + ".block_count", LAYERS);
        w.putU32(a + ".feed_forward_length", FF);
        w.putU32(a + ".attention.head_count", HEADS);
        w.putU32(a + ".attention.head_count_kv", KV_HEADS);
        w.putF32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
        w.putF32(a + ".rope.freq_base", 500000f);
        w.putU32("general.file_type", 40);
        w.addTensor("token_embd.weight", gaussian(r, E * VOCAB, 1f), E, VOCAB);
        w.addTensor("output_norm.weight", ones(E), E);
        int kv = E / HEADS * KV_HEADS;
        for (int il = 0; il < LAYERS; il++) {
            String p = "blk." + il + ".";
            w.addTensor(p + "attn_norm.weight", ones(E), E);
            w.addTensor(p + "attn_sub_norm.weight", ones(E), E);
            w.addTensor(p + "ffn_norm.weight", ones(E), E);
            w.addTensor(p + "ffn_sub_norm.weight", ones(FF), FF);
            ternary(w, i2s, r, p + "attn_q.weight", E, E);
            ternary(w, i2s, r, p + "attn_k.weight", E, kv);
            ternary(w, i2s, r, p + "attn_v.weight", E, kv);
            ternary(w, i2s, r, p + "attn_output.weight", E, E);
            ternary(w, i2s, r, p + "ffn_gate.weight", E, FF);
            ternary(w, i2s, r, p + "ffn_up.weight", E, FF);
            ternary(w, i2s, r, p + "ffn_down.weight", FF, E);
        }
        Path path = dir.resolve(i2s ? "i2s.gguf" : "f32.gguf");
        w.write(path);
        return path;
    }

    private static void ternary(GgufWriter w, boolean i2s, Random r, String name, int cols, int rows) {
        float scale = 0.02f + r.nextFloat() * 0.05f;
        float[] t = new float[cols * rows];
        for (int i = 0; i < t.length; i++) t[i] = r.nextInt(3) - 1;
        if (!i2s) {
            for (int i = 0; i < t.length; i++) t[i] *= scale;
            w.addTensor(name, t, cols, rows);
            return;
        }
        MemorySegment data = Arena.ofAuto().allocate(GgmlType.I2_S.tensorBytes(t.length));
        I2_S.INSTANCE.quantize(t, 0, data, 0, t.length);
        data.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), t.length / 4, scale);
        w.addTensor(name, GgmlType.I2_S, new long[] {cols, rows}, data);
    }

    private static float[] gaussian(Random r, int n, float s) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian() * s;
        return a;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1);
        return a;
    }
}
