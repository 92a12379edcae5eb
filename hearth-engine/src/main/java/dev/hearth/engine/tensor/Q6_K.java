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
 * Q6_K: 6-bit quants with a signed 8-bit scale per 16 values, 256 values in 210 bytes (6.5625 bits per weight).
 * Value = d·scale·(q−32), q in 0..63.
 *
 * <pre>
 * offset size
 *   0   128   ql[128]     low 4 bits: in half h (128 values), value 128·h + 32·s + l uses ql[64·h + 32·(s&amp;1) + l],
 *                         low nibble for s &lt; 2, high nibble for s ≥ 2  (s 0..3, l 0..31)
 * 128    64   qh[64]      high 2 bits: value 128·h + 32·s + l has them at bits 2s..2s+1 of qh[32·h + l]
 * 192    16   scales[16]  int8 scale per 16 values
 * 208     2   d           fp16 super-block scale
 * </pre>
 */
public final class Q6_K implements BlockFormat {
    public static final Q6_K INSTANCE = new Q6_K();

    static final int BLOCK_BYTES = 210;
    static final int QL = 0, QH = 128, SCALES = 192, D = 208;

    private Q6_K() {}

    @Override public GgmlType type() { return GgmlType.Q6_K; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    /** The 6-bit quant (0..63) of value 128·h + 32·s + l of the block at b. */
    static int quant(MemorySegment s, long b, int h, int sub, int l) {
        int low = u8(s, b + QL + 64 * h + 32 * (sub & 1) + l);
        low = sub < 2 ? low & 0xF : low >> 4;
        return low | ((u8(s, b + QH + 32 * h + l) >> (2 * sub)) & 3) << 4;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float d = fp16(src, b + D);
            for (int h = 0; h < 2; h++) {
                for (int sub = 0; sub < 4; sub++) {
                    for (int l = 0; l < 32; l++) {
                        int sc = src.get(I8, b + SCALES + 8 * h + 2 * sub + l / 16);
                        dst[y++] = d * sc * (quant(src, b, h, sub, l) - 32);
                    }
                }
            }
        }
    }

    /** llama.cpp's quantize_row_q6_K_ref. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkBlocks(n);
        int[] L = new int[QK_K];
        float[] scales = new float[16];
        for (int blk = 0; blk < n / QK_K; blk++) {
            int x = srcOffset + blk * QK_K;
            long out = dstOffset + (long) blk * BLOCK_BYTES;
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = makeQxQuants(16, 32, src, x + 16 * ib, L, 16 * ib);
                scales[ib] = scale;
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                dst.asSlice(out, BLOCK_BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            putFp16(dst, out + D, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) {
                dst.set(I8, out + SCALES + ib, (byte) Math.min(127, nearestInt(iscale * scales[ib])));
            }
            float dAll = fp16(dst, out + D);
            for (int j = 0; j < 16; j++) {
                float d = dAll * dst.get(I8, out + SCALES + j);
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++) {
                    L[16 * j + ii] = Math.max(-32, Math.min(31, nearestInt(src[x + 16 * j + ii] / d))) + 32;
                }
            }
            for (int h = 0; h < 2; h++) {
                int j = 128 * h;
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                    dst.set(I8, out + QL + 64 * h + l, (byte) ((q1 & 0xF) | (q3 & 0xF) << 4));
                    dst.set(I8, out + QL + 64 * h + 32 + l, (byte) ((q2 & 0xF) | (q4 & 0xF) << 4));
                    dst.set(I8, out + QH + 32 * h + l, (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6));
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return KVectors.ENABLED ? dotVector(w, wOffset, x, xOffset, n) : dotScalar(w, wOffset, x, xOffset, n);
    }

    /**
     * {@link #dotScalar} with the Vector API: products of a step in int16 (32·127), widened by pair sums and
     * multiplied in int by the int8 scales of their 16-value sub-blocks.
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            IntVector isum = IntVector.zero(I);
            for (int h = 0; h < 2; h++) {
                long scales = w.get(I64, b + SCALES + 8 * h); // int8 scales of sub-blocks 8h..8h+7
                for (int e = 0; e < 32; e += L) {
                    ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QH + 32 * h + e, LITTLE)
                            .convertShape(ZERO_EXTEND_B2S, S, 0);
                    for (int t = 0; t < 2; t++) {
                        // ql bytes of runs t (low nibbles) and t + 2 (high nibbles)
                        ShortVector ql = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QL + 64 * h + 32 * t + e, LITTLE)
                                .convertShape(ZERO_EXTEND_B2S, S, 0);
                        ShortVector ya = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 128 * h + 32 * t + e, LITTLE)
                                .convertShape(B2S, S, 0);
                        ShortVector yb = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 128 * h + 32 * (t + 2) + e, LITTLE)
                                .convertShape(B2S, S, 0);
                        IntVector pa = ql.and((short) 0xF).or(qh.lanewise(LSHR, 2 * t).and((short) 3).lanewise(LSHL, 4))
                                .sub((short) 32).mul(ya).reinterpretAsInts();
                        IntVector pb = ql.lanewise(LSHR, 4).or(qh.lanewise(LSHR, 2 * t + 4).and((short) 3).lanewise(LSHL, 4))
                                .sub((short) 32).mul(yb).reinterpretAsInts();
                        int ja = 2 * t + e / 16, jb = ja + 4;
                        IntVector sca = IntVector.broadcast(I, (byte) (scales >>> (8 * ja)));
                        IntVector scb = IntVector.broadcast(I, (byte) (scales >>> (8 * jb)));
                        if (L == 32) {
                            sca = sca.blend((byte) (scales >>> (8 * ja + 8)), I_HI);
                            scb = scb.blend((byte) (scales >>> (8 * jb + 8)), I_HI);
                        }
                        isum = isum.add(pa.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pa.lanewise(ASHR, 16)).mul(sca))
                                .add(pb.lanewise(LSHL, 16).lanewise(ASHR, 16).add(pb.lanewise(ASHR, 16)).mul(scb));
                    }
                }
            }
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, fp16(w, b + D) * x.get(F32, a + Q8_K.D)), acc);
        }
        return acc.reduceLanes(ADD);
    }

    /** ggml_vec_dot_q6_K_q8_K: Σ_blocks d·dy·Σ_sub scale·Σ q8·(q−32). */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        float sumf = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            int isum = 0;
            long q8 = a + Q8_K.QS;
            for (int h = 0; h < 2; h++) {
                for (int sub = 0; sub < 4; sub++) {
                    for (int half = 0; half < 2; half++) {
                        int s = 0;
                        for (int l = 16 * half; l < 16 * half + 16; l++) {
                            s += x.get(I8, q8 + l) * (quant(w, b, h, sub, l) - 32);
                        }
                        isum += w.get(I8, b + SCALES + 8 * h + 2 * sub + half) * s;
                    }
                    q8 += 32;
                }
            }
            sumf += fp16(w, b + D) * x.get(F32, a + Q8_K.D) * isum;
        }
        return sumf;
    }
}
