package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** Q4_K: TODO layout. */
public final class Q4_K implements BlockFormat {
    public static final Q4_K INSTANCE = new Q4_K();

    private Q4_K() {}

    @Override public GgmlType type() { return GgmlType.Q4_K; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        throw new UnsupportedOperationException("TODO");
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        throw new UnsupportedOperationException("TODO");
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        throw new UnsupportedOperationException("TODO");
    }
}
