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
 * IQ4_XS: 4-bit indices into the non-linear IQ4_NL table with a signed 6-bit scale per 32 values, 256 values in
 * 136 bytes (4.25 bits per weight). Value = d·(scale−32)·kvalues[q].
 *
 * <pre>
 * offset size
 *   0     2   d            fp16 super-block scale
 *   2     2   scales_h     uint16: bits 2j..2j+1 are the high 2 bits of the scale of sub-block j (0..7)
 *   4     4   scales_l[4]  low 4 bits: sub-block j in the low (j even) or high (j odd) nibble of byte j/2
 *   8   128   qs[128]      sub-block j: value 32·j + l is the low nibble of qs[16·j + l], 32·j + 16 + l the high
 * </pre>
 */
public final class IQ4_XS implements BlockFormat {
    public static final IQ4_XS INSTANCE = new IQ4_XS();

    static final int BLOCK_BYTES = 136;
    static final int D = 0, SCALES_H = 2, SCALES_L = 4, QS = 8;

    private IQ4_XS() {}

    @Override public GgmlType type() { return GgmlType.IQ4_XS; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    /** The scale of sub-block j (0..7) minus 32. */
    static int scale(MemorySegment s, long b, int j) {
        int low = (u8(s, b + SCALES_L + j / 2) >> (4 * (j % 2))) & 0xF;
        int high = ((s.get(I16, b + SCALES_H) & 0xFFFF) >> (2 * j)) & 3;
        return (low | high << 4) - 32;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float d = fp16(src, b + D);
            for (int ib = 0; ib < 8; ib++) {
                float dl = d * scale(src, b, ib);
                long q = b + QS + 16 * ib;
                for (int j = 0; j < 16; j++) {
                    int v = u8(src, q + j);
                    dst[y + j] = dl * KVALUES_IQ4NL[v & 0xF];
                    dst[y + j + 16] = dl * KVALUES_IQ4NL[v >> 4];
                }
                y += 32;
            }
        }
    }

    /**
     * llama.cpp's quantize_iq4_xs without an importance matrix (quantize_row_iq4_nl_impl with super-block 256,
     * block 32, ntry 7, weights x²).
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        checkBlocks(n);
        byte[] values = KVALUES_IQ4NL;
        int[] L = new int[QK_K];
        float[] scales = new float[8], weight = new float[32];
        final int ntry = 7;
        for (int blk = 0; blk < n / QK_K; blk++) {
            int x = srcOffset + blk * QK_K;
            long out = dstOffset + (long) blk * BLOCK_BYTES;
            float maxScale = 0, amaxScale = 0;
            for (int ib = 0; ib < 8; ib++) {
                int xb = x + 32 * ib;
                float amax = 0, max = 0;
                for (int j = 0; j < 32; j++) {
                    float v = src[xb + j];
                    weight[j] = v * v;
                    float ax = Math.abs(v);
                    if (ax > amax) { amax = ax; max = v; }
                }
                if (amax < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float d = -max / values[0];
                float id = 1 / d;
                float sumqx = 0, sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    int l = bestIndexInt8(values, id * src[xb + j]);
                    L[32 * ib + j] = l;
                    float q = values[l], w = weight[j];
                    sumqx += w * q * src[xb + j];
                    sumq2 += w * q * q;
                }
                d = sumqx / sumq2;
                float best = d * sumqx;
                for (int itry = -ntry; itry <= ntry; itry++) {
                    id = (itry + values[0]) / max;
                    sumqx = sumq2 = 0;
                    for (int j = 0; j < 32; j++) {
                        float q = values[bestIndexInt8(values, id * src[xb + j])], w = weight[j];
                        sumqx += w * q * src[xb + j];
                        sumq2 += w * q * q;
                    }
                    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                        d = sumqx / sumq2;
                        best = d * sumqx;
                    }
                }
                scales[ib] = d;
                float absD = Math.abs(d);
                if (absD > amaxScale) { amaxScale = absD; maxScale = d; }
            }

            float d = -maxScale / 32;
            putFp16(dst, out + D, d);
            float id = d != 0 ? 1 / d : 0f;
            int scalesH = 0;
            for (int ib = 0; ib < 8; ib++) {
                int l = Math.max(-32, Math.min(31, nearestInt(id * scales[ib])));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0f;
                for (int j = 0; j < 32; j++) L[32 * ib + j] = bestIndexInt8(values, idl * src[x + 32 * ib + j]);
                l += 32;
                if (ib % 2 == 0) dst.set(I8, out + SCALES_L + ib / 2, (byte) (l & 0xF));
                else dst.set(I8, out + SCALES_L + ib / 2, (byte) (u8(dst, out + SCALES_L + ib / 2) | (l & 0xF) << 4));
                scalesH |= (l >> 4) << (2 * ib);
            }
            dst.set(I16, out + SCALES_H, (short) scalesH);
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 16; j++) {
                    dst.set(I8, out + QS + 16 * i + j, (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4)));
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return KVectors.ENABLED ? dotVector(w, wOffset, x, xOffset, n) : dotScalar(w, wOffset, x, xOffset, n);
    }

    private static final ByteVector KVALUES = ByteVector.fromArray(B128, KVALUES_IQ4NL, 0);

    /**
     * {@link #dotScalar} with the Vector API, 16 values per step (a sub-block's low and high nibbles pair with
     * two 16-byte halves of the activation): table lookup of the nibbles, int16 products (|kvalue·q8| ≤ 127·127,
     * two of them still fit), widened by pair sums and scaled in int per 32-value sub-block.
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F256);
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            long head = w.get(I64, b); // d, scales_h, scales_l[4]
            int scalesH = (int) (head >>> 16) & 0xFFFF, scalesL = (int) (head >>> 32);
            IntVector isum = IntVector.zero(I256);
            for (int ib = 0; ib < 8; ib++) {
                int sc = ((scalesL >>> (4 * ib)) & 0xF | ((scalesH >>> (2 * ib)) & 3) << 4) - 32;
                ByteVector q = ByteVector.fromMemorySegment(B128, w, b + QS + 16 * ib, LITTLE);
                ShortVector lo = (ShortVector) q.and((byte) 0xF).selectFrom(KVALUES).convertShape(B2S, S256, 0);
                ShortVector hi = (ShortVector) q.lanewise(LSHR, 4).and((byte) 0xF).selectFrom(KVALUES).convertShape(B2S, S256, 0);
                ShortVector yLo = (ShortVector) ByteVector.fromMemorySegment(B128, x, a + Q8_K.QS + 32 * ib, LITTLE)
                        .convertShape(B2S, S256, 0);
                ShortVector yHi = (ShortVector) ByteVector.fromMemorySegment(B128, x, a + Q8_K.QS + 32 * ib + 16, LITTLE)
                        .convertShape(B2S, S256, 0);
                IntVector v = lo.mul(yLo).add(hi.mul(yHi)).reinterpretAsInts();
                isum = isum.add(v.lanewise(LSHL, 16).lanewise(ASHR, 16).add(v.lanewise(ASHR, 16)).mul(sc));
            }
            float d = Float.float16ToFloat((short) head) * x.get(F32, a + Q8_K.D);
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F256, d), acc);
        }
        return acc.reduceLanes(ADD);
    }

    /** ggml_vec_dot_iq4_xs_q8_K: per 32-value sub-block d·dy·(scale−32)·Σ q8·kvalues[q]. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        float sumf = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            float d4d8 = fp16(w, b + D) * x.get(F32, a + Q8_K.D);
            for (int ib = 0; ib < 8; ib++) {
                long q = b + QS + 16 * ib, q8 = a + Q8_K.QS + 32 * ib;
                int sumi = 0;
                for (int j = 0; j < 16; j++) {
                    int v = u8(w, q + j);
                    sumi += x.get(I8, q8 + j) * KVALUES_IQ4NL[v & 0xF] + x.get(I8, q8 + 16 + j) * KVALUES_IQ4NL[v >> 4];
                }
                sumf += d4d8 * scale(w, b, ib) * sumi;
            }
        }
        return sumf;
    }
}
