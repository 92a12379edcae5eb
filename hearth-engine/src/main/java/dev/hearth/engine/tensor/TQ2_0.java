package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.HalfFloats.fp16;
import static dev.hearth.engine.tensor.HalfFloats.putFp16;
import static dev.hearth.engine.tensor.HalfFloats.roundHalfAway;
import static dev.hearth.engine.tensor.KQuants.*;
import static dev.hearth.engine.tensor.KVectors.*;
import static jdk.incubator.vector.VectorOperators.*;

/**
 * TQ2_0: ternary values (−1, 0, +1) times one scale, 2 bits each, 256 values in 66 bytes (2.0625 bits per
 * weight). Value = d·(q−1), q in 0..2.
 *
 * <pre>
 * offset size
 *   0    64   qs[64]   value 128·h + 32·s + m is (qs[32·h + m] >> 2s) &amp; 3  (h 0..1, s 0..3, m 0..31)
 *  64     2   d        fp16 scale (the block's largest magnitude)
 * </pre>
 */
public final class TQ2_0 implements BlockFormat {
    public static final TQ2_0 INSTANCE = new TQ2_0();

    static final int BLOCK_BYTES = 66;
    static final int QS = 0, D = 64;

    private TQ2_0() {}

    @Override public GgmlType type() { return GgmlType.TQ2_0; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float d = fp16(src, b + D);
            for (int h = 0; h < 2; h++) {
                for (int s = 0; s < 4; s++) {
                    for (int m = 0; m < 32; m++) {
                        int q = (u8(src, b + QS + 32 * h + m) >> (2 * s)) & 3;
                        dst[y++] = (float) (q - 1) * d;
                    }
                }
            }
        }
    }

    /** llama.cpp's quantize_row_tq2_0_ref: d = largest magnitude, q = roundHalfAway(x/d) + 1. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkBlocks(n);
        for (int blk = 0; blk < n / QK_K; blk++) {
            int x = srcOffset + blk * QK_K;
            long out = dstOffset + (long) blk * BLOCK_BYTES;
            float amax = 0;
            for (int j = 0; j < QK_K; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax;
            float id = d != 0 ? 1f / d : 0f;
            putFp16(dst, out + D, d);
            for (int h = 0; h < 2; h++) {
                for (int m = 0; m < 32; m++) {
                    int q = 0;
                    for (int s = 0; s < 4; s++) {
                        int xi = roundHalfAway(src[x + 128 * h + 32 * s + m] * id) + 1;
                        q += (xi & 3) << (2 * s);
                    }
                    dst.set(I8, out + QS + 32 * h + m, (byte) q);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return KVectors.ENABLED ? dotVector(w, wOffset, x, xOffset, n) : dotScalar(w, wOffset, x, xOffset, n);
    }

    /**
     * {@link #dotScalar} with the Vector API: the products (|q8| ≤ 127) of a whole block add up in int16 and are
     * widened once per block.
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            ShortVector p = ShortVector.zero(S);
            for (int h = 0; h < 2; h++) {
                for (int e = 0; e < 32; e += L) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QS + 32 * h + e, LITTLE)
                            .convertShape(ZERO_EXTEND_B2S, S, 0);
                    for (int s = 0; s < 4; s++) {
                        ShortVector y = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 128 * h + 32 * s + e, LITTLE)
                                .convertShape(B2S, S, 0);
                        p = p.add(q.lanewise(LSHR, 2 * s).and((short) 3).sub((short) 1).mul(y));
                    }
                }
            }
            IntVector v = p.reinterpretAsInts();
            IntVector widep = v.lanewise(LSHL, 16).lanewise(ASHR, 16).add(v.lanewise(ASHR, 16));
            acc = ((FloatVector) widep.convert(I2F, 0)).fma(FloatVector.broadcast(F, x.get(F32, a + Q8_K.D) * fp16(w, b + D)), acc);
        }
        return acc.reduceLanes(ADD);
    }

    /** ggml_vec_dot_tq2_0_q8_K: one integer sum per block. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        float sumf = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            int sumi = 0;
            for (int h = 0; h < 2; h++) {
                for (int s = 0; s < 4; s++) {
                    for (int m = 0; m < 32; m++) {
                        int q = (u8(w, b + QS + 32 * h + m) >> (2 * s)) & 3;
                        sumi += x.get(I8, a + Q8_K.QS + 128 * h + 32 * s + m) * (q - 1);
                    }
                }
            }
            sumf += (float) sumi * (x.get(F32, a + Q8_K.D) * fp16(w, b + D));
        }
        return sumf;
    }
}
