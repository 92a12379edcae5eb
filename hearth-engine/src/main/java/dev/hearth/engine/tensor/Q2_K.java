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
 * Q2_K: 2-bit quants with a scale and a min per 16 values, 256 values in 84 bytes (2.625 bits per weight).
 * Value = d·(scale&15)·q − dmin·(scale>>4), q in 0..3.
 *
 * <pre>
 * offset size
 *   0    16   scales[16]  sub-block j: low nibble = 4-bit scale, high nibble = 4-bit min
 *  16    64   qs[64]      2-bit quants; value 128·h + 32·s + l is (qs[32·h + l] >> 2s) & 3  (h 0..1, s 0..3, l 0..31)
 *  80     2   d           fp16, super-block scale of the scales
 *  82     2   dmin        fp16, super-block scale of the mins
 * </pre>
 */
public final class Q2_K implements BlockFormat {
    public static final Q2_K INSTANCE = new Q2_K();

    static final int BLOCK_BYTES = 84;
    static final int SCALES = 0, QS = 16, D = 80, DMIN = 82;

    private Q2_K() {}

    @Override public GgmlType type() { return GgmlType.Q2_K; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float d = fp16(src, b + D), min = fp16(src, b + DMIN);
            int is = 0;
            for (int h = 0; h < 2; h++) {
                long q = b + QS + 32 * h;
                for (int shift = 0; shift < 8; shift += 2) {
                    for (int half = 0; half < 2; half++) {
                        int sc = u8(src, b + SCALES + is++);
                        float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                        for (int l = 16 * half; l < 16 * half + 16; l++) {
                            dst[y++] = dl * ((u8(src, q + l) >> shift) & 3) - ml;
                        }
                    }
                }
            }
        }
    }

    /** llama.cpp's quantize_row_q2_K_ref (what llama-quantize uses without an importance matrix). */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkBlocks(n);
        int[] L = new int[QK_K], laux = new int[16];
        float[] weights = new float[16], mins = new float[16], scales = new float[16];
        byte[] sc = new byte[16];
        final float q4scale = 15f;
        for (int blk = 0; blk < n / QK_K; blk++) {
            int x = srcOffset + blk * QK_K;
            long out = dstOffset + (long) blk * BLOCK_BYTES;
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) weights[l] = Math.abs(src[x + 16 * j + l]);
                scales[j] = makeQkx2Quants(16, 3, src, x + 16 * j, weights, L, 16 * j, mins, j, laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            if (maxScale > 0) {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; j++) sc[j] = (byte) nearestInt(iscale * scales[j]);
                putFp16(dst, out + D, maxScale / q4scale);
            } else {
                for (int j = 0; j < 16; j++) sc[j] = 0;
                putFp16(dst, out + D, 0f);
            }
            if (maxMin > 0) {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; j++) sc[j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                putFp16(dst, out + DMIN, maxMin / q4scale);
            } else {
                putFp16(dst, out + DMIN, 0f);
            }
            float dAll = fp16(dst, out + D), dMin = fp16(dst, out + DMIN);
            for (int j = 0; j < 16; j++) {
                float d = dAll * (sc[j] & 0xF);
                if (d == 0) continue;
                float dm = dMin * ((sc[j] & 0xFF) >> 4);
                for (int ii = 0; ii < 16; ii++) {
                    L[16 * j + ii] = Math.max(0, Math.min(3, nearestInt((src[x + 16 * j + ii] + dm) / d)));
                }
            }
            for (int j = 0; j < 16; j++) dst.set(I8, out + SCALES + j, sc[j]);
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; l++) {
                    int q = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
                    dst.set(I8, out + QS + j / 4 + l, (byte) q);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return KVectors.ENABLED ? dotVector(w, wOffset, x, xOffset, n) : dotScalar(w, wOffset, x, xOffset, n);
    }

    /**
     * {@link #dotScalar} with the Vector API: the 4-bit sub-block scale is folded into the 2-bit quant in int16
     * (3·15·127 = 5715, so four steps add up without overflow), then widened to int once per four steps.
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F), accMin = FloatVector.zero(F256);
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            IntVector isum = IntVector.zero(I);
            for (int h = 0; h < 2; h++) {
                long scales = w.get(I64, b + SCALES + 8 * h); // the 8 scale bytes of this half
                for (int e = 0; e < 32; e += L) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QS + 32 * h + e, LITTLE)
                            .convertShape(ZERO_EXTEND_B2S, S, 0);
                    ShortVector p = ShortVector.zero(S);
                    for (int s = 0; s < 4; s++) {
                        int j = 2 * s + e / 16;
                        ShortVector sc = ShortVector.broadcast(S, (short) ((scales >>> (8 * j)) & 0xF));
                        if (L == 32) sc = sc.blend((short) ((scales >>> (8 * j + 8)) & 0xF), S_HI);
                        ShortVector y = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 128 * h + 32 * s + e, LITTLE)
                                .convertShape(B2S, S, 0);
                        p = p.add(q.lanewise(LSHR, 2 * s).and((short) 3).mul(sc).mul(y));
                    }
                    IntVector v = p.reinterpretAsInts();
                    isum = isum.add(v.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(v.lanewise(ASHR, 16));
                }
            }
            // mins: Σ bsums[j]·(scales[j] >> 4); each product ≤ 16·127·15 fits int16
            ShortVector bsums = ShortVector.fromMemorySegment(S256, x, a + Q8_K.BSUMS, LITTLE);
            ShortVector mins = ((ShortVector) ByteVector.fromMemorySegment(B128, w, b + SCALES, LITTLE)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0)).lanewise(LSHR, 4);
            IntVector m = bsums.mul(mins).reinterpretAsInts();
            IntVector summs = m.lanewise(LSHL, 16).lanewise(ASHR, 16).add(m.lanewise(ASHR, 16));
            int dm = w.get(I32, b + D);
            float yd = x.get(F32, a + Q8_K.D);
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, yd * Float.float16ToFloat((short) dm)), acc);
            accMin = ((FloatVector) summs.convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, yd * Float.float16ToFloat((short) (dm >>> 16))), accMin);
        }
        return acc.reduceLanes(ADD) - accMin.reduceLanes(ADD);
    }

    /** ggml_vec_dot_q2_K_q8_K: integer sums per sub-block, the mins through the activation's 16-value sums. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        float sumf = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            int summs = 0;
            for (int j = 0; j < 16; j++) summs += x.get(I16, a + Q8_K.BSUMS + 2 * j) * (u8(w, b + SCALES + j) >> 4);
            float yd = x.get(F32, a + Q8_K.D);
            float dall = yd * fp16(w, b + D), dmin = yd * fp16(w, b + DMIN);
            int isum = 0;
            int is = 0;
            long q8 = a + Q8_K.QS;
            for (int h = 0; h < 2; h++) {
                long q2 = b + QS + 32 * h;
                for (int shift = 0; shift < 8; shift += 2) {
                    for (int half = 0; half < 2; half++) {
                        int d = u8(w, b + SCALES + is++) & 0xF;
                        int isuml = 0;
                        for (int l = 16 * half; l < 16 * half + 16; l++) {
                            isuml += x.get(I8, q8 + l) * ((u8(w, q2 + l) >> shift) & 3);
                        }
                        isum += d * isuml;
                    }
                    q8 += 32;
                }
            }
            sumf += dall * isum - dmin * summs;
        }
        return sumf;
    }
}
