package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** F16: TODO layout. */
public final class F16 implements BlockFormat {
    public static final F16 INSTANCE = new F16();

    private F16() {}

    @Override public GgmlType type() { return GgmlType.F16; }

    @Override public GgmlType vecDotType() { return GgmlType.F16; }

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
