package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.hearth.engine.tensor.BlockVectors.B16;
import static dev.hearth.engine.tensor.BlockVectors.FS;
import static dev.hearth.engine.tensor.BlockVectors.PARTS;
import static dev.hearth.engine.tensor.BlockVectors.S16;
import static dev.hearth.engine.tensor.HalfFloats.fp16;
import static dev.hearth.engine.tensor.HalfFloats.putFp16;

/**
 * Q4_0: symmetric 4-bit, blocks of 32 values in 18 bytes (llama.cpp {@code block_q4_0}):
 * <pre>
 *   byte 0..1   fp16 d       scale
 *   byte 2..17  u8   qs[16]  qs[j] low nibble = value j, high nibble = value j+16
 * </pre>
 * value = (nibble - 8) * d. Dots against {@link Q8_0} activations.
 */
public final class Q4_0 implements BlockFormat {
    public static final Q4_0 INSTANCE = new Q4_0();

    static final int QK = 32, BYTES = 18;

    private Q4_0() {}

    @Override public GgmlType type() { return GgmlType.Q4_0; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_0; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            long o = srcOffset + (long) b * BYTES;
            float d = fp16(src, o);
            int y = dstOffset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 2 + j);
                dst[y + j] = ((q & 0x0F) - 8) * d;
                dst[y + j + QK / 2] = (((q >> 4) & 0x0F) - 8) * d;
            }
        }
    }

    /**
     * llama.cpp's {@code quantize_row_q4_0_ref}: d = -max/8 where max is the value of largest magnitude (so that
     * value maps to -8 exactly and the other side gets 7 steps), then truncation of x/d + 8.5.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            int x = srcOffset + b * QK;
            long o = dstOffset + (long) b * BYTES;
            float amax = 0, max = 0;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putFp16(dst, o, d);
            for (int j = 0; j < QK / 2; j++) {
                int lo = Math.min(15, (byte) (int) (src[x + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (int) (src[x + j + QK / 2] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (lo | hi << 4));
            }
        }
    }

    /** Per block: 16 int16 sums of two products (|(-8)·(-128)|·2 fits), widened to float and scaled by dx·dy. */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_0.BYTES;
            FloatVector d = FloatVector.broadcast(FS, fp16(w, wb) * fp16(x, xb));
            ByteVector q = ByteVector.fromMemorySegment(B16, w, wb + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
            ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).sub((byte) 8);
            ByteVector y0 = ByteVector.fromMemorySegment(B16, x, xb + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector y1 = ByteVector.fromMemorySegment(B16, x, xb + 18, ByteOrder.LITTLE_ENDIAN);
            ShortVector p = ((ShortVector) lo.convertShape(VectorOperators.B2S, S16, 0))
                    .mul((ShortVector) y0.convertShape(VectorOperators.B2S, S16, 0))
                    .add(((ShortVector) hi.convertShape(VectorOperators.B2S, S16, 0))
                            .mul((ShortVector) y1.convertShape(VectorOperators.B2S, S16, 0)));
            for (int part = 0; part < PARTS; part++) {
                acc = ((FloatVector) p.convertShape(VectorOperators.S2F, FS, part)).fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_q4_0_q8_0}. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_0.BYTES;
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, wb + 2 + j);
                sumi += ((q & 0x0F) - 8) * x.get(ValueLayout.JAVA_BYTE, xb + 2 + j)
                        + (((q >> 4) & 0x0F) - 8) * x.get(ValueLayout.JAVA_BYTE, xb + 2 + j + QK / 2);
            }
            sum += sumi * (fp16(w, wb) * fp16(x, xb));
        }
        return sum;
    }
}
