package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** Q2_K: TODO layout. */
public final class Q2_K implements BlockFormat {
    public static final Q2_K INSTANCE = new Q2_K();

    private Q2_K() {}

    @Override public GgmlType type() { return GgmlType.Q2_K; }

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
