package dev.hearth.engine.sampling;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Stop strings over streamed text. {@link #push} returns the text that is safe to show now: it holds back any
 * tail that could still be the beginning of a stop string, and never returns any part of the stop string that
 * matched, nor anything after it. {@link #flush} releases the held tail when generation ends for another reason.
 *
 * <p>The result does not depend on how the text is cut into pieces: the stop reported is the one whose
 * occurrence <em>ends</em> first in the text (what a character-by-character check would find), and of several
 * ending at the same place the longest, so that no part of a stop string leaks out. Matching is exact, on UTF-16
 * code units; a trailing high surrogate is also held back so a pair is never split between two returns.
 *
 * <p>One instance per generation; not thread-safe. End-of-generation tokens are handled by the caller
 * ({@link Sampler#isEndOfGeneration}), not here.
 */
public final class StopStrings {
    private final String[] stops;
    private final StringBuilder pending = new StringBuilder();
    private String matched;

    /** Empty strings are ignored (they would match before any text). */
    public StopStrings(Collection<String> stops) {
        List<String> kept = new ArrayList<>(stops.size());
        for (String s : stops) if (!s.isEmpty() && !kept.contains(s)) kept.add(s);
        this.stops = kept.toArray(String[]::new);
    }

    public static StopStrings of(String... stops) {
        return new StopStrings(List.of(stops));
    }

    /**
     * Appends a piece of generated text and returns what can be emitted now (possibly empty). Once a stop string
     * has matched, returns the text before it and then only empty strings.
     */
    public String push(CharSequence piece) {
        if (matched != null) return "";
        pending.append(piece);
        // pending = held-back tail + piece. The tail holds no complete stop, and every occurrence starting in
        // text already emitted would have left a longer tail, so the first match to end lies within pending.
        int bestStart = -1, bestEnd = Integer.MAX_VALUE;
        String best = null;
        for (String stop : stops) {
            int start = pending.indexOf(stop);
            if (start < 0) continue;
            int end = start + stop.length();
            if (end < bestEnd || (end == bestEnd && start < bestStart)) {
                best = stop;
                bestStart = start;
                bestEnd = end;
            }
        }
        if (best != null) {
            matched = best;
            String out = pending.substring(0, bestStart);
            pending.setLength(0);
            return out;
        }
        int cut = pending.length() - partialMatchLength();
        if (cut > 0 && Character.isHighSurrogate(pending.charAt(cut - 1))) cut--;
        String out = pending.substring(0, cut);
        pending.delete(0, cut);
        return out;
    }

    /** Generation ended without a stop string: returns the held-back text (empty after a match). */
    public String flush() {
        if (matched != null) return "";
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    public boolean stopped() {
        return matched != null;
    }

    /** The stop string that matched, or null. */
    public String matchedStop() {
        return matched;
    }

    /** Text currently held back (for diagnostics). */
    public int heldBack() {
        return pending.length();
    }

    /** Length of the longest suffix of pending that is a proper prefix of some stop string. */
    private int partialMatchLength() {
        int best = 0;
        int length = pending.length();
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, length); k > best; k--) {
                if (regionEquals(length - k, stop, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    private boolean regionEquals(int from, String stop, int k) {
        for (int i = 0; i < k; i++) if (pending.charAt(from + i) != stop.charAt(i)) return false;
        return true;
    }
}
