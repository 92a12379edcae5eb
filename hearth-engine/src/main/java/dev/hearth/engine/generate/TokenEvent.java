package dev.hearth.engine.generate;

import java.util.List;

/**
 * One generated token. {@code text} is what may be shown now: whole UTF-8 characters only, with text that could
 * still become a stop string held back (so it may be empty, and a later event may carry more than one token's
 * text). {@code chosen} and {@code top} are null unless the request asked for logprobs.
 */
public record TokenEvent(int token, String text, Candidate chosen, List<Candidate> top) {

    /** A token with its piece (its own text, possibly a partial UTF-8 character as raw bytes) and log-probability. */
    public record Candidate(int token, byte[] piece, double logprob) {}
}
