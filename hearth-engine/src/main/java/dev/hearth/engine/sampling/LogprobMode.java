package dev.hearth.engine.sampling;

/** Which distribution the reported log-probabilities describe. */
public enum LogprobMode {
    /**
     * log-softmax of the model's raw logits: before logit_bias, penalties, the truncating samplers and temperature.
     * This is what llama.cpp's server reports by default (its {@code get_token_probabilities}), what vLLM V1
     * reports by default ({@code logprobs_mode = raw_logprobs}), and what the OpenAI API appears to report
     * (its values do not move with {@code temperature}; the API reference does not say).
     */
    MODEL,
    /**
     * The distribution the token was actually drawn from: after every stage including temperature, renormalised
     * over the candidates that survived (llama.cpp's {@code post_sampling_probs}). Tokens that were cut have no
     * entry; under greedy decoding the chosen token has log-probability 0.
     */
    SAMPLED
}
