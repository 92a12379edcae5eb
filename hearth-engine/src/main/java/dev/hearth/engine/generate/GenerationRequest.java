package dev.hearth.engine.generate;

import dev.hearth.engine.sampling.SamplingParams;

/**
 * The one request shape every API dialect is translated into. Sampling, stop strings, stop tokens, logprobs and
 * seed live in {@link SamplingParams}. {@code maxTokens} &lt; 0 means until the context is full.
 */
public record GenerationRequest(Prompt prompt, SamplingParams sampling, int maxTokens) {
    public GenerationRequest {
        if (prompt == null) throw new IllegalArgumentException("prompt is required");
        if (sampling == null) sampling = SamplingParams.defaults();
    }
}
