package dev.hearth.engine.tokenizer;

/**
 * The element order of libstdc++'s {@code std::sort} (introsort: median-of-three quicksort down to runs of 16,
 * heapsort when too deep, then insertion sort). llama.cpp sorts its special tokens by length with it, and since
 * the sort is not stable, tokens of equal length end up in an order only this algorithm reproduces; that order
 * decides which of two overlapping special tokens is split out of text first.
 */
final class StdSort {
    private static final int THRESHOLD = 16;

    /** A strict weak ordering on ints, like a C++ comparator. */
    @FunctionalInterface
    interface Less {
        boolean less(int a, int b);
    }

    private StdSort() {}

    static void sort(int[] a, Less comp) {
        int n = a.length;
        if (n == 0) return;
        introsortLoop(a, 0, n, 2 * (31 - Integer.numberOfLeadingZeros(n)), comp);
        if (n > THRESHOLD) {
            insertionSort(a, 0, THRESHOLD, comp);
            for (int i = THRESHOLD; i < n; i++) unguardedLinearInsert(a, i, comp);
        } else {
            insertionSort(a, 0, n, comp);
        }
    }

    private static void introsortLoop(int[] a, int first, int last, int depthLimit, Less comp) {
        while (last - first > THRESHOLD) {
            if (depthLimit == 0) {
                heapSort(a, first, last, comp);
                return;
            }
            depthLimit--;
            int cut = partitionPivot(a, first, last, comp);
            introsortLoop(a, cut, last, depthLimit, comp);
            last = cut;
        }
    }

    private static int partitionPivot(int[] a, int first, int last, Less comp) {
        int mid = first + (last - first) / 2;
        moveMedianToFirst(a, first, first + 1, mid, last - 1, comp);
        // unguarded partition of [first + 1, last) around a[first]
        int lo = first + 1, hi = last;
        while (true) {
            while (comp.less(a[lo], a[first])) lo++;
            hi--;
            while (comp.less(a[first], a[hi])) hi--;
            if (lo >= hi) return lo;
            swap(a, lo, hi);
            lo++;
        }
    }

    private static void moveMedianToFirst(int[] a, int result, int x, int y, int z, Less comp) {
        if (comp.less(a[x], a[y])) {
            if (comp.less(a[y], a[z])) swap(a, result, y);
            else if (comp.less(a[x], a[z])) swap(a, result, z);
            else swap(a, result, x);
        } else if (comp.less(a[x], a[z])) {
            swap(a, result, x);
        } else if (comp.less(a[y], a[z])) {
            swap(a, result, z);
        } else {
            swap(a, result, y);
        }
    }

    private static void insertionSort(int[] a, int first, int last, Less comp) {
        for (int i = first + 1; i < last; i++) {
            int v = a[i];
            if (comp.less(v, a[first])) {
                System.arraycopy(a, first, a, first + 1, i - first);
                a[first] = v;
            } else {
                unguardedLinearInsert(a, i, comp);
            }
        }
    }

    private static void unguardedLinearInsert(int[] a, int i, Less comp) {
        int v = a[i];
        int j = i - 1;
        while (comp.less(v, a[j])) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }

    /** std::partial_sort(first, last, last): make_heap then sort_heap; what introsort falls back to. */
    static void heapSort(int[] a, int first, int last, Less comp) {
        int len = last - first;
        if (len >= 2) { // make_heap
            for (int parent = (len - 2) / 2; ; parent--) {
                adjustHeap(a, first, parent, len, a[first + parent], comp);
                if (parent == 0) break;
            }
        }
        for (int end = last; end - first > 1; ) { // sort_heap
            end--;
            int v = a[end];
            a[end] = a[first];
            adjustHeap(a, first, 0, end - first, v, comp);
        }
    }

    private static void adjustHeap(int[] a, int first, int hole, int len, int value, Less comp) {
        int top = hole;
        int child = hole;
        while (child < (len - 1) / 2) {
            child = 2 * (child + 1);
            if (comp.less(a[first + child], a[first + child - 1])) child--;
            a[first + hole] = a[first + child];
            hole = child;
        }
        if ((len & 1) == 0 && child == (len - 2) / 2) {
            child = 2 * (child + 1);
            a[first + hole] = a[first + child - 1];
            hole = child - 1;
        }
        int parent = (hole - 1) / 2; // push_heap
        while (hole > top && comp.less(a[first + parent], value)) {
            a[first + hole] = a[first + parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        a[first + hole] = value;
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
