package dev.hearth.engine.sampling;

/**
 * Log-probabilities for the last sampled position: the chosen token's, and the top candidates best first. Owned
 * and overwritten by its {@link Sampler} on every {@code sample} call (that keeps sampling allocation-free):
 * copy out what you need before the next call.
 */
public final class TokenLogprobs {
    private final LogprobMode mode;
    final int[] ids;
    final double[] logprobs;
    int count;
    int chosenToken = -1;
    double chosenLogprob;

    TokenLogprobs(LogprobMode mode, int capacity) {
        this.mode = mode;
        this.ids = new int[capacity];
        this.logprobs = new double[capacity];
    }

    public LogprobMode mode() {
        return mode;
    }

    public int chosenToken() {
        return chosenToken;
    }

    /** Natural log of the chosen token's probability (<= 0). */
    public double chosenLogprob() {
        return chosenLogprob;
    }

    /** Number of top entries: min(top_logprobs, candidates available). */
    public int count() {
        return count;
    }

    /** Token id of entry {@code i}, entries ordered by decreasing probability (ties: lower id first). */
    public int token(int i) {
        checkIndex(i);
        return ids[i];
    }

    public double logprob(int i) {
        checkIndex(i);
        return logprobs[i];
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException("entry " + i + " of " + count);
    }
}
