package dev.hearth.engine.tokenizer;

import java.util.Arrays;

/** A growable byte array. */
final class ByteList {
    private byte[] a = new byte[64];
    private int n;

    void add(int b) {
        if (n == a.length) a = Arrays.copyOf(a, n * 2);
        a[n++] = (byte) b;
    }

    void add(byte[] b, int off, int len) {
        if (n + len > a.length) a = Arrays.copyOf(a, Math.max(n * 2, n + len));
        System.arraycopy(b, off, a, n, len);
        n += len;
    }

    int size() {
        return n;
    }

    byte[] array() {
        return a;
    }

    byte[] toArray() {
        return Arrays.copyOf(a, n);
    }

    /** Drops the first {@code count} bytes. */
    void removeFirst(int count) {
        System.arraycopy(a, count, a, 0, n - count);
        n -= count;
    }
}
