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
 * Q3_K: 3-bit quants with a signed 6-bit scale per 16 values, 256 values in 110 bytes (3.4375 bits per weight).
 * Value = d·(scale−32)·(q−4), q in 0..7: 2 low bits in qs, the high bit in hmask (set means +4).
 *
 * <pre>
 * offset size
 *   0    32   hmask[32]   high bits: value 32·m + l has its bit in hmask[l] bit m  (m 0..7, l 0..31)
 *  32    64   qs[64]      low 2 bits: value 128·h + 32·s + l is (qs[32·h + l] >> 2s) & 3
 *  96    12   scales[12]  16 six-bit scales (stored +32): low nibbles of sub-blocks 0..7 in bytes 0..7 low
 *                         nibbles, 8..15 in bytes 0..7 high nibbles; the 2 high bits of sub-block j in byte
 *                         8 + j%4 at bit 2·(j/4)
 * 108     2   d           fp16 super-block scale
 * </pre>
 */
public final class Q3_K implements BlockFormat {
    public static final Q3_K INSTANCE = new Q3_K();

    static final int BLOCK_BYTES = 110;
    static final int HMASK = 0, QS = 32, SCALES = 96, D = 108;

    private Q3_K() {}

    @Override public GgmlType type() { return GgmlType.Q3_K; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    /** The 6-bit scale of sub-block j (0..15) minus 32. */
    static int scale(MemorySegment s, long b, int j) {
        int low = j < 8 ? u8(s, b + SCALES + j) & 0xF : u8(s, b + SCALES + j - 8) >> 4;
        int high = (u8(s, b + SCALES + 8 + (j & 3)) >> (2 * (j >> 2))) & 3;
        return (low | high << 4) - 32;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float dAll = fp16(src, b + D);
            int is = 0, m = 0;
            for (int h = 0; h < 2; h++) {
                long q = b + QS + 32 * h;
                for (int shift = 0; shift < 8; shift += 2, m++) {
                    for (int half = 0; half < 2; half++) {
                        float dl = dAll * scale(src, b, is++);
                        for (int l = 16 * half; l < 16 * half + 16; l++) {
                            int hi = (u8(src, b + HMASK + l) >> m) & 1;
                            dst[y++] = dl * (((u8(src, q + l) >> shift) & 3) - (hi != 0 ? 0 : 4));
                        }
                    }
                }
            }
        }
    }

    /** llama.cpp's quantize_row_q3_K_ref. */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkBlocks(n);
        int[] L = new int[QK_K];
        float[] scales = new float[16];
        byte[] sc = new byte[12], hmask = new byte[32];
        for (int blk = 0; blk < n / QK_K; blk++) {
            int x = srcOffset + blk * QK_K;
            long out = dstOffset + (long) blk * BLOCK_BYTES;
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = makeQ3Quants(16, 4, src, x + 16 * j, L, 16 * j);
                float a = Math.abs(scales[j]);
                if (a > amax) { amax = a; maxScale = scales[j]; }
            }
            java.util.Arrays.fill(sc, (byte) 0);
            if (maxScale != 0) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    int l = (byte) nearestInt(iscale * scales[j]);
                    l = Math.max(-32, Math.min(31, l)) + 32;
                    if (j < 8) sc[j] = (byte) (l & 0xF);
                    else sc[j - 8] |= (byte) ((l & 0xF) << 4);
                    l >>= 4;
                    sc[j % 4 + 8] |= (byte) (l << (2 * (j / 4)));
                }
                putFp16(dst, out + D, 1 / iscale);
            } else {
                putFp16(dst, out + D, 0f);
            }
            for (int j = 0; j < 12; j++) dst.set(I8, out + SCALES + j, sc[j]);
            float dAll = fp16(dst, out + D);
            for (int j = 0; j < 16; j++) {
                float d = dAll * scale(dst, out, j);
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++) {
                    L[16 * j + ii] = Math.max(-4, Math.min(3, nearestInt(src[x + 16 * j + ii] / d))) + 4;
                }
            }
            java.util.Arrays.fill(hmask, (byte) 0);
            for (int j = 0; j < QK_K; j++) {
                if (L[j] > 3) {
                    hmask[j % 32] |= (byte) (1 << (j / 32));
                    L[j] -= 4;
                }
            }
            for (int j = 0; j < 32; j++) dst.set(I8, out + HMASK + j, hmask[j]);
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
     * {@link #dotScalar} with the Vector API: the signed 6-bit scale is folded into the 3-bit quant in int16
     * (|(q−4)·(scale−32)| ≤ 128, times 127 is 16256, so two steps add up without overflow).
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F);
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            long lowBits = w.get(I64, b + SCALES);
            int highBits = w.get(I32, b + SCALES + 8);
            IntVector isum = IntVector.zero(I);
            for (int e = 0; e < 32; e += L) {
                // inverted high bits: bit m clear means q = low bits − 4
                ShortVector nhm = ((ShortVector) ByteVector.fromMemorySegment(B, w, b + HMASK + e, LITTLE)
                        .convertShape(ZERO_EXTEND_B2S, S, 0)).not();
                for (int h = 0; h < 2; h++) {
                    ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QS + 32 * h + e, LITTLE)
                            .convertShape(ZERO_EXTEND_B2S, S, 0);
                    for (int s = 0; s < 4; s += 2) {
                        ShortVector p = ShortVector.zero(S);
                        for (int t = s; t < s + 2; t++) {
                            int sub = 8 * h + 2 * t + e / 16, m = 4 * h + t;
                            ShortVector sc = ShortVector.broadcast(S, (short) scale(lowBits, highBits, sub));
                            if (L == 32) sc = sc.blend((short) scale(lowBits, highBits, sub + 1), S_HI);
                            ShortVector minus4 = (m >= 2 ? nhm.lanewise(LSHR, m - 2) : nhm.lanewise(LSHL, 2 - m)).and((short) 4);
                            ShortVector v = q.lanewise(LSHR, 2 * t).and((short) 3).sub(minus4);
                            ShortVector y = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 128 * h + 32 * t + e, LITTLE)
                                    .convertShape(B2S, S, 0);
                            p = p.add(v.mul(sc).mul(y));
                        }
                        IntVector v = p.reinterpretAsInts();
                        isum = isum.add(v.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(v.lanewise(ASHR, 16));
                    }
                }
            }
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, fp16(w, b + D) * x.get(F32, a + Q8_K.D)), acc);
        }
        return acc.reduceLanes(ADD);
    }

    /** {@link #scale} from the 12 scale bytes read as a long (bytes 0..7) and an int (bytes 8..11). */
    static int scale(long lowBits, int highBits, int j) {
        int low = (int) (lowBits >>> (8 * (j & 7) + 4 * (j >> 3))) & 0xF;
        int high = (highBits >>> (8 * (j & 3) + 2 * (j >> 2))) & 3;
        return (low | high << 4) - 32;
    }

    /** ggml_vec_dot_q3_K_q8_K: Σ_blocks d·dy·Σ_sub (scale−32)·Σ q8·(q−4). */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        float sumf = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            int isum = 0, is = 0, m = 0;
            long q8 = a + Q8_K.QS;
            for (int h = 0; h < 2; h++) {
                long q3 = b + QS + 32 * h;
                for (int shift = 0; shift < 8; shift += 2, m++) {
                    for (int half = 0; half < 2; half++) {
                        int sub = 0;
                        for (int l = 16 * half; l < 16 * half + 16; l++) {
                            int q = ((u8(w, q3 + l) >> shift) & 3) - (((u8(w, b + HMASK + l) >> m) & 1) != 0 ? 0 : 4);
                            sub += x.get(I8, q8 + l) * q;
                        }
                        isum += scale(w, b, is++) * sub;
                    }
                    q8 += 32;
                }
            }
            sumf += fp16(w, b + D) * x.get(F32, a + Q8_K.D) * isum;
        }
        return sumf;
    }
}
