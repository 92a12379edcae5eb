package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.model.Architecture.Residual;

import java.util.Arrays;

/**
 * The hyperparameters of a model, read from the {@code {arch}.*} metadata keys with llama.cpp's defaults
 * ({@code llama_model::load_hparams}).
 *
 * @param keyLength      per-head width of Q and K (not always n_embd / n_head: Qwen3, Gemma 3)
 * @param normEps        epsilon of every norm (RMS or LayerNorm, per the architecture)
 * @param residual       the architecture's residual wiring as this file configures it
 * @param embeddingScale multiplier of the input embeddings, 0 for none
 * @param attentionScale the scale of the attention scores (applied per {@link Architecture#queryScaling()})
 * @param attnSoftcap    {@code c·tanh(s/c)} on the attention scores before the softmax, 0 for none
 * @param finalSoftcap   the same on the output logits, 0 for none
 * @param slidingWindow  key j is hidden from query p when {@code p − j ≥ slidingWindow} on sliding layers; 0 none
 * @param slidingLayers  which layers use the sliding window
 * @param rope           RoPE of global layers
 * @param ropeSliding    RoPE of sliding-window layers (Gemma 3 uses another base there)
 */
public record ModelConfig(Architecture architecture, int embeddingLength, int layerCount, int headCount,
                          int headCountKv, int keyLength, int valueLength, int feedForwardLength,
                          int vocabularySize, int contextLength, float normEps, Residual residual,
                          float embeddingScale, float attentionScale, float attnSoftcap, float finalSoftcap,
                          int slidingWindow, boolean[] slidingLayers, Rope rope, Rope ropeSliding) {

    public boolean isSliding(int layer) {
        return slidingWindow > 0 && slidingLayers[layer];
    }

    public Rope rope(int layer) {
        return isSliding(layer) ? ropeSliding : rope;
    }

    static ModelConfig read(GgufFile f) {
        String name = f.getString("general.architecture");
        Architecture arch = Architecture.of(name);
        Keys k = new Keys(f, name);

        int nEmbd = k.integer("embedding_length");
        int nLayer = k.integer("block_count");
        int nHead = k.perLayer("attention.head_count", nLayer, -1);
        int nHeadKv = k.perLayer("attention.head_count_kv", nLayer, nHead);
        int nFf = k.perLayer("feed_forward_length", nLayer, -1);
        int keyLength = k.integer("attention.key_length", nEmbd / nHead);
        int valueLength = k.integer("attention.value_length", nEmbd / nHead);
        int nCtxTrain = k.integer("context_length");
        if (nHead <= 0 || nHeadKv <= 0 || nHead % nHeadKv != 0) {
            throw new IllegalArgumentException(name + ": " + nHead + " heads cannot share " + nHeadKv + " KV heads");
        }

        GgufTensor embd = f.tensor("token_embd.weight");
        if (embd == null) throw new IllegalArgumentException(name + ": tensor token_embd.weight is missing");
        int nVocab = Math.toIntExact(embd.rows());

        float eps = arch.norm() == Architecture.Norm.RMS
                ? k.real("attention.layer_norm_rms_epsilon") : k.real("attention.layer_norm_epsilon");

        Residual residual = arch.residual();
        if (name.equals("gptneox") && !f.getBool(name + ".use_parallel_residual", false)) residual = Residual.SEQUENTIAL;
        if (name.equals("stablelm") && f.tensor("blk.0.ffn_norm.weight") == null) residual = Residual.PARALLEL_SHARED_NORM;

        float embeddingScale = arch.embeddingScale() ? (float) Math.sqrt((float) nEmbd) : 0;

        // llama.cpp: 1/sqrt(head_dim), except Gemma 2/3 "27B" (46 / 62 layers) use 1/sqrt(n_embd/n_head)
        float attentionScale = 1.0f / (float) Math.sqrt((float) keyLength);
        if ((name.equals("gemma2") && nLayer == 46) || (name.equals("gemma3") && nLayer == 62)) {
            attentionScale = 1.0f / (float) Math.sqrt((float) (nEmbd / nHead));
        }

        float attnSoftcap = 0, finalSoftcap = 0;
        int window = 0;
        boolean[] sliding = new boolean[nLayer];
        float ropeBaseSliding = Float.NaN;
        switch (name) {
            case "gemma2" -> {
                // llama.cpp applies both soft-caps to every Gemma 2, with these defaults when the keys are absent
                attnSoftcap = k.real("attn_logit_softcapping", 50.0f);
                finalSoftcap = k.real("final_logit_softcapping", 30.0f);
                window = k.integer("attention.sliding_window", 4096);
                for (int il = 0; il < nLayer; il++) sliding[il] = il % 2 == 0;
            }
            case "gemma3" -> {
                finalSoftcap = k.real("final_logit_softcapping", 0.0f);
                window = k.integer("attention.sliding_window", 0);
                int pattern = k.integer("attention.sliding_window_pattern", 6);
                for (int il = 0; il < nLayer; il++) sliding[il] = pattern == 0 || il % pattern < pattern - 1;
                ropeBaseSliding = k.real("rope.freq_base_swa", 10000.0f);
            }
            case "phi3" -> {
                // b4747 masks every layer by phi3.attention.sliding_window (newer llama.cpp ignores it)
                window = k.integer("attention.sliding_window", 0);
                Arrays.fill(sliding, true);
            }
            case "llama" -> {
                // Mistral-style files declare a window for all layers (b4747 reads no such key for llama)
                window = k.integer("attention.sliding_window", 0);
                Arrays.fill(sliding, true);
            }
            default -> { }
        }

        int nRot = k.integer("rope.dimension_count", keyLength);
        if (name.equals("llama") && nRot != keyLength) {
            throw new IllegalArgumentException("llama: rope.dimension_count " + nRot + " must equal the head size " + keyLength);
        }
        float base = k.real("rope.freq_base", 10000.0f);
        String scaling = k.string("rope.scaling.type", "linear");
        float factor = k.real("rope.scaling.factor", k.real("rope.scale_linear", 0.0f));
        float freqScale = switch (scaling) {
            case "none" -> 1.0f;
            case "linear", "yarn", "longrope" -> factor == 0.0f ? 1.0f : 1.0f / factor;
            default -> throw new UnsupportedOperationException(name + ": rope scaling type '" + scaling + "' is not supported");
        };
        float extFactor = scaling.equals("yarn") ? 1.0f : 0.0f;
        float attnFactor = k.real("rope.scaling.attn_factor", 1.0f);
        int origCtx = k.integer("rope.scaling.original_context_length", nCtxTrain);
        Rope rope = new Rope(arch.ropeStyle(), nRot, base, freqScale, extFactor, attnFactor, origCtx, 32.0f, 1.0f);
        Rope ropeSliding = Float.isNaN(ropeBaseSliding) ? rope
                : new Rope(arch.ropeStyle(), nRot, ropeBaseSliding, 1.0f, 0.0f, attnFactor, origCtx, 32.0f, 1.0f);
        if (nRot > keyLength) throw new IllegalArgumentException(name + ": rope.dimension_count " + nRot + " > head size " + keyLength);

        return new ModelConfig(arch, nEmbd, nLayer, nHead, nHeadKv, keyLength, valueLength, nFf, nVocab, nCtxTrain,
                eps, residual, embeddingScale, attentionScale, attnSoftcap, finalSoftcap, window, sliding, rope,
                ropeSliding);
    }

    /** Reads {@code arch.key} metadata. */
    private record Keys(GgufFile f, String arch) {
        int integer(String key) {
            return f.getInt(arch + "." + key);
        }

        int integer(String key, int orElse) {
            return f.getInt(arch + "." + key, orElse);
        }

        float real(String key) {
            return f.getFloat(arch + "." + key);
        }

        float real(String key, float orElse) {
            return f.getFloat(arch + "." + key, orElse);
        }

        String string(String key, String orElse) {
            return f.getString(arch + "." + key, orElse);
        }

        /** A per-layer value given as one number or an array; Hearth needs all layers equal. */
        int perLayer(String key, int nLayer, int orElse) {
            String full = arch + "." + key;
            if (!f.has(full)) {
                if (orElse < 0) throw new IllegalArgumentException("metadata key '" + full + "' is missing");
                return orElse;
            }
            if (!(f.metadata().get(full) instanceof GgufArray a)) return f.getInt(full);
            long[] v = new long[a.length()];
            for (int i = 0; i < v.length; i++) v[i] = ((Number) java.lang.reflect.Array.get(a.values(), i)).longValue();
            if (v.length != nLayer || Arrays.stream(v).distinct().count() != 1) {
                throw new UnsupportedOperationException(arch + ": per-layer " + key + " " + Arrays.toString(v)
                        + " is not supported (all layers must be equal)");
            }
            return Math.toIntExact(v[0]);
        }
    }
}
