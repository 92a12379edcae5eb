package dev.hearth.engine.sampling;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Candidates as packed {@code long}s: a (logit, token id) pair whose natural ascending order is "best first":
 * higher logit first, equal logits to the lower id. One primitive array then serves as candidate list, heap and
 * sort buffer with no objects and no comparator, and every ordering in the sampler is total and deterministic.
 *
 * <p>High word: the logit mapped to an int with the same order as the float, then complemented (so larger logits
 * give smaller keys). Low word: the id, compared unsigned below the high word. NaN and -Infinity are never packed:
 * such tokens are not candidates.
 */
final class RankedTokens {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private RankedTokens() {}

    static long key(float logit, int id) {
        int bits = Float.floatToRawIntBits(logit + 0.0f); // -0.0 + 0.0 == +0.0: equal logits get equal keys
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        return ((long) ~ordered << 32) | (id & 0xFFFFFFFFL);
    }

    static int id(long key) {
        return (int) key;
    }

    static float logit(long key) {
        int ordered = ~(int) (key >> 32);
        return Float.intBitsToFloat(ordered ^ ((ordered >> 31) & 0x7FFFFFFF));
    }

    /**
     * The best {@code k} tokens of {@code logits[0..n)} (ignoring NaN and -Infinity) into {@code out[0..count)},
     * best first; returns count ({@code < k} only when fewer tokens are eligible). A bounded max-heap over the
     * vocabulary, O(n log k); once the heap is full, whole vectors of logits below its worst entry are skipped
     * with one comparison, which is nearly all of them.
     */
    static int selectBest(float[] logits, int n, int k, long[] out) {
        if (k <= 0) return 0;
        int size = 0;
        int id = 0;
        for (; id < n && size < k; id++) {
            float v = logits[id];
            if (!(v > Float.NEGATIVE_INFINITY)) continue;
            out[size] = key(v, id);
            siftUp(out, size++);
        }
        if (size < k) {
            heapSortHeap(out, 0, size);
            return size;
        }
        float worst = logit(out[0]);
        int step = S.length();
        FloatVector threshold = FloatVector.broadcast(S, worst);
        for (; id <= n - step; id += step) {
            if (!FloatVector.fromArray(S, logits, id).compare(VectorOperators.GE, threshold).anyTrue()) continue;
            for (int j = id; j < id + step; j++) worst = offer(logits[j], j, out, k, worst);
            threshold = FloatVector.broadcast(S, worst);
        }
        for (; id < n; id++) worst = offer(logits[id], id, out, k, worst);
        heapSortHeap(out, 0, k);
        return k;
    }

    /** One token against a full heap of k; returns the (possibly new) worst logit in the heap. */
    private static float offer(float v, int id, long[] heap, int k, float worst) {
        if (!(v >= worst)) return worst; // also rejects NaN
        long key = key(v, id);
        if (key >= heap[0]) return worst; // equal logit, higher id
        heap[0] = key;
        siftDown(heap, 0, 0, k);
        return logit(heap[0]);
    }

    /** Moves the best {@code k} of {@code a[0..n)} to {@code a[0..k)}, best first; the rest stay in {@code a[k..n)}. */
    static void selectBestInPlace(long[] a, int n, int k) {
        if (k >= n) {
            sort(a, 0, n);
            return;
        }
        if (k <= 0) return;
        for (int i = (k >>> 1) - 1; i >= 0; i--) siftDown(a, 0, i, k);
        long worst = a[0];
        for (int i = k; i < n; i++) {
            long x = a[i];
            if (x < worst) {
                a[i] = worst;
                a[0] = x;
                siftDown(a, 0, 0, k);
                worst = a[0];
            }
        }
        heapSortHeap(a, 0, k);
    }

    /** Ascending (best-first) sort of {@code a[from..to)}: quicksort, heapsort past a depth limit. Allocation-free. */
    static void sort(long[] a, int from, int to) {
        int n = to - from;
        if (n < 2) return;
        quicksort(a, from, to - 1, 2 * (32 - Integer.numberOfLeadingZeros(n)));
    }

    private static void quicksort(long[] a, int lo, int hi, int depth) {
        while (hi - lo > 16) {
            if (depth-- == 0) {
                heapSort(a, lo, hi + 1);
                return;
            }
            int p = partition(a, lo, hi);
            if (p - lo < hi - p) { // recurse into the smaller side: stack depth O(log n)
                quicksort(a, lo, p - 1, depth);
                lo = p + 1;
            } else {
                quicksort(a, p + 1, hi, depth);
                hi = p - 1;
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            long x = a[i];
            int j = i - 1;
            while (j >= lo && a[j] > x) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = x;
        }
    }

    /** Median-of-three Hoare partition; keys are distinct (ids are), which keeps it simple. */
    private static int partition(long[] a, int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        if (a[mid] < a[lo]) swap(a, lo, mid);
        if (a[hi] < a[lo]) swap(a, lo, hi);
        if (a[hi] < a[mid]) swap(a, mid, hi);
        swap(a, mid, hi - 1);
        long pivot = a[hi - 1];
        int i = lo, j = hi - 1;
        while (true) {
            while (a[++i] < pivot) { }
            while (a[--j] > pivot) { }
            if (i >= j) break;
            swap(a, i, j);
        }
        swap(a, i, hi - 1);
        return i;
    }

    private static void heapSort(long[] a, int from, int to) {
        int n = to - from;
        for (int i = (n >>> 1) - 1; i >= 0; i--) siftDown(a, from, i, n);
        heapSortHeap(a, from, n);
    }

    /** {@code a[base..base+n)} is a max-heap; leaves it sorted ascending. */
    private static void heapSortHeap(long[] a, int base, int n) {
        for (int end = n - 1; end > 0; end--) {
            swap(a, base, base + end);
            siftDown(a, base, 0, end);
        }
    }

    private static void siftUp(long[] heap, int i) {
        long x = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] >= x) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = x;
    }

    /** Max-heap sift-down of node {@code i} in {@code a[base..base+n)}. */
    private static void siftDown(long[] a, int base, int i, int n) {
        long x = a[base + i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && a[base + child + 1] > a[base + child]) child++;
            if (a[base + child] <= x) break;
            a[base + i] = a[base + child];
            i = child;
        }
        a[base + i] = x;
    }

    private static void swap(long[] a, int i, int j) {
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
