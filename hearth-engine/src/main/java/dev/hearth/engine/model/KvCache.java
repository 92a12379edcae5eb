package dev.hearth.engine.model;

/**
 * The keys and values of one sequence, per layer, position after position ({@code [pos][kvHead][headDim]}), K
 * stored after RoPE. With {@link Type#F16} values are rounded to fp16 as they are stored, as llama.cpp's default
 * cache does. Memory grows with the positions used (doubling, up to the capacity), so a sequence that uses little of
 * its context costs little.
 */
public final class KvCache {

    public enum Type {
        /** exact: what the conformance fixtures were computed with */
        F32,
        /** llama.cpp's default; also rounds Q and the softmax weights to fp16 in attention (see {@link Attention}) */
        F16
    }

    private static final int INITIAL = 256;

    final Type type;
    final int capacity, kWidth, vWidth;
    private int allocated; // positions the arrays hold
    final float[][] k32, v32;
    final short[][] k16, v16;

    KvCache(Type type, int layers, int capacity, int kWidth, int vWidth) {
        if (capacity < 1) throw new IllegalArgumentException("context length must be positive, got " + capacity);
        this.type = type;
        this.capacity = capacity;
        this.kWidth = kWidth;
        this.vWidth = vWidth;
        long kValues = (long) capacity * kWidth, vValues = (long) capacity * vWidth;
        if (Math.max(kValues, vValues) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a context of " + capacity + " positions is too large for one KV cache layer");
        }
        if (type == Type.F32) {
            k32 = new float[layers][0];
            v32 = new float[layers][0];
            k16 = v16 = null;
        } else {
            k16 = new short[layers][0];
            v16 = new short[layers][0];
            k32 = v32 = null;
        }
        ensure(Math.min(capacity, INITIAL));
    }

    /** Makes room for positions {@code 0 .. positions-1} (at most the capacity), keeping what is stored. */
    void ensure(int positions) {
        if (positions <= allocated) return;
        if (positions > capacity) throw new IllegalArgumentException(positions + " positions exceed the capacity of " + capacity);
        int n = (int) Math.min(capacity, Math.max(positions, 2L * allocated));
        for (int l = 0; l < layers(); l++) {
            if (type == Type.F32) {
                k32[l] = java.util.Arrays.copyOf(k32[l], n * kWidth);
                v32[l] = java.util.Arrays.copyOf(v32[l], n * vWidth);
            } else {
                k16[l] = java.util.Arrays.copyOf(k16[l], n * kWidth);
                v16[l] = java.util.Arrays.copyOf(v16[l], n * vWidth);
            }
        }
        allocated = n;
    }

    /** Bytes the arrays take now. */
    long allocatedBytes() {
        return (long) allocated * (kWidth + vWidth) * layers() * (type == Type.F32 ? 4 : 2);
    }

    public Type type() {
        return type;
    }

    /** Positions it can hold. */
    public int capacity() {
        return capacity;
    }

    /** Stores the K and V rows of position {@code pos} of layer {@code layer}. */
    void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
        if (type == Type.F32) {
            System.arraycopy(k, kOff, k32[layer], pos * kWidth, kWidth);
            System.arraycopy(v, vOff, v32[layer], pos * vWidth, vWidth);
        } else {
            short[] kc = k16[layer], vc = v16[layer];
            int ko = pos * kWidth, vo = pos * vWidth;
            for (int i = 0; i < kWidth; i++) kc[ko + i] = Float.floatToFloat16(k[kOff + i]);
            for (int i = 0; i < vWidth; i++) vc[vo + i] = Float.floatToFloat16(v[vOff + i]);
        }
    }

    /** Copies positions {@code 0 .. length-1} of every layer from {@code other} (same type, layers and widths). */
    void copyFrom(KvCache other, int length) {
        int layers = layers();
        if (other.type != type || other.layers() != layers || other.kWidth != kWidth || other.vWidth != vWidth) {
            throw new IllegalArgumentException("KV caches of different shapes");
        }
        ensure(length);
        for (int l = 0; l < layers; l++) {
            if (type == Type.F32) {
                System.arraycopy(other.k32[l], 0, k32[l], 0, length * kWidth);
                System.arraycopy(other.v32[l], 0, v32[l], 0, length * vWidth);
            } else {
                System.arraycopy(other.k16[l], 0, k16[l], 0, length * kWidth);
                System.arraycopy(other.v16[l], 0, v16[l], 0, length * vWidth);
            }
        }
    }

    private int layers() {
        return type == Type.F32 ? k32.length : k16.length;
    }
}
