package dev.hearth.engine.tokenizer;

import java.util.Arrays;

/**
 * The candidate merges of adjacent symbols, best first: a binary min-heap on a 64-bit priority (the merge's
 * rank or negated score in the high half, the left symbol's index in the low half, so ties go to the leftmost
 * pair as in llama.cpp) carrying the right symbol and the merged length, which tell a stale entry apart.
 */
final class MergeQueue {
    private long[] keys = new long[64];
    private int[] rights = new int[64];
    private int[] sizes = new int[64];
    private int n;

    // the entry last taken by poll()
    int left, right, size;

    void clear() {
        n = 0;
    }

    boolean isEmpty() {
        return n == 0;
    }

    /** Priority of a merge ranked {@code rank} (lower is better) starting at symbol {@code left}. */
    static long byRank(int rank, int left) {
        return (long) rank << 32 | left;
    }

    /** Priority of a merge scored {@code score} (higher is better) starting at symbol {@code left}. */
    static long byScore(float score, int left) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score); // -0 ties with +0, as in C++
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF); // ints ordered like the floats
        return (long) ~ordered << 32 | left;
    }

    void add(long key, int right, int size) {
        if (n == keys.length) {
            keys = Arrays.copyOf(keys, n * 2);
            rights = Arrays.copyOf(rights, n * 2);
            sizes = Arrays.copyOf(sizes, n * 2);
        }
        int i = n++;
        while (i > 0) { // sift up
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) break;
            keys[i] = keys[parent];
            rights[i] = rights[parent];
            sizes[i] = sizes[parent];
            i = parent;
        }
        keys[i] = key;
        rights[i] = right;
        sizes[i] = size;
    }

    /** Removes the best entry into {@link #left}, {@link #right}, {@link #size}. */
    void poll() {
        left = (int) keys[0];
        right = rights[0];
        size = sizes[0];
        n--;
        if (n == 0) return;
        long key = keys[n];
        int r = rights[n], s = sizes[n];
        int i = 0;
        while (true) { // sift down
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && keys[c + 1] < keys[c]) c++;
            if (keys[c] >= key) break;
            keys[i] = keys[c];
            rights[i] = rights[c];
            sizes[i] = sizes[c];
            i = c;
        }
        keys[i] = key;
        rights[i] = r;
        sizes[i] = s;
    }
}
