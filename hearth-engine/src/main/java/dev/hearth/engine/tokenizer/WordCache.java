package dev.hearth.engine.tokenizer;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token ids of short byte strings already tokenized (words, or SPM chunks). Shared by all threads using a
 * tokenizer; when it grows past its limit it is simply emptied.
 */
final class WordCache {
    static final int MAX_WORD = 64;
    private static final int LIMIT = 1 << 16;

    private record Key(byte[] bytes, int hash) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Computes the ids of a byte string into {@code out} (which starts empty). */
    @FunctionalInterface
    interface Tokenize {
        void tokenize(byte[] text, int from, int to, IntList out);
    }

    private final ConcurrentHashMap<Key, int[]> map = new ConcurrentHashMap<>();

    /** Appends the ids of {@code text[from, to)} to {@code out}, from the cache or by calling {@code tokenize}. */
    void tokenize(byte[] text, int from, int to, IntList scratch, IntList out, Tokenize tokenize) {
        if (to - from > MAX_WORD) {
            tokenize.tokenize(text, from, to, out);
            return;
        }
        byte[] b = Arrays.copyOfRange(text, from, to);
        Key key = new Key(b, Arrays.hashCode(b));
        int[] ids = map.get(key);
        if (ids == null) {
            scratch.clear();
            tokenize.tokenize(text, from, to, scratch);
            ids = scratch.toArray();
            if (map.size() >= LIMIT) map.clear();
            map.put(key, ids);
        }
        out.addAll(ids);
    }
}
