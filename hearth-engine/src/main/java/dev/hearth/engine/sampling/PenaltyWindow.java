package dev.hearth.engine.sampling;

/**
 * The last {@code capacity} accepted tokens (prompt included) and how often each occurs among them, for
 * llama.cpp's penalties sampler. A ring of ids plus a count per vocabulary entry: accepting is O(1), applying is
 * O(capacity), nothing is allocated after construction.
 */
final class PenaltyWindow {
    private final int[] ring;
    private final int[] counts;
    private int size;
    private int next;

    PenaltyWindow(int capacity, int vocabularySize) {
        this.ring = new int[capacity];
        this.counts = new int[vocabularySize];
    }

    int size() {
        return size;
    }

    int count(int token) {
        return counts[token];
    }

    void accept(int token) {
        if (ring.length == 0) return;
        if (size == ring.length) {
            counts[ring[next]]--;
        } else {
            size++;
        }
        ring[next] = token;
        counts[token]++;
        next = next + 1 == ring.length ? 0 : next + 1;
    }

    void clear() {
        for (int i = 0; i < size; i++) counts[ring[i]] = 0;
        size = 0;
        next = 0;
    }

    /**
     * For each distinct token t of the window, with c its count: the repetition penalty divides a positive logit
     * and multiplies a non-positive one (so it always lowers it), then {@code c * frequency + presence} is
     * subtracted; the same float arithmetic as llama.cpp.
     */
    void apply(float[] logits, float repeat, float frequency, float presence) {
        // visit each distinct token once: flip its count negative when done, restore afterwards
        for (int i = 0; i < size; i++) {
            int t = ring[i];
            int c = counts[t];
            if (c <= 0) continue;
            float l = logits[t];
            l = l <= 0 ? l * repeat : l / repeat;
            logits[t] = l - (c * frequency + presence);
            counts[t] = -c;
        }
        for (int i = 0; i < size; i++) {
            int t = ring[i];
            if (counts[t] < 0) counts[t] = -counts[t];
        }
    }
}
