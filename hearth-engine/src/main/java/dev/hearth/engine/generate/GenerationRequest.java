package dev.hearth.engine.generate;

import dev.hearth.engine.sampling.SamplingParams;

/**
 * The one request shape every API dialect is translated into. Sampling, stop strings, stop tokens, logprobs and
 * seed live in {@link SamplingParams}. {@code maxTokens} &lt; 0 means until the context is full.
 * {@code specialTokenText}: the generated text includes control tokens' text (e.g. Mistral's {@code [TOOL_CALLS]},
 * Llama 3's {@code <|python_tag|>}), which a tool-call parser needs to see; end-of-generation tokens never show.
 */
public record GenerationRequest(Prompt prompt, SamplingParams sampling, int maxTokens, boolean specialTokenText) {
    public GenerationRequest {
        if (prompt == null) throw new IllegalArgumentException("prompt is required");
        if (sampling == null) sampling = SamplingParams.defaults();
    }

    public GenerationRequest(Prompt prompt, SamplingParams sampling, int maxTokens) {
        this(prompt, sampling, maxTokens, false);
    }
}
