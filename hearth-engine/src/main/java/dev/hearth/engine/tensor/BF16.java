package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** BF16: TODO layout. */
public final class BF16 implements BlockFormat {
    public static final BF16 INSTANCE = new BF16();

    private BF16() {}

    @Override public GgmlType type() { return GgmlType.BF16; }

    @Override public GgmlType vecDotType() { return GgmlType.BF16; }

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
