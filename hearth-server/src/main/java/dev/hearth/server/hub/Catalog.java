package dev.hearth.server.hub;

import java.util.List;

/**
 * A short list of small chat models that run well on CPUs, for people who do not know what to pull yet (served at
 * {@code GET /api/hearth/catalog}). Sizes are those of the listed quantization's file, rounded.
 */
public final class Catalog {
    private Catalog() {}

    public record Model(String name, String repo, String quant, long sizeBytes, String description) {
        /** What {@code hearth pull} takes. */
        public String reference() {
            return repo + ":" + quant;
        }
    }

    public static final List<Model> MODELS = List.of(
            new Model("SmolLM2-360M-Instruct", "bartowski/SmolLM2-360M-Instruct-GGUF", "Q4_K_M", 271_000_000L,
                    "Hugging Face's 360M chat model: tiny and fast, for trying things out."),
            new Model("Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "Q4_K_M", 398_000_000L,
                    "Alibaba's 0.5B chat model; many languages, 32k context."),
            new Model("Llama-3.2-1B-Instruct", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M", 808_000_000L,
                    "Meta's 1B chat model (gated licence on Meta's own repository; this copy is open)."),
            new Model("Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "Q4_K_M", 1_120_000_000L,
                    "Alibaba's 1.5B chat model: a good balance of speed and quality."),
            new Model("SmolLM2-1.7B-Instruct", "bartowski/SmolLM2-1.7B-Instruct-GGUF", "Q4_K_M", 1_060_000_000L,
                    "Hugging Face's 1.7B chat model, English."),
            new Model("BitNet-b1.58-2B-4T", "microsoft/bitnet-b1.58-2B-4T-gguf", "I2_S", 1_190_000_000L,
                    "Microsoft's ternary-weight 2B model, built for CPUs."),
            new Model("Gemma-2-2B-it", "bartowski/gemma-2-2b-it-GGUF", "Q4_K_M", 1_710_000_000L,
                    "Google's 2B chat model."),
            new Model("Llama-3.2-3B-Instruct", "bartowski/Llama-3.2-3B-Instruct-GGUF", "Q4_K_M", 2_020_000_000L,
                    "Meta's 3B chat model: better answers, about half the speed of the 1B."),
            new Model("Phi-3-mini-4k-instruct", "microsoft/Phi-3-mini-4k-instruct-gguf", "Q4", 2_390_000_000L,
                    "Microsoft's 3.8B model, strong at reasoning for its size; 4k context."));

    /** A catalog entry by its name (case-insensitive), or null. */
    public static Model byName(String name) {
        return MODELS.stream().filter(m -> m.name().equalsIgnoreCase(name)).findFirst().orElse(null);
    }
}
