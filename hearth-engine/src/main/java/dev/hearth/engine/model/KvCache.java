package dev.hearth.engine.model;

import java.util.Arrays;

/**
 * The keys and values of one sequence, per layer, position after position ({@code [pos][kvHead][headDim]}), K
 * stored after RoPE. With {@link Type#F16} values are rounded to fp16 as they are stored, as llama.cpp's default
 * cache does; with {@link Type#Q8_0} each run of 32 values of a row becomes one Q8_0 block (an fp16 scale
 * {@code d = amax/127} and 32 int8 quants {@code round(x/d)}, halves away from zero: llama.cpp's
 * {@code quantize_row_q8_0}), 34 bytes for 32 values, which needs head dimensions that are multiples of 32.
 * Memory grows with the positions used (doubling, up to the capacity), so a sequence that uses little of its
 * context costs little.
 */
public final class KvCache {

    public enum Type {
        /** exact: what the conformance fixtures were computed with */
        F32,
        /** llama.cpp's default; also rounds Q and the softmax weights to fp16 in attention (see {@link Attention}) */
        F16,
        /** 8.5 bits per value, about 47% less than F16; Q is quantized to Q8_0 too for K·q (see {@link Attention}) */
        Q8_0;

        /** Bytes {@code values} keys or values take in a cache of this type ({@code values} a multiple of 32 for Q8_0). */
        public long bytes(long values) {
            return switch (this) {
                case F32 -> 4 * values;
                case F16 -> 2 * values;
                case Q8_0 -> values / QK * (QK + 2);
            };
        }
    }

    /** Values per Q8_0 block. */
    static final int QK = 32;
    private static final int INITIAL = 256;

    final Type type;
    final int capacity, kWidth, vWidth;
    private final int layers;
    private int allocated; // positions the arrays hold
    final float[][] k32, v32;
    final short[][] k16, v16;
    final byte[][] k8, v8;          // Q8_0 quants, one per value
    final short[][] kScale, vScale; // Q8_0 fp16 scales, one per 32 values

    KvCache(Type type, int layers, int capacity, int kWidth, int vWidth) {
        if (capacity < 1) throw new IllegalArgumentException("context length must be positive, got " + capacity);
        if (type == Type.Q8_0 && (kWidth % QK != 0 || vWidth % QK != 0)) {
            throw new IllegalArgumentException("a Q8_0 KV cache needs rows that are multiples of " + QK + " values, got "
                    + kWidth + " and " + vWidth);
        }
        this.type = type;
        this.layers = layers;
        this.capacity = capacity;
        this.kWidth = kWidth;
        this.vWidth = vWidth;
        long kValues = (long) capacity * kWidth, vValues = (long) capacity * vWidth;
        if (Math.max(kValues, vValues) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a context of " + capacity + " positions is too large for one KV cache layer");
        }
        k32 = type == Type.F32 ? new float[layers][0] : null;
        v32 = type == Type.F32 ? new float[layers][0] : null;
        k16 = type == Type.F16 ? new short[layers][0] : null;
        v16 = type == Type.F16 ? new short[layers][0] : null;
        k8 = type == Type.Q8_0 ? new byte[layers][0] : null;
        v8 = type == Type.Q8_0 ? new byte[layers][0] : null;
        kScale = type == Type.Q8_0 ? new short[layers][0] : null;
        vScale = type == Type.Q8_0 ? new short[layers][0] : null;
        ensure(Math.min(capacity, INITIAL));
    }

    /** Makes room for positions {@code 0 .. positions-1} (at most the capacity), keeping what is stored. */
    void ensure(int positions) {
        if (positions <= allocated) return;
        if (positions > capacity) throw new IllegalArgumentException(positions + " positions exceed the capacity of " + capacity);
        int n = (int) Math.min(capacity, Math.max(positions, 2L * allocated));
        for (int l = 0; l < layers; l++) {
            switch (type) {
                case F32 -> {
                    k32[l] = Arrays.copyOf(k32[l], n * kWidth);
                    v32[l] = Arrays.copyOf(v32[l], n * vWidth);
                }
                case F16 -> {
                    k16[l] = Arrays.copyOf(k16[l], n * kWidth);
                    v16[l] = Arrays.copyOf(v16[l], n * vWidth);
                }
                case Q8_0 -> {
                    k8[l] = Arrays.copyOf(k8[l], n * kWidth);
                    v8[l] = Arrays.copyOf(v8[l], n * vWidth);
                    kScale[l] = Arrays.copyOf(kScale[l], n * kWidth / QK);
                    vScale[l] = Arrays.copyOf(vScale[l], n * vWidth / QK);
                }
            }
        }
        allocated = n;
    }

    /** Bytes the arrays take now. */
    long allocatedBytes() {
        return type.bytes((long) allocated * (kWidth + vWidth)) * layers;
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
        int ko = pos * kWidth, vo = pos * vWidth;
        switch (type) {
            case F32 -> {
                System.arraycopy(k, kOff, k32[layer], ko, kWidth);
                System.arraycopy(v, vOff, v32[layer], vo, vWidth);
            }
            case F16 -> {
                short[] kc = k16[layer], vc = v16[layer];
                for (int i = 0; i < kWidth; i++) kc[ko + i] = Float.floatToFloat16(k[kOff + i]);
                for (int i = 0; i < vWidth; i++) vc[vo + i] = Float.floatToFloat16(v[vOff + i]);
            }
            case Q8_0 -> {
                quantize(k, kOff, kWidth, k8[layer], ko, kScale[layer], ko / QK);
                quantize(v, vOff, vWidth, v8[layer], vo, vScale[layer], vo / QK);
            }
        }
    }

    /**
     * llama.cpp's {@code quantize_row_q8_0_ref} on {@code n} values (a multiple of 32) from {@code src[off]}: per block
     * {@code d = amax/127} (stored as fp16), quants {@code round(x·(1/d))} with halves away from zero, computed with the
     * unrounded d.
     */
    static void quantize(float[] src, int off, int n, byte[] quants, int qOff, short[] scales, int sOff) {
        for (int b = 0; b < n / QK; b++) {
            int x = off + b * QK, q = qOff + b * QK;
            float amax = 0;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            scales[sOff + b] = Float.floatToFloat16(d);
            for (int j = 0; j < QK; j++) {
                float y = src[x + j] * id;
                int r = Math.round(Math.abs(y)); // |y| <= 127, so this is roundf's halves-away-from-zero
                quants[q + j] = (byte) (y < 0 ? -r : r);
            }
        }
    }

    /** Copies positions {@code 0 .. length-1} of every layer from {@code other} (same type, layers and widths). */
    void copyFrom(KvCache other, int length) {
        if (other.type != type || other.layers != layers || other.kWidth != kWidth || other.vWidth != vWidth) {
            throw new IllegalArgumentException("KV caches of different shapes");
        }
        ensure(length);
        int kn = length * kWidth, vn = length * vWidth;
        for (int l = 0; l < layers; l++) {
            switch (type) {
                case F32 -> {
                    System.arraycopy(other.k32[l], 0, k32[l], 0, kn);
                    System.arraycopy(other.v32[l], 0, v32[l], 0, vn);
                }
                case F16 -> {
                    System.arraycopy(other.k16[l], 0, k16[l], 0, kn);
                    System.arraycopy(other.v16[l], 0, v16[l], 0, vn);
                }
                case Q8_0 -> {
                    System.arraycopy(other.k8[l], 0, k8[l], 0, kn);
                    System.arraycopy(other.v8[l], 0, v8[l], 0, vn);
                    System.arraycopy(other.kScale[l], 0, kScale[l], 0, kn / QK);
                    System.arraycopy(other.vScale[l], 0, vScale[l], 0, vn / QK);
                }
            }
        }
    }
}
