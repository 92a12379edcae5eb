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
 * Q4_K: 4-bit quants with a 6-bit scale and a 6-bit min per 32 values, 256 values in 144 bytes (4.5 bits per
 * weight). Value = d·scale·q − dmin·min, q in 0..15.
 *
 * <pre>
 * offset size
 *   0     2   d           fp16 super-block scale of the scales
 *   2     2   dmin        fp16 super-block scale of the mins
 *   4    12   scales[12]  8 six-bit scales and 8 six-bit mins (ggml's get_scale_min_k4): for j &lt; 4 scale j is
 *                         byte j &amp; 63 and min j is byte j+4 &amp; 63; for j ≥ 4 the low 4 bits are the nibbles of
 *                         byte j+4 (scale low, min high) and the high 2 bits are the top bits of bytes j−4
 *                         (scale) and j (min)
 *  16   128   qs[128]     value 64·c + l is the low nibble of qs[32·c + l], value 64·c + 32 + l the high nibble
 * </pre>
 */
public final class Q4_K implements BlockFormat {
    public static final Q4_K INSTANCE = new Q4_K();

    static final int BLOCK_BYTES = 144;
    static final int D = 0, DMIN = 2, SCALES = 4, QS = 16;

    private Q4_K() {}

    @Override public GgmlType type() { return GgmlType.Q4_K; }

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
                for (int l = 0; l < 32; l++) dst[y++] = d1 * (u8(src, q + l) & 0xF) - m1;
                for (int l = 0; l < 32; l++) dst[y++] = d2 * (u8(src, q + l) >> 4) - m2;
            }
        }
    }

    /** llama.cpp's quantize_row_q4_K_ref. */
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
                scales[j] = makeQkx2Quants(32, 15, src, x + 32 * j, weights, L, 32 * j, mins, j, laux, -1f, 0.1f, 20, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            packSubScales(src, x, L, scales, mins, maxScale, maxMin, ls, lm, packed, dst, out, 15);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    dst.set(I8, out + QS + 32 * c + l, (byte) (L[64 * c + l] | (L[64 * c + l + 32] << 4)));
                }
            }
        }
    }

    /**
     * The part of quantize_row_q4_K_ref / q5_K_ref after the per-sub-block search: 6-bit scales and mins relative
     * to the largest of each, the fp16 super-block factors, then every value re-quantized against the rounded
     * scales (levels 0..nmax into L).
     */
    static void packSubScales(float[] src, int x, int[] L, float[] scales, float[] mins, float maxScale, float maxMin,
                              int[] ls, int[] lm, byte[] packed, MemorySegment dst, long out, int nmax) {
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            ls[j] = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            lm[j] = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
        }
        java.util.Arrays.fill(packed, (byte) 0);
        packScalesK4(ls, lm, packed);
        for (int j = 0; j < 12; j++) dst.set(I8, out + SCALES + j, packed[j]);
        putFp16(dst, out + D, maxScale / 63f);
        putFp16(dst, out + DMIN, maxMin / 63f);
        float dAll = fp16(dst, out + D), dMin = fp16(dst, out + DMIN);
        for (int j = 0; j < 8; j++) {
            float d = dAll * scaleK4(dst, out + SCALES, j);
            if (d == 0) continue;
            float dm = dMin * minK4(dst, out + SCALES, j);
            for (int ii = 0; ii < 32; ii++) {
                L[32 * j + ii] = Math.max(0, Math.min(nmax, nearestInt((src[x + 32 * j + ii] + dm) / d)));
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return KVectors.ENABLED ? dotVector(w, wOffset, x, xOffset, n) : dotScalar(w, wOffset, x, xOffset, n);
    }

    /**
     * {@link #dotScalar} with the Vector API: products of a step in int16 (15·127), widened by pair sums and
     * scaled in int per 32-value sub-block; the mins against the activation's bsums in scalar code.
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        float sumMin = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            long scales = packedScales(w, b + SCALES);
            IntVector isum = IntVector.zero(I);
            for (int c = 0; c < 4; c++) {
                int scLo = (int) (scales >>> (16 * c)) & 0xFF, scHi = (int) (scales >>> (16 * c + 8)) & 0xFF;
                for (int e = 0; e < 32; e += L) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QS + 32 * c + e, LITTLE)
                            .convertShape(ZERO_EXTEND_B2S, S, 0);
                    ShortVector yLo = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 64 * c + e, LITTLE)
                            .convertShape(B2S, S, 0);
                    ShortVector yHi = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 64 * c + 32 + e, LITTLE)
                            .convertShape(B2S, S, 0);
                    IntVector lo = q.and((short) 0xF).mul(yLo).reinterpretAsInts();
                    IntVector hi = q.lanewise(LSHR, 4).mul(yHi).reinterpretAsInts();
                    isum = isum.add(lo.lanewise(LSHL, 16).lanewise(ASHR, 16).add(lo.lanewise(ASHR, 16)).mul(scLo))
                            .add(hi.lanewise(LSHL, 16).lanewise(ASHR, 16).add(hi.lanewise(ASHR, 16)).mul(scHi));
                }
            }
            int dm = w.get(I32, b + D);
            float yd = x.get(F32, a + Q8_K.D);
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, Float.float16ToFloat((short) dm) * yd), acc);
            sumMin += Float.float16ToFloat((short) (dm >>> 16)) * yd * minTerms(packedMins(w, b + SCALES), x, a);
        }
        return acc.reduceLanes(ADD) - sumMin;
    }

    /** The 8 six-bit scales of a Q4_K/Q5_K block, scale j in byte j (ggml's utmp shuffle, scale half). */
    static long packedScales(MemorySegment w, long scales) {
        int u0 = w.get(I32, scales), u2 = w.get(I32, scales + 8);
        int lo = u0 & 0x3f3f3f3f, hi = (u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4);
        return (lo & 0xFFFFFFFFL) | ((long) hi << 32);
    }

    /** The 8 six-bit mins of a Q4_K/Q5_K block, min j in byte j. */
    static long packedMins(MemorySegment w, long scales) {
        int u1 = w.get(I32, scales + 4), u2 = w.get(I32, scales + 8);
        int lo = u1 & 0x3f3f3f3f, hi = ((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4);
        return (lo & 0xFFFFFFFFL) | ((long) hi << 32);
    }

    /** Σ_j bsums[j]·min[j/2] of one activation block, the bsums read four at a time. */
    static int minTerms(long mins, MemorySegment x, long a) {
        int sum = 0;
        for (int k = 0; k < 4; k++) {
            long bs = x.get(I64, a + Q8_K.BSUMS + 8 * k); // bsums 4k..4k+3: pairs for mins 2k and 2k+1
            int pairA = (short) bs + (short) (bs >>> 16), pairB = (short) (bs >>> 32) + (short) (bs >>> 48);
            sum += pairA * (int) ((mins >>> (16 * k)) & 0xFF) + pairB * (int) ((mins >>> (16 * k + 8)) & 0xFF);
        }
        return sum;
    }

    /** ggml_vec_dot_q4_K_q8_K: integer sums per 32-value sub-block; the mins through the activation's bsums. */
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
                    int v = u8(w, q + l);
                    lo += x.get(I8, q8 + l) * (v & 0xF);
                    hi += x.get(I8, q8 + 32 + l) * (v >> 4);
                }
                isum += scaleK4(w, b + SCALES, 2 * c) * lo + scaleK4(w, b + SCALES, 2 * c + 1) * hi;
            }
            float yd = x.get(F32, a + Q8_K.D);
            sumf += fp16(w, b + D) * yd * isum - fp16(w, b + DMIN) * yd * sumMins;
        }
        return sumf;
    }
}
