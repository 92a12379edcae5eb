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
 * Q5_1: asymmetric 5-bit, blocks of 32 values in 24 bytes (llama.cpp {@code block_q5_1}):
 * <pre>
 *   byte 0..1   fp16 d       scale
 *   byte 2..3   fp16 m       minimum
 *   byte 4..7   u32  qh      little-endian; bit j = fifth bit of value j
 *   byte 8..23  u8   qs[16]  qs[j] low nibble = low 4 bits of value j, high nibble = of value j+16
 * </pre>
 * value = (nibble | bit << 4) * d + m. Dots against {@link Q8_1} activations, the min term through their stored
 * block sum {@code s}.
 */
public final class Q5_1 implements BlockFormat {
    public static final Q5_1 INSTANCE = new Q5_1();

    static final int QK = 32, BYTES = 24;

    private Q5_1() {}

    @Override public GgmlType type() { return GgmlType.Q5_1; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_1; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            long o = srcOffset + (long) b * BYTES;
            float d = fp16(src, o), m = fp16(src, o + 2);
            int qh = src.get(INT_LE, o + 4);
            int y = dstOffset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 8 + j);
                dst[y + j] = ((q & 0x0F) | ((qh >>> j) & 1) << 4) * d + m;
                dst[y + j + QK / 2] = (((q >> 4) & 0x0F) | ((qh >>> (j + 16)) & 1) << 4) * d + m;
            }
        }
    }

    /** llama.cpp's {@code quantize_row_q5_1_ref}: d = (max - min)/31, m = min, q = trunc((x - min)/d + 0.5). */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            int x = srcOffset + b * QK;
            long o = dstOffset + (long) b * BYTES;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putFp16(dst, o, d);
            putFp16(dst, o + 2, min);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int lo = (int) ((src[x + j] - min) * id + 0.5f) & 0xFF;
                int hi = (int) ((src[x + j + QK / 2] - min) * id + 0.5f) & 0xFF;
                dst.set(ValueLayout.JAVA_BYTE, o + 8 + j, (byte) ((lo & 0x0F) | (hi & 0x0F) << 4));
                qh |= (lo >> 4 & 1) << j | (hi >> 4 & 1) << (j + QK / 2);
            }
            dst.set(INT_LE, o + 4, qh);
        }
    }

    /** As {@link Q5_0#dot} with unsigned 5-bit values (31·128·2 fits int16); the min term summed apart. */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        float mins = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_1.BYTES;
            FloatVector d = FloatVector.broadcast(FS, fp16(w, wb) * fp16(x, xb));
            mins += fp16(w, wb + 2) * fp16(x, xb + 2);
            int qh = w.get(INT_LE, wb + 4);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, wb + 8, ByteOrder.LITTLE_ENDIAN);
            ShortVector lo = (ShortVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2S, S16, 0);
            ShortVector hi = (ShortVector) q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).convertShape(VectorOperators.B2S, S16, 0);
            lo = lo.lanewise(VectorOperators.OR, (short) 16, BIT16.and((short) qh).compare(VectorOperators.NE, 0));
            hi = hi.lanewise(VectorOperators.OR, (short) 16, BIT16.and((short) (qh >>> 16)).compare(VectorOperators.NE, 0));
            ShortVector p = lo.mul((ShortVector) ByteVector.fromMemorySegment(B16, x, xb + 4, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, S16, 0))
                    .add(hi.mul((ShortVector) ByteVector.fromMemorySegment(B16, x, xb + 20, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, S16, 0)));
            for (int part = 0; part < PARTS; part++) {
                acc = ((FloatVector) p.convertShape(VectorOperators.S2F, FS, part)).fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) + mins;
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_q5_1_q8_1}. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_1.BYTES;
            int qh = w.get(INT_LE, wb + 4);
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, wb + 8 + j);
                int v0 = (q & 0x0F) | ((qh >>> j) & 1) << 4;
                int v1 = ((q >> 4) & 0x0F) | ((qh >>> (j + 16)) & 1) << 4;
                sumi += v0 * x.get(ValueLayout.JAVA_BYTE, xb + 4 + j) + v1 * x.get(ValueLayout.JAVA_BYTE, xb + 20 + j);
            }
            sum += (fp16(w, wb) * fp16(x, xb)) * sumi + fp16(w, wb + 2) * fp16(x, xb + 2);
        }
        return sum;
    }
}
