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
 * TQ1_0: ternary values (−1, 0, +1) times one scale, packed 5 (or 4) trits per byte, 256 values in 54 bytes
 * (1.6875 bits per weight). Value = d·(t−1), t in 0..2.
 *
 * <p>A byte holding trits t0..t4 stores ⌈(Σ t_k·3^(4−k))·256/243⌉, a fixed-point fraction of 3^5, so trit k is
 * recovered as ((uint8)(byte·3^k)·3) >> 8: multiplying by 3^k shifts the wanted trit to the top and the product
 * by 3 brings it above bit 8.
 *
 * <pre>
 * offset size
 *   0    32   qs[0..31]   values 0..159:   value 32·k + m is trit k of qs[m]        (k 0..4, m 0..31)
 *  32    16   qs[32..47]  values 160..239: value 160 + 16·k + m is trit k of qs[32 + m]  (m 0..15)
 *  48     4   qh[4]       values 240..255: value 240 + 4·k + j is trit k of qh[j]  (k 0..3; trit 4 unused, 0)
 *  52     2   d           fp16 scale (the block's largest magnitude)
 * </pre>
 */
public final class TQ1_0 implements BlockFormat {
    public static final TQ1_0 INSTANCE = new TQ1_0();

    static final int BLOCK_BYTES = 54;
    static final int QS = 0, QH = 48, D = 52;
    private static final int[] POW3 = {1, 3, 9, 27, 81, 243};

    private TQ1_0() {}

    @Override public GgmlType type() { return GgmlType.TQ1_0; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

    /** Trit k (0..4) of a packed byte, minus 1. */
    static int trit(int packed, int k) {
        int q = (packed * POW3[k]) & 0xFF;
        return ((q * 3) >> 8) - 1;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkBlocks(n);
        int y = dstOffset;
        for (long b = srcOffset, end = srcOffset + (long) (n / QK_K) * BLOCK_BYTES; b < end; b += BLOCK_BYTES) {
            float d = fp16(src, b + D);
            for (int k = 0; k < 5; k++) {
                for (int m = 0; m < 32; m++) dst[y++] = (float) trit(u8(src, b + QS + m), k) * d;
            }
            for (int k = 0; k < 5; k++) {
                for (int m = 0; m < 16; m++) dst[y++] = (float) trit(u8(src, b + QS + 32 + m), k) * d;
            }
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 4; j++) dst[y++] = (float) trit(u8(src, b + QH + j), k) * d;
            }
        }
    }

    /** llama.cpp's quantize_row_tq1_0_ref: d = largest magnitude, trit = roundHalfAway(x/d) + 1. */
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
            for (int m = 0; m < 32; m++) dst.set(I8, out + QS + m, pack(src, x + m, 32, 5, id));
            for (int m = 0; m < 16; m++) dst.set(I8, out + QS + 32 + m, pack(src, x + 160 + m, 16, 5, id));
            for (int j = 0; j < 4; j++) dst.set(I8, out + QH + j, pack(src, x + 240 + j, 4, 4, id));
        }
    }

    /** {@code count} trits of values {@code stride} apart, first trit most significant, as a fraction of 3^5. */
    private static byte pack(float[] src, int first, int stride, int count, float id) {
        int q = 0;
        for (int k = 0; k < count; k++) q = (q * 3 + roundHalfAway(src[first + k * stride] * id) + 1) & 0xFF;
        for (int k = count; k < 5; k++) q = (q * 3) & 0xFF;
        return (byte) ((q * 256 + 242) / 243);
    }

    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return KVectors.ENABLED ? dotVector(w, wOffset, x, xOffset, n) : dotScalar(w, wOffset, x, xOffset, n);
    }

    /** 3^(lane/4) for the 16 trits of qh broadcast to 4 lanes each: lane 4k + j is trit k of qh[j]. */
    private static final ShortVector POW3_QH = ShortVector.fromArray(S256,
            new short[] {1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27}, 0);

    /**
     * {@link #dotScalar} with the Vector API: trits decoded in int16 as ((byte·3^k mod 256)·3) >> 8, products
     * summed in int16 for the whole block (|q8| ≤ 127) and widened once per block. Values 0..159 go L at a time;
     * 160..239 and the 16 values of qh 16 at a time.
     */
    static float dotVector(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        FloatVector acc = FloatVector.zero(F), acc16 = FloatVector.zero(F256);
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            ShortVector p = ShortVector.zero(S);
            for (int e = 0; e < 32; e += L) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B, w, b + QS + e, LITTLE)
                        .convertShape(ZERO_EXTEND_B2S, S, 0);
                for (int k = 0; k < 5; k++) {
                    ShortVector t = q.mul((short) POW3[k]).and((short) 0xFF).mul((short) 3).lanewise(LSHR, 8).sub((short) 1);
                    ShortVector y = (ShortVector) ByteVector.fromMemorySegment(B, x, a + Q8_K.QS + 32 * k + e, LITTLE)
                            .convertShape(B2S, S, 0);
                    p = p.add(t.mul(y));
                }
            }
            ShortVector p16 = ShortVector.zero(S256);
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, w, b + QS + 32, LITTLE)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0);
            for (int k = 0; k < 5; k++) {
                ShortVector t = q.mul((short) POW3[k]).and((short) 0xFF).mul((short) 3).lanewise(LSHR, 8).sub((short) 1);
                ShortVector y = (ShortVector) ByteVector.fromMemorySegment(B128, x, a + Q8_K.QS + 160 + 16 * k, LITTLE)
                        .convertShape(B2S, S256, 0);
                p16 = p16.add(t.mul(y));
            }
            ShortVector qh = (ShortVector) IntVector.broadcast(IntVector.SPECIES_128, w.get(KQuants.I32, b + QH))
                    .reinterpretAsBytes().convertShape(ZERO_EXTEND_B2S, S256, 0);
            ShortVector th = qh.mul(POW3_QH).and((short) 0xFF).mul((short) 3).lanewise(LSHR, 8).sub((short) 1);
            p16 = p16.add(th.mul((ShortVector) ByteVector.fromMemorySegment(B128, x, a + Q8_K.QS + 240, LITTLE)
                    .convertShape(B2S, S256, 0)));
            float dd = fp16(w, b + D) * x.get(F32, a + Q8_K.D);
            IntVector v = p.reinterpretAsInts(), v16 = p16.reinterpretAsInts();
            IntVector widep = v.lanewise(LSHL, 16).lanewise(ASHR, 16).add(v.lanewise(ASHR, 16));
            IntVector widep16 = v16.lanewise(LSHL, 16).lanewise(ASHR, 16).add(v16.lanewise(ASHR, 16));
            acc = ((FloatVector) widep.convert(I2F, 0)).fma(FloatVector.broadcast(F, dd), acc);
            acc16 = ((FloatVector) widep16.convert(I2F, 0)).fma(FloatVector.broadcast(F256, dd), acc16);
        }
        return acc.reduceLanes(ADD) + acc16.reduceLanes(ADD);
    }

    /** ggml_vec_dot_tq1_0_q8_K: one integer sum per block. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        checkBlocks(n);
        float sumf = 0;
        long b = wOffset, a = xOffset;
        for (int blk = 0; blk < n / QK_K; blk++, b += BLOCK_BYTES, a += Q8_K.BLOCK_BYTES) {
            long q8 = a + Q8_K.QS;
            int sum = 0;
            for (int k = 0; k < 5; k++) {
                for (int m = 0; m < 32; m++) sum += trit(u8(w, b + QS + m), k) * x.get(I8, q8 + 32 * k + m);
            }
            for (int k = 0; k < 5; k++) {
                for (int m = 0; m < 16; m++) sum += trit(u8(w, b + QS + 32 + m), k) * x.get(I8, q8 + 160 + 16 * k + m);
            }
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 4; j++) sum += trit(u8(w, b + QH + j), k) * x.get(I8, q8 + 240 + 4 * k + j);
            }
            sumf += (float) sum * (fp16(w, b + D) * x.get(F32, a + Q8_K.D));
        }
        return sumf;
    }
}
