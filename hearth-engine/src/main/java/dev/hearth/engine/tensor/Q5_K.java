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
 * Q5_K: 5-bit quants with a 6-bit scale and a 6-bit min per 32 values, 256 values in 176 bytes (5.5 bits per
 * weight). Value = d·scale·q − dmin·min, q in 0..31. Scales packed as in {@link Q4_K}.
 *
 * <pre>
 * offset size
 *   0     2   d           fp16 super-block scale of the scales
 *   2     2   dmin        fp16 super-block scale of the mins
 *   4    12   scales[12]  6-bit scales and mins, packed like Q4_K
 *  16    32   qh[32]      high bits: value 32·m + l has its 5th bit in qh[l] bit m  (m 0..7)
 *  48   128   qs[128]     low 4 bits: value 64·c + l low nibble of qs[32·c + l], 64·c + 32 + l high nibble
 * </pre>
 */
public final class Q5_K implements BlockFormat {
    public static final Q5_K INSTANCE = new Q5_K();

    static final int BLOCK_BYTES = 176;
    static final int D = 0, DMIN = 2, SCALES = 4, QH = 16, QS = 48;

    private Q5_K() {}

    @Override public GgmlType type() { return GgmlType.Q5_K; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float d = fp16(src, b + D), min = fp16(src, b + DMIN);
            for (int c = 0; c < 4; c++) {
                long q = b + QS + 32 * c;
                float d1 = d * scaleK4(src, b + SCALES, 2 * c), m1 = min * minK4(src, b + SCALES, 2 * c);
                float d2 = d * scaleK4(src, b + SCALES, 2 * c + 1), m2 = min * minK4(src, b + SCALES, 2 * c + 1);
                for (int l = 0; l < 32; l++) {
                    int h = ((u8(src, b + QH + l) >> (2 * c)) & 1) << 4;
                    dst[y++] = d1 * ((u8(src, q + l) & 0xF) + h) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    int h = ((u8(src, b + QH + l) >> (2 * c + 1)) & 1) << 4;
                    dst[y++] = d2 * ((u8(src, q + l) >> 4) + h) - m2;
                }
            }
        }
    }

    /** llama.cpp's quantize_row_q5_K_ref. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkBlocks(n);
        int[] L = new int[QK_K], laux = new int[32], ls = new int[8], lm = new int[8];
        float[] weights = new float[32], mins = new float[8], scales = new float[8];
        byte[] packed = new byte[12];
        for (int blk = 0; blk < n / QK_K; blk++) {
            int x = srcOffset + blk * QK_K;
            long out = dstOffset + (long) blk * BLOCK_BYTES;
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += src[x + 32 * j + l] * src[x + 32 * j + l];
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(src[x + 32 * j + l]);
                scales[j] = makeQkx2Quants(32, 31, src, x + 32 * j, weights, L, 32 * j, mins, j, laux, -0.5f, 0.1f, 15, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            // Q5_K's header (d, dmin, scales) sits where Q4_K's does, so the scale packing is shared.
            Q4_K.packSubScales(src, x, L, scales, mins, maxScale, maxMin, ls, lm, packed, dst, out, 31);
            for (int c = 0; c < 4; c++) {
                for (int j = 0; j < 32; j++) {
                    int l1 = L[64 * c + j], l2 = L[64 * c + j + 32];
                    dst.set(I8, out + QS + 32 * c + j, (byte) ((l1 & 0xF) | ((l2 & 0xF) << 4)));
                }
            }
            for (int j = 0; j < 32; j++) {
                int h = 0;
                for (int m = 0; m < 8; m++) h |= (L[32 * m + j] >> 4) << m;
                dst.set(I8, out + QH + j, (byte) h);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return KVectors.ENABLED ? dotVector(w, wOffset, x, xOffset, n) : dotScalar(w, wOffset, x, xOffset, n);
    }

    /**
     * {@link #dotScalar} with the Vector API: as {@link Q4_K#dotVector} with the fifth bit from qh
     * (products ≤ 31·127 in int16).
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        float sumMin = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            long scales = Q4_K.packedScales(w, b + SCALES);
            IntVector isum = IntVector.zero(I);
            for (int e = 0; e < 32; e += L) {
                ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QH + e, LITTLE)
                        .convertShape(ZERO_EXTEND_B2S, S, 0);
                for (int c = 0; c < 4; c++) {
                    int scLo = (int) (scales >>> (16 * c)) & 0xFF, scHi = (int) (scales >>> (16 * c + 8)) & 0xFF;
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QS + 32 * c + e, LITTLE)
                            .convertShape(ZERO_EXTEND_B2S, S, 0);
                    ShortVector yLo = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 64 * c + e, LITTLE)
                            .convertShape(B2S, S, 0);
                    ShortVector yHi = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 64 * c + 32 + e, LITTLE)
                            .convertShape(B2S, S, 0);
                    IntVector lo = q.and((short) 0xF).or(qh.lanewise(LSHR, 2 * c).and((short) 1).lanewise(LSHL, 4))
                            .mul(yLo).reinterpretAsInts();
                    IntVector hi = q.lanewise(LSHR, 4).or(qh.lanewise(LSHR, 2 * c + 1).and((short) 1).lanewise(LSHL, 4))
                            .mul(yHi).reinterpretAsInts();
                    isum = isum.add(lo.lanewise(LSHL, 16).lanewise(ASHR, 16).add(lo.lanewise(ASHR, 16)).mul(scLo))
                            .add(hi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(hi.lanewise(ASHR, 16)).mul(scHi));
                }
            }
            int dm = w.get(I32, b + D);
            float yd = x.get(F32, a + Q8_K.D);
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, Float.float16ToFloat((short) dm) * yd), acc);
            sumMin += Float.float16ToFloat((short) (dm >>> 16)) * yd * Q4_K.minTerms(Q4_K.packedMins(w, b + SCALES), x, a);
        }
        return acc.reduceLanes(ADD) - sumMin;
    }

    /** ggml_vec_dot_q5_K_q8_K: integer sums per 32-value sub-block; the mins through the activation's bsums. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        float sumf = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            int sumMins = 0;
            for (int j = 0; j < 16; j++) sumMins += x.get(I16, a + Q8_K.BSUMS + 2 * j) * minK4(w, b + SCALES, j / 2);
            int isum = 0;
            for (int c = 0; c < 4; c++) {
                long q = b + QS + 32 * c, q8 = a + Q8_K.QS + 64 * c;
                int lo = 0, hi = 0;
                for (int l = 0; l < 32; l++) {
                    int v = u8(w, q + l), h = u8(w, b + QH + l) >> (2 * c);
                    lo += x.get(I8, q8 + l) * ((v & 0xF) | (h & 1) << 4);
                    hi += x.get(I8, q8 + 32 + l) * ((v >> 4) | (h & 2) << 3);
                }
                isum += scaleK4(w, b + SCALES, 2 * c) * lo + scaleK4(w, b + SCALES, 2 * c + 1) * hi;
            }
            float yd = x.get(F32, a + Q8_K.D);
            sumf += fp16(w, b + D) * yd * isum - fp16(w, b + DMIN) * yd * sumMins;
        }
        return sumf;
    }
}
