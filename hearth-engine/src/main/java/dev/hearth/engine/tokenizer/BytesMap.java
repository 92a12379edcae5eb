package dev.hearth.engine.tokenizer;

import java.util.Arrays;

/**
 * A map from byte strings to non-negative ints that can be queried with a slice of a larger array, so that the
 * merge loops look up "the bytes from here to there" without building a key object. Open addressing, built once.
 */
final class BytesMap {
    private byte[][] keys = new byte[16][];
    private int[] values = new int[16];
    private int size;
    private int[] slots = newSlots(32); // index into keys/values, or -1

    private static int[] newSlots(int n) {
        int[] s = new int[n];
        Arrays.fill(s, -1);
        return s;
    }

    int size() {
        return size;
    }

    /** Value stored for {@code b[off, off + len)}, or -1. */
    int get(byte[] b, int off, int len) {
        int mask = slots.length - 1;
        for (int i = hash(b, off, len) & mask; ; i = (i + 1) & mask) {
            int e = slots[i];
            if (e < 0) return -1;
            byte[] k = keys[e];
            if (k.length == len && Arrays.equals(k, 0, len, b, off, off + len)) return values[e];
        }
    }

    int get(byte[] key) {
        return get(key, 0, key.length);
    }

    /** Stores or replaces the value of a key (the array is kept, not copied). */
    void put(byte[] key, int value) {
        int mask = slots.length - 1;
        int i = hash(key, 0, key.length) & mask;
        for (; ; i = (i + 1) & mask) {
            int e = slots[i];
            if (e < 0) break;
            if (Arrays.equals(keys[e], key)) {
                values[e] = value;
                return;
            }
        }
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        keys[size] = key;
        values[size] = value;
        slots[i] = size++;
        if (size * 2 > slots.length) rehash();
    }

    private void rehash() {
        int[] s = newSlots(slots.length * 2);
        int mask = s.length - 1;
        for (int e = 0; e < size; e++) {
            int i = hash(keys[e], 0, keys[e].length) & mask;
            while (s[i] >= 0) i = (i + 1) & mask;
            s[i] = e;
        }
        slots = s;
    }

    private static int hash(byte[] b, int off, int len) {
        int h = 0x9E3779B9 ^ len;
        for (int i = off, end = off + len; i < end; i++) h = (h ^ b[i]) * 0x01000193;
        return h ^ (h >>> 15);
    }
}
