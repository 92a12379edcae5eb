package dev.hearth.engine.model;

import java.util.List;

/**
 * What sets one transformer family apart from another, as far as the forward pass is concerned. Everything that a
 * GGUF file shows by the tensors it holds (biases, q/k norms, post-norms, sub-norms, fused QKV, weight scales, a
 * separate output matrix) is read from the file; everything that is a convention of the family is here, following
 * llama.cpp's graph builders ({@code build_llama}, {@code build_phi2}, ...).
 *
 * @param norm          RMSNorm or LayerNorm for every norm of the model
 * @param activation    the FFN nonlinearity
 * @param ffn           how the FFN combines its projections
 * @param ropeStyle     which pairs of a head RoPE rotates
 * @param residual      how attention and FFN feed the residual stream (a file can still change it, see
 *                      {@link ModelConfig#residual()})
 * @param embeddingScale whether input embeddings are multiplied by sqrt(n_embd) (Gemma)
 * @param queryScaling  where the 1/sqrt(head_dim) attention scale is applied
 * @param alwaysTied    whether the lm_head is always {@code token_embd} even if the file has {@code output.weight}
 */
public record Architecture(String name, Norm norm, Activation activation, Ffn ffn, RopeStyle ropeStyle,
                           Residual residual, boolean embeddingScale, QueryScaling queryScaling, boolean alwaysTied) {

    public enum Norm {
        /** {@code x / sqrt(mean(x²) + eps) · w} */
        RMS,
        /** {@code (x − mean) / sqrt(var + eps) · w + b} */
        LAYER
    }

    public enum Activation {
        SILU,
        /** ggml's tanh approximation, looked up in an fp16 table like ggml's CPU backend ({@link Gelu}) */
        GELU,
        /** {@code max(0, x)²} (BitNet b1.58 2B-4T) */
        RELU_SQR
    }

    public enum Ffn {
        /** {@code down(act(gate·x) * (up·x))} */
        GATED,
        /** {@code up} has 2·n_ff rows: the first half is the gate (Phi-3) */
        FUSED_GATE_UP,
        /** {@code down(act(up·x))} */
        PLAIN
    }

    public enum RopeStyle {
        /** pairs (2i, 2i+1) of each head */
        NORMAL,
        /** pairs (i, i + n_rot/2) of each head */
        NEOX
    }

    public enum Residual {
        /** {@code h = x + attn(norm(x)); out = h + ffn(norm2(h))} */
        SEQUENTIAL,
        /** {@code out = x + attn(norm(x)) + ffn(norm(x))}, one norm for both (Phi-2) */
        PARALLEL_SHARED_NORM,
        /** {@code out = x + attn(norm(x)) + ffn(norm2(x))} (GPT-NeoX with use_parallel_residual) */
        PARALLEL
    }

    public enum QueryScaling {
        /** the scores are scaled inside the softmax */
        IN_SOFTMAX,
        /** Q is multiplied by the scale after RoPE, the softmax scale is 1 (Phi, Gemma) */
        QUERY
    }

    static final List<String> SUPPORTED = List.of(
            "llama", "qwen2", "qwen3", "phi2", "phi3", "gemma", "gemma2", "gemma3", "gptneox", "stablelm", "bitnet", "bitnet-b1.58");

    /** The family named by {@code general.architecture}, or an error naming it when Hearth cannot run it. */
    public static Architecture of(String name) {
        Norm rms = Norm.RMS, ln = Norm.LAYER;
        Activation silu = Activation.SILU, gelu = Activation.GELU;
        RopeStyle normal = RopeStyle.NORMAL, neox = RopeStyle.NEOX;
        Residual seq = Residual.SEQUENTIAL;
        QueryScaling soft = QueryScaling.IN_SOFTMAX, query = QueryScaling.QUERY;
        return switch (name) {
            case "llama" -> new Architecture(name, rms, silu, Ffn.GATED, normal, seq, false, soft, false);
            case "qwen2", "qwen3" -> new Architecture(name, rms, silu, Ffn.GATED, neox, seq, false, soft, false);
            case "phi2" -> new Architecture(name, ln, gelu, Ffn.PLAIN, neox, Residual.PARALLEL_SHARED_NORM, false, query, false);
            case "phi3" -> new Architecture(name, rms, silu, Ffn.FUSED_GATE_UP, neox, seq, false, query, false);
            case "gemma", "gemma2", "gemma3" -> new Architecture(name, rms, gelu, Ffn.GATED, neox, seq, true, query, true);
            case "gptneox" -> new Architecture(name, ln, gelu, Ffn.PLAIN, neox, Residual.PARALLEL, false, soft, false);
            case "stablelm" -> new Architecture(name, ln, silu, Ffn.GATED, neox, seq, false, soft, false);
            case "bitnet" -> new Architecture(name, rms, silu, Ffn.GATED, neox, seq, false, soft, true);
            // Microsoft's BitNet b1.58 2B-4T (bitnet.cpp's build_bitnet_158): squared ReLU, I2_S weights
            case "bitnet-b1.58" -> new Architecture(name, rms, Activation.RELU_SQR, Ffn.GATED, neox, seq, false, soft, false);
            default -> throw new UnsupportedOperationException("model architecture '" + name
                    + "' is not supported by Hearth; supported: " + String.join(", ", SUPPORTED));
        };
    }
}
