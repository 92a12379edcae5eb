package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.hearth.engine.tensor.BlockVectors.B16;
import static dev.hearth.engine.tensor.BlockVectors.FS;
import static dev.hearth.engine.tensor.BlockVectors.IS;
import static dev.hearth.engine.tensor.BlockVectors.PARTS;
import static dev.hearth.engine.tensor.BlockVectors.S16;
import static dev.hearth.engine.tensor.HalfFloats.fp16;
import static dev.hearth.engine.tensor.HalfFloats.putFp16;
import static dev.hearth.engine.tensor.HalfFloats.roundHalfAway;

/**
 * Q8_0: symmetric 8-bit, blocks of 32 values in 34 bytes (llama.cpp {@code block_q8_0}):
 * <pre>
 *   byte 0..1   fp16 d       scale
 *   byte 2..33  i8   qs[32]  value j = qs[j] * d
 * </pre>
 * Both a weight format and the activation format for Q4_0, Q5_0, Q8_0 and IQ4_NL weights: {@link #quantize} is
 * the activation quantizer.
 */
public final class Q8_0 implements BlockFormat {
    public static final Q8_0 INSTANCE = new Q8_0();

    static final int QK = 32, BYTES = 34;

    private Q8_0() {}

    @Override public GgmlType type() { return GgmlType.Q8_0; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_0; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            long o = srcOffset + (long) b * BYTES;
            float d = fp16(src, o);
            int y = dstOffset + b * QK;
            for (int j = 0; j < QK; j++) dst[y + j] = src.get(ValueLayout.JAVA_BYTE, o + 2 + j) * d;
        }
    }

    /**
     * llama.cpp's {@code quantize_row_q8_0_ref}: d = amax/127, q = roundf(x/d) with halfway cases away from zero.
     * (ggml's x86 SIMD activation path rounds halves to even; the reference is what the fixtures hold.)
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            int x = srcOffset + b * QK;
            long o = dstOffset + (long) b * BYTES;
            float amax = 0;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putFp16(dst, o, d);
            for (int j = 0; j < QK; j++) dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) roundHalfAway(src[x + j] * id));
        }
    }

    /**
     * Per block: int16 products (each at most 128·128), widened to int before adding (two of them could reach
     * 2^15), then one float scale dx·dy.
     */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * BYTES;
            FloatVector d = FloatVector.broadcast(FS, fp16(w, wb) * fp16(x, xb));
            ShortVector p0 = ((ShortVector) ByteVector.fromMemorySegment(B16, w, wb + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, S16, 0))
                    .mul((ShortVector) ByteVector.fromMemorySegment(B16, x, xb + 2, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, S16, 0));
            ShortVector p1 = ((ShortVector) ByteVector.fromMemorySegment(B16, w, wb + 18, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, S16, 0))
                    .mul((ShortVector) ByteVector.fromMemorySegment(B16, x, xb + 18, ByteOrder.LITTLE_ENDIAN)
                            .convertShape(VectorOperators.B2S, S16, 0));
            IntVector s = IntVector.zero(IS);
            for (int part = 0; part < PARTS; part++) {
                s = s.add(p0.convertShape(VectorOperators.S2I, IS, part)).add(p1.convertShape(VectorOperators.S2I, IS, part));
            }
            acc = ((FloatVector) s.convert(VectorOperators.I2F, 0)).fma(d, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_q8_0_q8_0}. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * BYTES;
            int sumi = 0;
            for (int j = 0; j < QK; j++) {
                sumi += w.get(ValueLayout.JAVA_BYTE, wb + 2 + j) * x.get(ValueLayout.JAVA_BYTE, xb + 2 + j);
            }
            sum += sumi * (fp16(w, wb) * fp16(x, xb));
        }
        return sum;
    }
}
