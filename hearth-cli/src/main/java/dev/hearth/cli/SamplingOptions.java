package dev.hearth.cli;

import dev.hearth.engine.sampling.SamplingParameterException;
import dev.hearth.engine.sampling.SamplingParams;
import picocli.CommandLine.Option;

/**
 * Sampling flags with llama.cpp's names, shared by generate and chat. A flag not given keeps the engine's default
 * (llama.cpp's: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repeat penalty, a random seed).
 */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", description = "Temperature; 0 = greedy (default 0.8).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens; 0 disables (default 40).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass; 1 disables (default 0.95).")
    Double topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Drop tokens below P times the top probability; 0 disables (default 0.05).")
    Double minP;

    @Option(names = "--repeat-penalty", paramLabel = "R", description = "Penalty for the last 64 tokens; 1 disables (default 1).")
    Double repeatPenalty;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", description = "Random seed (default: a random one).")
    Long seed;

    /** The parameters, or one error line naming the flag whose value is out of range. */
    SamplingParams params() {
        SamplingParams.Builder b = SamplingParams.builder();
        if (temperature != null) b.temperature(temperature);
        if (topK != null) b.topK(topK);
        if (topP != null) b.topP(topP);
        if (minP != null) b.minP(minP);
        if (repeatPenalty != null) b.repeatPenalty(repeatPenalty);
        if (seed != null) b.seed(seed);
        try {
            return b.build();
        } catch (SamplingParameterException e) {
            String flag = switch (e.parameter()) {
                case "temperature" -> "--temp";
                case "top_p" -> "--top-p";
                case "min_p" -> "--min-p";
                case "repeat_penalty" -> "--repeat-penalty";
                default -> e.parameter();
            };
            throw new CommandError(flag + e.getMessage().substring(e.parameter().length()), e);
        }
    }
}
