package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** F32: TODO layout. */
public final class F32 implements BlockFormat {
    public static final F32 INSTANCE = new F32();

    private F32() {}

    @Override public GgmlType type() { return GgmlType.F32; }

    @Override public GgmlType vecDotType() { return GgmlType.F32; }

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
