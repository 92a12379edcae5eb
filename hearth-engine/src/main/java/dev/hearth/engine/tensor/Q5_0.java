package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** Q5_0: TODO layout. */
public final class Q5_0 implements BlockFormat {
    public static final Q5_0 INSTANCE = new Q5_0();

    private Q5_0() {}

    @Override public GgmlType type() { return GgmlType.Q5_0; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_0; }

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
