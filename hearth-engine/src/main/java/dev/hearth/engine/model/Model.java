package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.model.Architecture.Ffn;
import dev.hearth.engine.tensor.BlockFormat;
import dev.hearth.engine.tensor.GgmlType;

/**
 * A transformer loaded from a GGUF file: its {@link ModelConfig} and weights, used in place on the file's mapping.
 * Immutable and shareable; each sequence being generated has its own {@link Session}. The file must stay open while
 * the model is used.
 */
public final class Model {
    private final ModelConfig config;
    private final GgufTensor tokenEmbedding;
    private final BlockFormat embeddingFormat;
    private final long embeddingRowBytes;
    private final Layer[] layers;
    private final Norm outputNorm;
    private final Linear output;
    private final float[] ropeFreqs, ropeLong, ropeShort;

    private Model(ModelConfig config, GgufTensor tokenEmbedding, Layer[] layers, Norm outputNorm, Linear output,
                  float[] ropeFreqs, float[] ropeLong, float[] ropeShort) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.embeddingFormat = BlockFormat.of(tokenEmbedding.type());
        this.embeddingRowBytes = tokenEmbedding.type().byteSize(tokenEmbedding.cols());
        this.layers = layers;
        this.outputNorm = outputNorm;
        this.output = output;
        this.ropeFreqs = ropeFreqs;
        this.ropeLong = ropeLong;
        this.ropeShort = ropeShort;
    }

    /**
     * Reads the configuration and binds every tensor the architecture needs. Fails, naming the culprit, on an
     * architecture Hearth does not run, a tensor type it has no kernels for, or a missing or misshapen tensor.
     */
    public static Model load(GgufFile file) {
        ModelConfig c = ModelConfig.read(file);
        KernelWarmup warmup = KernelWarmup.start(file);
        try {
            return bind(file, c);
        } finally {
            warmup.stop(); // once loaded, the model's own work takes the cores
        }
    }

    private static Model bind(GgufFile file, ModelConfig c) {
        Tensors t = new Tensors(file, c);
        int e = c.embeddingLength(), qDim = c.headCount() * c.keyLength();
        int kDim = c.headCountKv() * c.keyLength(), vDim = c.headCountKv() * c.valueLength();
        int ff = c.feedForwardLength();

        GgufTensor embd = file.tensor("token_embd.weight");
        t.supported(embd);
        t.shape(embd, e, c.vocabularySize());

        Layer[] layers = new Layer[c.layerCount()];
        for (int il = 0; il < layers.length; il++) {
            String p = "blk." + il + ".";
            Norm attnNorm = t.norm(p + "attn_norm", e, true);
            Linear q = null, k = null, v = null, qkv = null;
            if (file.tensor(p + "attn_qkv.weight") != null) {
                qkv = t.linear(p + "attn_qkv", e, qDim + kDim + vDim, true);
            } else {
                q = t.linear(p + "attn_q", e, qDim, true);
                k = t.linear(p + "attn_k", e, kDim, true);
                v = t.linear(p + "attn_v", e, vDim, true);
            }
            Norm qNorm = t.headNorm(p + "attn_q_norm", c.keyLength(), c.headCount());
            Norm kNorm = t.headNorm(p + "attn_k_norm", c.keyLength(), c.headCountKv());
            Norm attnSubNorm = t.norm(p + "attn_sub_norm", c.headCount() * c.valueLength(), false);
            Linear wo = t.linear(p + "attn_output", c.headCount() * c.valueLength(), e, true);
            Norm postAttnNorm = t.norm(p + "post_attention_norm", e, false);
            Norm ffnNorm = t.norm(p + "ffn_norm", e, false);
            if (ffnNorm == null && c.residual() != Architecture.Residual.PARALLEL_SHARED_NORM) {
                throw new IllegalArgumentException(c.architecture().name() + ": tensor " + p + "ffn_norm.weight is missing");
            }
            Ffn kind = c.architecture().ffn();
            Linear gate = kind == Ffn.GATED ? t.linear(p + "ffn_gate", e, ff, true) : null;
            Linear up = t.linear(p + "ffn_up", e, kind == Ffn.FUSED_GATE_UP ? 2 * ff : ff, true);
            Norm ffnSubNorm = t.norm(p + "ffn_sub_norm", ff, false);
            Linear down = t.linear(p + "ffn_down", ff, e, true);
            Norm postFfnNorm = t.norm(p + "post_ffw_norm", e, false);
            layers[il] = new Layer(attnNorm, q, k, v, qkv, qNorm, kNorm, attnSubNorm, wo, postAttnNorm, ffnNorm,
                    gate, up, ffnSubNorm, down, postFfnNorm);
        }

        Norm outputNorm = t.norm("output_norm", e, true);
        Linear output;
        if (c.architecture().alwaysTied() || file.tensor("output.weight") == null) {
            output = new Linear(Matrix.of(embd), null, 1.0f);
        } else {
            output = t.linear("output", e, c.vocabularySize(), true);
        }
        int half = c.rope().dims() / 2;
        float[] freqs = t.vector("rope_freqs.weight", half);
        float[] ropeLong = t.vector("rope_factors_long.weight", half);
        float[] ropeShort = t.vector("rope_factors_short.weight", half);
        return new Model(c, embd, layers, outputNorm, output, freqs, ropeLong, ropeShort);
    }

    /**
     * About the memory the file's weights take once loaded: the file's size, plus what the copies of weights in a
     * faster layout add (see {@link Matrix#loadedGrowth}); the KV caches come on top.
     */
    public static long memoryBytes(GgufFile file) {
        long bytes = file.fileSize();
        for (GgufTensor t : file.tensors().values()) {
            if (t.shape().length >= 2) bytes += Matrix.loadedGrowth(t.type(), t.rows(), t.cols());
        }
        return bytes;
    }

    public ModelConfig config() {
        return config;
    }

    /** A new sequence with the given context size (KV cache capacity) and KV cache element type. */
    public Session newSession(int contextLength, KvCache.Type kvType) {
        return newSession(contextLength, kvType, Session.DEFAULT_BATCH);
    }

    /** As {@link #newSession(int, KvCache.Type)}, processing at most {@code maxBatch} tokens per pass. */
    public Session newSession(int contextLength, KvCache.Type kvType, int maxBatch) {
        return new Session(this, contextLength, kvType, maxBatch);
    }

    Layer layer(int il) {
        return layers[il];
    }

    Norm outputNorm() {
        return outputNorm;
    }

    Linear output() {
        return output;
    }

    /**
     * Per-pair RoPE frequency factors: llama3's {@code rope_freqs}, or Phi-3's long factors when the context is
     * longer than the original training context (else the short ones), as llama.cpp chooses them; null for none.
     */
    float[] ropeFactors(int contextLength) {
        if (ropeFreqs != null) return ropeFreqs;
        if (ropeLong != null && contextLength > config.rope().originalContext()) return ropeLong;
        return ropeShort;
    }

    /** Writes the embedding of {@code token} to {@code dst[off .. off + n_embd)} (dequantized like ggml_get_rows). */
    void embed(int token, float[] dst, int off) {
        if (token < 0 || token >= config.vocabularySize()) {
            throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + config.vocabularySize());
        }
        embeddingFormat.dequantize(tokenEmbedding.data(), token * embeddingRowBytes, dst, off, config.embeddingLength());
    }

    /** Looks tensors up by name and checks their shapes. */
    private record Tensors(GgufFile file, ModelConfig c) {
        GgufTensor get(String name, boolean required) {
            GgufTensor t = file.tensor(name);
            if (t == null && required) {
                throw new IllegalArgumentException(c.architecture().name() + ": tensor " + name + " is missing");
            }
            return t;
        }

        /** Fails, naming the tensor and its type, when Hearth has no kernels for the type. */
        void supported(GgufTensor t) {
            try {
                BlockFormat.of(t.type());
            } catch (UnsupportedOperationException e) {
                throw new UnsupportedOperationException("tensor " + t.name() + ": " + e.getMessage(), e);
            }
        }

        void shape(GgufTensor t, long cols, long rows) {
            if (t.shape().length > 2 || t.cols() != cols || t.rows() != rows) {
                throw new IllegalArgumentException("tensor " + t.name() + " has shape " + java.util.Arrays.toString(t.shape())
                        + ", expected [" + cols + ", " + rows + "]");
            }
        }

        Linear linear(String name, int cols, int rows, boolean required) {
            GgufTensor w = get(name + ".weight", required);
            if (w == null) return null;
            supported(w);
            shape(w, cols, rows);
            float[] bias = vector(name + ".bias", rows);
            float[] scale = vector(name + ".scale", 1);
            float s = scale != null ? scale[0] : 1.0f;
            if (w.type() == GgmlType.I2_S) { // the tensor's scale is the float at the start of its 32-byte tail
                s *= w.data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                        w.data().byteSize() - 32);
            }
            return new Linear(Matrix.of(w), bias, s);
        }

        Norm norm(String name, int n, boolean required) {
            GgufTensor w = get(name + ".weight", required);
            if (w == null) return null;
            return new Norm(c.architecture().norm(), c.normEps(), vector(name + ".weight", n), vector(name + ".bias", n));
        }

        /** A q/k norm over each head: one head's weights shared by all heads, or one set per head. */
        Norm headNorm(String name, int headDim, int heads) {
            GgufTensor w = get(name + ".weight", false);
            if (w == null) return null;
            int n = w.elementCount() == (long) headDim * heads ? headDim * heads : headDim;
            return new Norm(c.architecture().norm(), c.normEps(), vector(name + ".weight", n), vector(name + ".bias", n));
        }

        /** A tensor of exactly {@code n} values as floats, or null when absent. */
        float[] vector(String name, int n) {
            GgufTensor t = file.tensor(name);
            if (t == null) return null;
            if (t.elementCount() != n) {
                throw new IllegalArgumentException("tensor " + name + " has " + t.elementCount() + " values, expected " + n);
            }
            return floats(t);
        }

        static float[] floats(GgufTensor t) {
            float[] v = new float[Math.toIntExact(t.elementCount())];
            GgmlType type = t.type();
            BlockFormat.of(type).dequantize(t.data(), 0, v, 0, v.length);
            return v;
        }
    }
}
