package dev.hearth.engine.tokenizer;

import java.util.Arrays;

/** Open-addressing map from a pair of non-negative ints to a long, for BPE merge lookups. */
final class PairMap {
    private long[] keys;
    private long[] values;
    private int size;

    PairMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) * 2;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, -1);
    }

    private static long key(int a, int b) {
        return (long) a << 32 | b;
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** The value for (a, b), or -1. */
    long get(int a, int b) {
        long k = key(a, b);
        int mask = keys.length - 1;
        for (int i = slot(k, mask); ; i = (i + 1) & mask) {
            if (keys[i] == k) return values[i];
            if (keys[i] == -1) return -1;
        }
    }

    /** Stores a value unless (a, b) already has one. */
    void putIfAbsent(int a, int b, long value) {
        if ((size + 1) * 2 > keys.length) grow();
        long k = key(a, b);
        int mask = keys.length - 1;
        int i = slot(k, mask);
        while (keys[i] != -1) {
            if (keys[i] == k) return;
            i = (i + 1) & mask;
        }
        keys[i] = k;
        values[i] = value;
        size++;
    }

    private void grow() {
        long[] oldKeys = keys, oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, -1);
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] == -1) continue;
            int i = slot(oldKeys[j], mask);
            while (keys[i] != -1) i = (i + 1) & mask;
            keys[i] = oldKeys[j];
            values[i] = oldValues[j];
        }
    }
}
