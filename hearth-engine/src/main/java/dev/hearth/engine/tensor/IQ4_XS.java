package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** IQ4_XS: TODO layout. */
public final class IQ4_XS implements BlockFormat {
    public static final IQ4_XS INSTANCE = new IQ4_XS();

    private IQ4_XS() {}

    @Override public GgmlType type() { return GgmlType.IQ4_XS; }

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
