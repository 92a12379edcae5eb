package dev.hearth.engine.grammar;

import java.util.Arrays;

/** A growable int array. */
final class IntBuffer {
    int[] data = new int[16];
    int size;

    void add(int v) {
        if (size == data.length) data = Arrays.copyOf(data, size * 2);
        data[size++] = v;
    }

    int[] toArray() {
        return Arrays.copyOf(data, size);
    }

    /** The values sorted, without repeats. */
    int[] sortedUnique() {
        int[] a = toArray();
        Arrays.sort(a);
        int w = 0;
        for (int i = 0; i < a.length; i++) if (w == 0 || a[i] != a[w - 1]) a[w++] = a[i];
        return w == a.length ? a : Arrays.copyOf(a, w);
    }
}
