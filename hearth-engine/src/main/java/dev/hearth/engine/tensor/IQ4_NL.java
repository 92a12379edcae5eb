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
 * IQ4_NL: 4-bit indices into a fixed non-linear table of 16 int8 levels, blocks of 32 values in 18 bytes
 * (llama.cpp {@code block_iq4_nl}):
 * <pre>
 *   byte 0..1   fp16 d       scale
 *   byte 2..17  u8   qs[16]  qs[j] low nibble = index of value j, high nibble = of value j+16
 * </pre>
 * value = d * {@link #LEVELS}[index]. Dots against {@link Q8_0} activations.
 */
public final class IQ4_NL implements BlockFormat {
    public static final IQ4_NL INSTANCE = new IQ4_NL();

    static final int QK = 32, BYTES = 18;

    /** llama.cpp's {@code kvalues_iq4nl}: denser near zero, where most weights are. Sorted ascending. */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private static final ByteVector LEVELS_V = ByteVector.fromArray(B16, LEVELS, 0);
    /** Scale candidates tried on each side of the plain max/127 scale. */
    private static final int NTRY = 7;

    private IQ4_NL() {}

    @Override public GgmlType type() { return GgmlType.IQ4_NL; }

    @Override public GgmlType vecDotType() { return GgmlType.Q8_0; }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            long o = srcOffset + (long) b * BYTES;
            float d = fp16(src, o);
            int y = dstOffset + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 2 + j);
                dst[y + j] = d * LEVELS[q & 0x0F];
                dst[y + j + QK / 2] = d * LEVELS[(q >> 4) & 0x0F];
            }
        }
    }

    /**
     * llama.cpp's {@code quantize_iq4_nl} without importance matrix ({@code quantize_row_iq4_nl_impl}, one 32-block,
     * ntry 7): weights x², a first scale max/127 refined by least squares, then 15 scales (i-127)/max for i in
     * -7..7 keeping the one with the best weighted fit, and a final assignment of levels with that scale.
     * No per-call state beyond a few locals: the level indices are recomputed in the final pass.
     */
    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int b = 0; b < n / QK; b++) {
            int x = srcOffset + b * QK;
            long o = dstOffset + (long) b * BYTES;
            float amax = 0, max = 0;
            for (int j = 0; j < QK; j++) {
                float ax = Math.abs(src[x + j]);
                if (ax > amax) {
                    amax = ax;
                    max = src[x + j];
                }
            }
            float scale = 0;
            if (!(amax < 1e-15f)) {
                float d = -max / LEVELS[0];
                float id = 1 / d;
                float sumqx = 0, sumq2 = 0;
                for (int j = 0; j < QK; j++) {
                    float xj = src[x + j], w = xj * xj, q = LEVELS[bestIndex(id * xj)];
                    sumqx += w * q * xj;
                    sumq2 += w * q * q;
                }
                d = sumqx / sumq2;
                float best = d * sumqx;
                for (int itry = -NTRY; itry <= NTRY; itry++) {
                    id = (itry + LEVELS[0]) / max;
                    sumqx = 0;
                    sumq2 = 0;
                    for (int j = 0; j < QK; j++) {
                        float xj = src[x + j], w = xj * xj, q = LEVELS[bestIndex(id * xj)];
                        sumqx += w * q * xj;
                        sumq2 += w * q * q;
                    }
                    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                        d = sumqx / sumq2;
                        best = d * sumqx;
                    }
                }
                scale = d;
            }
            putFp16(dst, o, scale);
            float id = scale != 0 ? 1 / scale : 0;
            for (int j = 0; j < QK / 2; j++) {
                int lo = bestIndex(id * src[x + j]), hi = bestIndex(id * src[x + j + QK / 2]);
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (lo | hi << 4));
            }
        }
    }

    /** The level nearest to {@code v} by binary search; ties between two levels go to the upper one, as in ggml. */
    static int bestIndex(float v) {
        if (v <= LEVELS[0]) return 0;
        if (v >= LEVELS[15]) return 15;
        int ml = 0, mu = 15;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (v < LEVELS[mav]) mu = mav;
            else ml = mav;
        }
        return v - LEVELS[mu - 1] < LEVELS[mu] - v ? mu - 1 : mu;
    }

    /**
     * Per block: nibbles looked up in the level table with one byte shuffle per half, 16 int16 sums of two
     * products (127·128·2 = 32512 fits), widened to float and scaled by dx·dy.
     */
    @Override
    public float dot(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_0.BYTES;
            FloatVector d = FloatVector.broadcast(FS, fp16(w, wb) * fp16(x, xb));
            ByteVector q = ByteVector.fromMemorySegment(B16, w, wb + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0x0F).selectFrom(LEVELS_V);
            ByteVector hi = q.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and((byte) 0x0F).selectFrom(LEVELS_V);
            ByteVector y0 = ByteVector.fromMemorySegment(B16, x, xb + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector y1 = ByteVector.fromMemorySegment(B16, x, xb + 18, ByteOrder.LITTLE_ENDIAN);
            ShortVector p = ((ShortVector) lo.convertShape(VectorOperators.B2S, S16, 0))
                    .mul((ShortVector) y0.convertShape(VectorOperators.B2S, S16, 0))
                    .add(((ShortVector) hi.convertShape(VectorOperators.B2S, S16, 0))
                            .mul((ShortVector) y1.convertShape(VectorOperators.B2S, S16, 0)));
            for (int part = 0; part < PARTS; part++) {
                acc = ((FloatVector) p.convertShape(VectorOperators.S2F, FS, part)).fma(d, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The specification of {@link #dot}: ggml's scalar {@code ggml_vec_dot_iq4_nl_q8_0}. */
    static float dotScalar(MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        float sum = 0;
        for (int b = 0; b < n / QK; b++) {
            long wb = wOffset + (long) b * BYTES, xb = xOffset + (long) b * Q8_0.BYTES;
            int sumi = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, wb + 2 + j);
                sumi += LEVELS[q & 0x0F] * x.get(ValueLayout.JAVA_BYTE, xb + 2 + j)
                        + LEVELS[(q >> 4) & 0x0F] * x.get(ValueLayout.JAVA_BYTE, xb + 18 + j);
            }
            sum += (fp16(w, wb) * fp16(x, xb)) * sumi;
        }
        return sum;
    }
}
