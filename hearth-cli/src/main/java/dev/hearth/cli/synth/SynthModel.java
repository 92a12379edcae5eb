package dev.hearth.cli.synth;

import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.tensor.BlockFormat;
import dev.hearth.engine.tensor.GgmlType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a GGUF file with a real model's shape, metadata and quantization mix but random weights, for speed
 * measurements (speed does not depend on the values). Quantized weights are rows drawn at random from a small pool
 * of rows quantized from Gaussian values (standard deviation 0.02, as initialised weights), so that a 1 GB file
 * takes seconds, and every block is one the real quantizer made: sane scales, no NaN or infinity.
 */
public final class SynthModel {
    private static final int POOL_ROWS = 64;
    private static final float STD = 0.02f;

    /** One tensor to write; {@code values} is set for the F32 ones. */
    private record Tensor(String name, GgmlType type, long[] shape, float[] values) {
        long rowLength() { return shape[0]; }
        long rows() { return shape.length == 1 ? 1 : shape[1]; }
    }

    private final SynthShape shape;
    private final QuantMix mix;
    private final Random random;
    private final Map<String, byte[][]> pools = new HashMap<>();

    public SynthModel(SynthShape shape, QuantMix mix, long seed) {
        this.shape = shape;
        this.mix = mix;
        this.random = new Random(seed);
    }

    /** Writes the file; returns its size in bytes. */
    public long write(Path path) throws IOException {
        GgufWriter w = new GgufWriter();
        putMetadata(w);
        List<Tensor> tensors = tensors();
        for (Tensor t : tensors) w.declareTensor(t.name, t.type, t.shape);
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        long dataStart = w.writeHeader(header);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(header.toByteArray()), 0);
            ByteBuffer chunk = ByteBuffer.allocateDirect(8 << 20);
            long end = dataStart;
            for (Tensor t : tensors) {
                long pos = dataStart + w.dataOffset(t.name);
                if (t.values != null) {
                    ByteBuffer b = ByteBuffer.allocate(t.values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(t.values);
                    pos += writeFully(ch, b, pos);
                } else {
                    byte[][] pool = pool(t.type, (int) t.rowLength());
                    chunk.clear();
                    for (long r = 0; r < t.rows(); r++) {
                        byte[] row = pool[random.nextInt(pool.length)];
                        if (chunk.remaining() < row.length) {
                            chunk.flip();
                            pos += writeFully(ch, chunk, pos);
                            chunk.clear();
                        }
                        chunk.put(row);
                    }
                    chunk.flip();
                    pos += writeFully(ch, chunk, pos);
                }
                end = Math.max(end, pos);
            }
            // End on the alignment (general.alignment = 32), as GgufWriter.write pads after every tensor.
            long padded = (end + 31) / 32 * 32;
            if (padded > end) writeFully(ch, ByteBuffer.allocate((int) (padded - end)), end);
            return ch.size();
        }
    }

    private static long writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        long n = 0;
        while (b.hasRemaining()) n += ch.write(b, pos + n);
        return n;
    }

    private byte[][] pool(GgmlType type, int rowLength) {
        return pools.computeIfAbsent(type + "/" + rowLength, k -> {
            BlockFormat format = BlockFormat.of(type);
            int rowBytes = (int) type.byteSize(rowLength);
            byte[][] rows = new byte[POOL_ROWS][];
            float[] values = new float[rowLength];
            for (int r = 0; r < POOL_ROWS; r++) {
                for (int i = 0; i < rowLength; i++) values[i] = (float) random.nextGaussian() * STD;
                rows[r] = new byte[rowBytes];
                format.quantize(values, 0, MemorySegment.ofArray(rows[r]), 0, rowLength);
            }
            return rows;
        });
    }

    private void putMetadata(GgufWriter w) {
        String a = shape.architecture();
        w.putString("general.architecture", a);
        w.putString("general.type", "model");
        w.putString("general.name", "synthetic " + shape.name() + " (random weights)");
        w.putU32("general.alignment", 32);
        w.putU32(a + ".block_count", shape.layers());
        w.putU32(a + ".context_length", shape.context());
        w.putU32(a + ".embedding_length", shape.embedding());
        w.putU32(a + ".feed_forward_length", shape.feedForward());
        w.putU32(a + ".attention.head_count", shape.heads());
        w.putU32(a + ".attention.head_count_kv", shape.headsKv());
        w.putF32(a + ".rope.freq_base", shape.ropeTheta());
        w.putF32(a + ".attention.layer_norm_rms_epsilon", shape.rmsEps());
        w.putU32(a + ".attention.key_length", shape.headDim());
        w.putU32(a + ".attention.value_length", shape.headDim());
        w.putU32(a + ".rope.dimension_count", shape.headDim());
        w.putU32(a + ".vocab_size", shape.vocabulary());
        w.putU32("general.file_type", mix.fileType);
        SynthVocab vocab = SynthVocab.build(shape, random.nextLong());
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", shape.pre());
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, vocab.tokens());
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, vocab.types());
        w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, vocab.merges());
        w.putU32("tokenizer.ggml.bos_token_id", shape.bos());
        w.putU32("tokenizer.ggml.eos_token_id", shape.eos());
        w.putU32("tokenizer.ggml.eot_token_id", shape.eot());
        w.putBool("tokenizer.ggml.add_bos_token", shape.addBos());
        w.putBool("tokenizer.ggml.add_eos_token", false);
        w.putString("tokenizer.chat_template", shape.chatTemplate());
        w.putU32("general.quantization_version", 2);
    }

    private List<Tensor> tensors() {
        int e = shape.embedding(), l = shape.layers(), ff = shape.feedForward(), kv = shape.headsKv() * shape.headDim();
        List<Tensor> list = new ArrayList<>();
        list.add(matrix("token_embd.weight", -1, e, shape.vocabulary(), true));
        if (shape.llama3Rope()) list.add(new Tensor("rope_freqs.weight", GgmlType.F32, new long[] {shape.headDim() / 2}, llama3RopeFactors()));
        list.add(vector("output_norm.weight", e, 1f, 0.02f));
        for (int i = 0; i < l; i++) {
            String p = "blk." + i + ".";
            list.add(vector(p + "attn_norm.weight", e, 1f, 0.02f));
            list.add(matrix(p + "attn_q.weight", i, e, e, false));
            list.add(matrix(p + "attn_k.weight", i, e, kv, false));
            list.add(matrix(p + "attn_v.weight", i, e, kv, false));
            if (shape.qkvBias()) {
                list.add(vector(p + "attn_q.bias", e, 0f, STD));
                list.add(vector(p + "attn_k.bias", kv, 0f, STD));
                list.add(vector(p + "attn_v.bias", kv, 0f, STD));
            }
            list.add(matrix(p + "attn_output.weight", i, e, e, false));
            list.add(vector(p + "ffn_norm.weight", e, 1f, 0.02f));
            list.add(matrix(p + "ffn_gate.weight", i, e, ff, false));
            list.add(matrix(p + "ffn_up.weight", i, e, ff, false));
            list.add(matrix(p + "ffn_down.weight", i, ff, e, false));
        }
        return list;
    }

    private Tensor matrix(String name, int layer, int rowLength, int rows, boolean tiedOutput) {
        String role = layer < 0 ? name : name.substring(name.indexOf('.', 4) + 1);
        GgmlType type = mix.typeOf(role, layer, shape.layers(), rowLength, tiedOutput);
        return new Tensor(name, type, new long[] {rowLength, rows}, null);
    }

    private Tensor vector(String name, int n, float mean, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = mean + (float) random.nextGaussian() * std;
        return new Tensor(name, GgmlType.F32, new long[] {n}, v);
    }

    /**
     * Llama 3.1's rope scaling (factor 32, low-frequency factor 1, high-frequency factor 4, original context 8192)
     * as the per-dimension divisors of the rotation frequencies that llama.cpp's converter stores.
     */
    private float[] llama3RopeFactors() {
        double factor = 32, low = 1, high = 4, original = 8192;
        double lowWavelen = original / low, highWavelen = original / high;
        int d = shape.headDim();
        float[] f = new float[d / 2];
        for (int i = 0; i < f.length; i++) {
            double freq = 1.0 / Math.pow(shape.ropeTheta(), 2.0 * i / d);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) f[i] = 1;
            else if (wavelen > lowWavelen) f[i] = (float) factor;
            else {
                double smooth = (original / wavelen - low) / (high - low);
                f[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return f;
    }
}
