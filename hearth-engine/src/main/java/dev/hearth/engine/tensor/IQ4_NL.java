package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** IQ4_NL: TODO layout. */
public final class IQ4_NL implements BlockFormat {
    public static final IQ4_NL INSTANCE = new IQ4_NL();

    private IQ4_NL() {}

    @Override public GgmlType type() { return GgmlType.IQ4_NL; }

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
