package dev.hearth.engine.generate;

/**
 * The end of a generation: why it stopped, the stop string that matched (or null), token counts, and timings in
 * nanoseconds (queue wait, prompt processing, generation), as the APIs report them.
 */
public record Completion(FinishReason finishReason, String matchedStop, int promptTokens, int cachedPromptTokens,
                         int generatedTokens, long queueNanos, long promptNanos, long generationNanos) {}
