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
 * Q4_1: asymmetric 4-bit, blocks of 32 values in 20 bytes (llama.cpp {@code block_q4_1}):
 * <pre>
 *   byte 0..1   fp16 d       scale
 *   byte 2..3   fp16 m       minimum
 *   byte 4..19  u8   qs[16]  qs[j] low nibble = value j, high nibble = value j+16
 * </pre>
 * value = nibble * d + m. Dots against {@link Q8_1} activations: Σ(d·q·dy·qy) + m·Σ(dy·qy), where the second sum is
 * the activation block's stored {@code s}.
 */
public final class Q4_1 implements BlockFormat {
    public static final Q4_1 INSTANCE = new Q4_1();

    static final int QK = 32, BYTES = 20;

    private Q4_1() {}

    @Override public GgmlType type() { return GgmlType.Q4_1; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_1; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            long o = srcOffset + (long) b * BYTES;
            float d = fp16(src, o), m = fp16(src, o + 2);
            int y = dstOffset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 4 + j);
                dst[y + j] = (q & 0x0F) * d + m;
                dst[y + j + QK / 2] = ((q >> 4) & 0x0F) * d + m;
            }
        }
    }

    /**
     * llama.cpp's {@code quantize_row_q4_1_ref}: d = (max - min)/15, m = min, q = trunc((x - min)/d + 0.5) capped
     * at 15 (the unrounded min and 1/d are used, not their fp16 versions).
     */
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
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putFp16(dst, o, d);
            putFp16(dst, o + 2, min);
            for (int j = 0; j < QK / 2; j++) {
                int lo = Math.min(15, (byte) (int) ((src[x + j] - min) * id + 0.5f));
                int hi = Math.min(15, (byte) (int) ((src[x + j + QK / 2] - min) * id + 0.5f));
                dst.set(ValueLayout.JAVA_BYTE, o + 4 + j, (byte) (lo | hi << 4));
            }
        }
    }

    /** Per block: 16 int16 sums of two products (15·128·2 fits), widened to float, scaled by dx·dy; min term apart. */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        float mins = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_1.BYTES;
            FloatVector d = FloatVector.broadcast(FS, fp16(w, wb) * fp16(x, xb));
            mins += fp16(w, wb + 2) * fp16(x, xb + 2);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, wb + 4, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0x0F);
            ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F);
            ByteVector y0 = ByteVector.fromMemorySegment(B16, x, xb + 4, ByteOrder.LITTLE_ENDIAN);
            ByteVector y1 = ByteVector.fromMemorySegment(B16, x, xb + 20, ByteOrder.LITTLE_ENDIAN);
            ShortVector p = ((ShortVector) lo.convertShape(VectorOperators.B2S, S16, 0))
                    .mul((ShortVector) y0.convertShape(VectorOperators.B2S, S16, 0))
                    .add(((ShortVector) hi.convertShape(VectorOperators.B2S, S16, 0))
                            .mul((ShortVector) y1.convertShape(VectorOperators.B2S, S16, 0)));
            for (int part = 0; part < PARTS; part++) {
                acc = ((FloatVector) p.convertShape(VectorOperators.S2F, FS, part)).fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) + mins;
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_q4_1_q8_1}. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_1.BYTES;
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, wb + 4 + j);
                sumi += (q & 0x0F) * x.get(ValueLayout.JAVA_BYTE, xb + 4 + j)
                        + ((q >> 4) & 0x0F) * x.get(ValueLayout.JAVA_BYTE, xb + 4 + j + QK / 2);
            }
            sum += (fp16(w, wb) * fp16(x, xb)) * sumi + fp16(w, wb + 2) * fp16(x, xb + 2);
        }
        return sum;
    }
}
