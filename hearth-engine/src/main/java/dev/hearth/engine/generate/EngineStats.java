package dev.hearth.engine.generate;

/**
 * A snapshot of what a {@link Generator} is doing, for monitoring (llama.cpp's {@code /metrics} gauges).
 *
 * @param waiting        requests submitted that have not started
 * @param running        sequences being processed now
 * @param kvCacheTokens  tokens whose keys and values the cache holds
 * @param kvCacheCells   tokens the cache can hold
 * @param decodes        forward passes run so far (a prompt's batch counts once)
 * @param busySlotsPerDecode sequences per forward pass, on average
 */
public record EngineStats(int waiting, int running, long kvCacheTokens, long kvCacheCells, long decodes,
                          double busySlotsPerDecode) {
    /** For a generator that does not report: all zero. */
    public static final EngineStats NONE = new EngineStats(0, 0, 0, 0, 0, 0);

    public double kvCacheUsage() {
        return kvCacheCells == 0 ? 0 : (double) kvCacheTokens / kvCacheCells;
    }
}
