package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.hearth.engine.tensor.BlockVectors.B16;
import static dev.hearth.engine.tensor.BlockVectors.BIT16;
import static dev.hearth.engine.tensor.BlockVectors.FS;
import static dev.hearth.engine.tensor.BlockVectors.PARTS;
import static dev.hearth.engine.tensor.BlockVectors.S16;
import static dev.hearth.engine.tensor.HalfFloats.INT_LE;
import static dev.hearth.engine.tensor.HalfFloats.fp16;
import static dev.hearth.engine.tensor.HalfFloats.putFp16;

/**
 * Q5_0: symmetric 5-bit, blocks of 32 values in 22 bytes (llama.cpp {@code block_q5_0}):
 * <pre>
 *   byte 0..1   fp16 d       scale
 *   byte 2..5   u32  qh      little-endian; bit j = fifth bit of value j
 *   byte 6..21  u8   qs[16]  qs[j] low nibble = low 4 bits of value j, high nibble = of value j+16
 * </pre>
 * value = ((nibble | bit << 4) - 16) * d. Dots against {@link Q8_0} activations.
 */
public final class Q5_0 implements BlockFormat {
    public static final Q5_0 INSTANCE = new Q5_0();

    static final int QK = 32, BYTES = 22;

    private Q5_0() {}

    @Override public GgmlType type() { return GgmlType.Q5_0; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_0; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            long o = srcOffset + (long) b * BYTES;
            float d = fp16(src, o);
            int qh = src.get(INT_LE, o + 2);
            int y = dstOffset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 6 + j);
                dst[y + j] = (((q & 0x0F) | ((qh >>> j) & 1) << 4) - 16) * d;
                dst[y + j + QK / 2] = ((((q >> 4) & 0x0F) | ((qh >>> (j + 16)) & 1) << 4) - 16) * d;
            }
        }
    }

    /** llama.cpp's {@code quantize_row_q5_0_ref}: d = -max/16 (max = value of largest magnitude), trunc(x/d + 16.5). */
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
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putFp16(dst, o, d);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int lo = Math.min(31, (byte) (int) (src[x + j] * id + 16.5f));
                int hi = Math.min(31, (byte) (int) (src[x + j + QK / 2] * id + 16.5f));
                dst.set(ValueLayout.JAVA_BYTE, o + 6 + j, (byte) ((lo & 0x0F) | (hi & 0x0F) << 4));
                qh |= (lo >> 4 & 1) << j | (hi >> 4 & 1) << (j + QK / 2);
            }
            dst.set(INT_LE, o + 2, qh);
        }
    }

    /**
     * Per block: nibbles widened to int16, 16 subtracted where the fifth bit is clear (lane j of a 16-bit mask
     * vector tests bit j of qh, no shuffles), 16 int16 sums of two products (16·128·2 fits), scaled in float.
     */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_0.BYTES;
            FloatVector d = FloatVector.broadcast(FS, fp16(w, wb) * fp16(x, xb));
            int qh = w.get(INT_LE, wb + 2);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, wb + 6, ByteOrder.LITTLE_ENDIAN);
            ShortVector lo = (ShortVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2S, S16, 0);
            ShortVector hi = (ShortVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).convertShape(VectorOperators.B2S, S16, 0);
            lo = lo.lanewise(VectorOperators.SUB, (short) 16, BIT16.and((short) qh).compare(VectorOperators.EQ, 0));
            hi = hi.lanewise(VectorOperators.SUB, (short) 16, BIT16.and((short) (qh >>> 16)).compare(VectorOperators.EQ, 0));
            ShortVector p = lo.mul((ShortVector) ByteVector.fromMemorySegment(B16, x, xb + 2, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, S16, 0))
                    .add(hi.mul((ShortVector) ByteVector.fromMemorySegment(B16, x, xb + 18, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, S16, 0)));
            for (int part = 0; part < PARTS; part++) {
                acc = ((FloatVector) p.convertShape(VectorOperators.S2F, FS, part)).fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_q5_0_q8_0}. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_0.BYTES;
            int qh = w.get(INT_LE, wb + 2);
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, wb + 6 + j);
                int v0 = ((q & 0x0F) | ((qh >>> j) & 1) << 4) - 16;
                int v1 = (((q >> 4) & 0x0F) | ((qh >>> (j + 16)) & 1) << 4) - 16;
                sumi += v0 * x.get(ValueLayout.JAVA_BYTE, xb + 2 + j) + v1 * x.get(ValueLayout.JAVA_BYTE, xb + 18 + j);
            }
            sum += sumi * (fp16(w, wb) * fp16(x, xb));
        }
        return sum;
    }
}
