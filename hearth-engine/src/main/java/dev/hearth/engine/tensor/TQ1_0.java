package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** TQ1_0: TODO layout. */
public final class TQ1_0 implements BlockFormat {
    public static final TQ1_0 INSTANCE = new TQ1_0();

    private TQ1_0() {}

    @Override public GgmlType type() { return GgmlType.TQ1_0; }

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
