package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.L2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * {@link GgmlDots}' orders of float operations with the Vector API, reading the weights in place (GGUF layout).
 * Integer products and their sums are exact in any order, so they are vectorized freely; only the float steps keep
 * llama.cpp's order. The 8 float lanes of its AVX2 kernels are a 256-bit {@link FloatVector}: a 512-bit vector of 32
 * int16 products, read as 16 ints and then 8 longs, adding each pair of halves, holds in long lane k the exact sum of
 * products 4k..4k+3 — llama.cpp's lane k.
 *
 * <p>Covers Q8_0, Q4_0, Q5_0 and IQ4_NL (8-lane order; Q4_0 also as repacked, one float chain per output), Q4_K,
 * Q5_K and Q6_K (8 integer lanes per superblock); the other types stay with {@link GgmlDots}.
 */
final class VectorDots {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128, B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256, S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128, F256 = FloatVector.SPECIES_256;
    private static final ShortVector IOTA16 = (ShortVector) ShortVector.SPECIES_256.iotaShuffle(0, 1, false).toVector();
    private static final ShortVector IQ4NL = ShortVector.fromArray(ShortVector.SPECIES_256,
            new short[]{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}, 0);
    private static final VectorMask<Integer> HIGH_8 = VectorMask.fromLong(I512, 0xFF00L);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    /** Emulated 512-bit vectors are far slower than the scalar code: only use these kernels on AVX-512. */
    static final boolean ENABLED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            && !Boolean.getBoolean("hearth.scalarKernels");

    private VectorDots() {}

    /** Whether {@link #rows} has a kernel for this multiplication. */
    static boolean supports(Matrix m) {
        return supportsType(m.type);
    }

    /** Whether {@link #rows} has a kernel for weights of this type. */
    static boolean supportsType(GgmlType type) {
        if (!ENABLED) return false;
        return switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Outputs {@code y[i*rows + r]} for rows {@code [from, to)} and every input row i (prepared: {@link Activations#values}). */
    static void rows(Matrix m, Activations x, float[] y, int from, int to) {
        GgmlType vt = m.format.vecDotType();
        short[] xv = x.values(vt);
        float[] xd = x.scales(vt);
        int[] xSums = vt == GgmlType.Q8_K ? x.sums32(vt) : null;
        MemorySegment w = m.data;
        int batch = x.batch(), cols = m.cols, rows = m.rows, nb = cols / m.type.blockSize;
        long rowBytes = m.rowBytes;
        GgmlDots.Kernel kernel = GgmlDots.kernel(m.type, rows, m.tokenEmbedding, batch);
        boolean repacked = kernel == GgmlDots.Kernel.REPACKED_Q4_0, alternate = m.type == GgmlType.IQ4_NL && kernel == GgmlDots.Kernel.VEC_DOT;
        for (int r = from; r < to; r++) {
            long ro = r * rowBytes;
            int i = 0;
            if (m.type == GgmlType.Q8_0) { // four input rows per pass over the weight row: each block widened once
                for (; i + 4 <= batch; i += 4) q8_0x4(w, ro, nb, xv, i * cols, cols, xd, i * nb, nb, y, i * rows + r, rows);
            }
            for (; i < batch; i++) {
                int xo = i * cols, dOff = i * nb;
                y[i * rows + r] = switch (m.type) {
                    case Q8_0 -> q8_0(w, ro, nb, xv, xo, xd, dOff);
                    case Q4_0 -> repacked ? q4_0Repacked(w, ro, nb, xv, xo, xd, dOff) : nibbles(m.type, w, ro, nb, xv, xo, xd, dOff, false);
                    case Q5_0, IQ4_NL -> nibbles(m.type, w, ro, nb, xv, xo, xd, dOff, alternate);
                    case Q4_K, Q5_K -> q45_K(m.type == GgmlType.Q5_K, w, ro, nb, xv, xo, xd, dOff, xSums, i * cols / 32);
                    case Q6_K -> q6_K(w, ro, nb, xv, xo, xd, dOff);
                    default -> throw new IllegalStateException(m.type.name());
                };
            }
        }
    }

    /** Q8_0 blocks (fp16 d, 32 int8): lane k += d_w·d_x · Σ products 4k..4k+3, then {@link #hsum8}. */
    static float q8_0(MemorySegment w, long ro, int nb, short[] xv, int xo, float[] xd, int dOff) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < nb; b++) {
            long o = ro + b * 34L;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2, LE).convertShape(B2S, S512, 0);
            IntVector p = q.mul(ShortVector.fromArray(S512, xv, xo + b * 32)).reinterpretAsInts();
            p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16); // int lane i: products 2i + 2i+1
            LongVector l = p.reinterpretAsLongs();
            l = l.add(l.lanewise(LSHL, 32)).lanewise(ASHR, 32); // long lane k: products 4k..4k+3
            float dd = Float.float16ToFloat(w.get(HALF, o)) * xd[dOff + b];
            acc = ((FloatVector) l.convertShape(L2F, F256, 0)).fma(FloatVector.broadcast(F256, dd), acc);
        }
        return hsum8(acc);
    }

    /**
     * Q4_0, Q5_0 and IQ4_NL blocks in the 8-lane order of Q8_0 (lanes 0-3 from the low nibbles, 4-7 from the high
     * ones, as two 128-bit vectors); with {@code alternate} (IQ4_NL's vec_dot) odd blocks go to a second accumulator,
     * added lane-wise at the end.
     */
    static float nibbles(GgmlType type, MemorySegment w, long ro, int nb, short[] xv, int xo, float[] xd, int dOff, boolean alternate) {
        if (alternate && nb % 2 != 0) throw new UnsupportedOperationException("IQ4_NL rows of an odd number of blocks");
        int bytes = type.typeSize, qs = type == GgmlType.Q5_0 ? 6 : 2;
        FloatVector lo0 = FloatVector.zero(F128), hi0 = FloatVector.zero(F128), lo1 = FloatVector.zero(F128), hi1 = FloatVector.zero(F128);
        for (int b = 0; b < nb; b++) {
            long o = ro + (long) b * bytes;
            ShortVector s = (ShortVector) ByteVector.fromMemorySegment(B128, w, o + qs, LE).convertShape(B2S, S256, 0);
            ShortVector lo = s.and((short) 0xF), hi = s.lanewise(ASHR, 4).and((short) 0xF);
            switch (type) {
                case Q4_0 -> {
                    lo = lo.sub((short) 8);
                    hi = hi.sub((short) 8);
                }
                case Q5_0 -> { // bit j of qh is the fifth bit of value j
                    int qh = w.get(INT, o + 2);
                    lo = lo.or(ShortVector.broadcast(S256, (short) qh).lanewise(LSHR, IOTA16).and((short) 1).lanewise(LSHL, 4)).sub((short) 16);
                    hi = hi.or(ShortVector.broadcast(S256, (short) (qh >>> 16)).lanewise(LSHR, IOTA16).and((short) 1).lanewise(LSHL, 4)).sub((short) 16);
                }
                default -> { // IQ4_NL: the nibble indexes the non-linear table
                    lo = lo.selectFrom(IQ4NL);
                    hi = hi.selectFrom(IQ4NL);
                }
            }
            int v = xo + b * 32;
            IntVector pl = lo.mul(ShortVector.fromArray(S256, xv, v)).reinterpretAsInts();
            IntVector ph = hi.mul(ShortVector.fromArray(S256, xv, v + 16)).reinterpretAsInts();
            pl = pl.add(pl.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            ph = ph.add(ph.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            LongVector ll = pl.reinterpretAsLongs(), lh = ph.reinterpretAsLongs();
            ll = ll.add(ll.lanewise(LSHL, 32)).lanewise(ASHR, 32);
            lh = lh.add(lh.lanewise(LSHL, 32)).lanewise(ASHR, 32);
            FloatVector dd = FloatVector.broadcast(F128, Float.float16ToFloat(w.get(HALF, o)) * xd[dOff + b]);
            FloatVector fl = (FloatVector) ll.convertShape(L2F, F128, 0), fh = (FloatVector) lh.convertShape(L2F, F128, 0);
            if (alternate && (b & 1) == 1) {
                lo1 = fl.fma(dd, lo1);
                hi1 = fh.fma(dd, hi1);
            } else {
                lo0 = fl.fma(dd, lo0);
                hi0 = fh.fma(dd, hi0);
            }
        }
        if (alternate) {
            lo0 = lo0.add(lo1);
            hi0 = hi0.add(hi1);
        }
        float r0 = hi0.lane(0) + lo0.lane(0), r1 = hi0.lane(1) + lo0.lane(1), r2 = hi0.lane(2) + lo0.lane(2), r3 = hi0.lane(3) + lo0.lane(3);
        return (r0 + r2) + (r1 + r3);
    }

    /**
     * {@link #q8_0} for four input rows at once (rows {@code xo + t·xStride}, scales {@code dOff + t·dStride}), each
     * summed exactly as alone; outputs at {@code y[yo + t·yStride]}.
     */
    static void q8_0x4(MemorySegment w, long ro, int nb, short[] xv, int xo, int xStride, float[] xd, int dOff, int dStride,
                       float[] y, int yo, int yStride) {
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long o = ro + b * 34L;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2, LE).convertShape(B2S, S512, 0);
            float dw = Float.float16ToFloat(w.get(HALF, o));
            int xb = xo + b * 32, db = dOff + b;
            a0 = q8_0Step(q, xv, xb, dw * xd[db], a0);
            a1 = q8_0Step(q, xv, xb + xStride, dw * xd[db + dStride], a1);
            a2 = q8_0Step(q, xv, xb + 2 * xStride, dw * xd[db + 2 * dStride], a2);
            a3 = q8_0Step(q, xv, xb + 3 * xStride, dw * xd[db + 3 * dStride], a3);
        }
        y[yo] = hsum8(a0);
        y[yo + yStride] = hsum8(a1);
        y[yo + 2 * yStride] = hsum8(a2);
        y[yo + 3 * yStride] = hsum8(a3);
    }

    /** One Q8_0 block of one input row into its 8 lanes: {@code acc[k] = fma(dd, Σ products 4k..4k+3, acc[k])}. */
    private static FloatVector q8_0Step(ShortVector q, short[] xv, int xb, float dd, FloatVector acc) {
        IntVector p = q.mul(ShortVector.fromArray(S512, xv, xb)).reinterpretAsInts();
        p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
        LongVector l = p.reinterpretAsLongs();
        l = l.add(l.lanewise(LSHL, 32)).lanewise(ASHR, 32);
        return ((FloatVector) l.convertShape(L2F, F256, 0)).fma(FloatVector.broadcast(F256, dd), acc);
    }

    /** Q4_0 as the repacked Q4_0x8 GEMV sums it: one float, {@code acc = fma(Σ block, d_w·d_x, acc)}. */
    static float q4_0Repacked(MemorySegment w, long ro, int nb, short[] xv, int xo, float[] xd, int dOff) {
        float acc = 0;
        for (int b = 0; b < nb; b++) {
            long o = ro + b * 18L;
            ShortVector s = (ShortVector) ByteVector.fromMemorySegment(B128, w, o + 2, LE).convertShape(B2S, S256, 0);
            ShortVector lo = s.and((short) 0xF).sub((short) 8), hi = s.lanewise(ASHR, 4).and((short) 0xF).sub((short) 8);
            int v = xo + b * 32;
            // |Σ (q-8)·x| <= 32·8·127 < 2^15: the int16 sum is exact
            ShortVector p = lo.mul(ShortVector.fromArray(S256, xv, v)).add(hi.mul(ShortVector.fromArray(S256, xv, v + 16)));
            int sum = p.reduceLanes(ADD);
            acc = Math.fma(sum, Float.float16ToFloat(w.get(HALF, o)) * xd[dOff + b], acc);
        }
        return acc;
    }

    /**
     * Q4_K and Q5_K superblocks (d, dmin, 12 bytes of 6-bit scales and mins, Q5_K: 32 bytes of fifth bits, 128 bytes
     * of nibbles): per superblock the 8 lanes of Σ scale·q·x in ints, then {@code fma(d_x·d, lane, acc)}; the mins
     * (times {@code -d_x·dmin}) as 4 float chains of fmas (Q4_K) or one float sum (Q5_K), added at the end.
     */
    static float q45_K(boolean five, MemorySegment w, long ro, int nb, short[] xv, int xo, float[] xd, int dOff, int[] xSums, int sOff) {
        FloatVector acc = FloatVector.zero(F256);
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0, summs = 0;
        int blockBytes = five ? 176 : 144, qsAt = five ? 48 : 16;
        for (int b = 0; b < nb; b++) {
            long wb = ro + (long) b * blockBytes;
            ShortVector qh = five ? (ShortVector) ByteVector.fromMemorySegment(B256, w, wb + 16, LE).convertShape(B2S, S512, 0) : null;
            int so = sOff + b * 8;
            int s0 = w.get(INT, wb + 4), s1 = w.get(INT, wb + 8), s2 = w.get(INT, wb + 12);
            // the 6-bit scales and mins of sub-blocks 0-3 and 4-7, one per byte
            int scLo = s0 & 0x3F3F3F3F, scHi = (s2 & 0x0F0F0F0F) | ((s0 >>> 2) & 0x30303030);
            int mnLo = s1 & 0x3F3F3F3F, mnHi = ((s2 >>> 4) & 0x0F0F0F0F) | ((s1 >>> 2) & 0x30303030);
            IntVector isum = IntVector.zero(I512);
            for (int c = 0; c < 4; c++) {
                // nibbles split in int16 lanes: x86 has no byte shift
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B256, w, wb + qsAt + c * 32L, LE).convertShape(B2S, S512, 0);
                ShortVector lo = q.and((short) 0xF), hi = q.lanewise(ASHR, 4).and((short) 0xF);
                if (five) { // bit 2c (low nibbles) and 2c+1 (high) of qh[l] are the fifth bits of value l of each half
                    lo = lo.or(qh.lanewise(ASHR, 2 * c).and((short) 1).lanewise(LSHL, 4));
                    hi = hi.or(qh.lanewise(ASHR, 2 * c + 1).and((short) 1).lanewise(LSHL, 4));
                }
                int v = xo + b * 256 + c * 64;
                IntVector pl = lo.mul(ShortVector.fromArray(S512, xv, v)).reinterpretAsInts();
                IntVector ph = hi.mul(ShortVector.fromArray(S512, xv, v + 32)).reinterpretAsInts();
                pl = pl.add(pl.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                ph = ph.add(ph.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                int sc = (c < 2 ? scLo : scHi) >>> (16 * (c & 1));
                isum = isum.add(pl.mul(sc & 0xFF)).add(ph.mul((sc >>> 8) & 0xFF));
            }
            LongVector l = isum.reinterpretAsLongs();
            l = l.add(l.lanewise(LSHL, 32)).lanewise(ASHR, 32);
            float yd = xd[dOff + b];
            float dd = yd * Float.float16ToFloat(w.get(HALF, wb)), dmin = -yd * Float.float16ToFloat(w.get(HALF, wb + 2));
            // min product k: mins of sub-blocks 2k, 2k+1 times the sums of their 32 activation values
            int p0 = (mnLo & 0xFF) * xSums[so] + ((mnLo >>> 8) & 0xFF) * xSums[so + 1];
            int p1 = ((mnLo >>> 16) & 0xFF) * xSums[so + 2] + (mnLo >>> 24) * xSums[so + 3];
            int p2 = (mnHi & 0xFF) * xSums[so + 4] + ((mnHi >>> 8) & 0xFF) * xSums[so + 5];
            int p3 = ((mnHi >>> 16) & 0xFF) * xSums[so + 6] + (mnHi >>> 24) * xSums[so + 7];
            if (five) {
                summs += dmin * ((p0 + p1) + (p2 + p3));
            } else {
                m0 = Math.fma(dmin, p0, m0);
                m1 = Math.fma(dmin, p1, m1);
                m2 = Math.fma(dmin, p2, m2);
                m3 = Math.fma(dmin, p3, m3);
            }
            acc = ((FloatVector) l.convertShape(L2F, F256, 0)).fma(FloatVector.broadcast(F256, dd), acc);
        }
        return five ? hsum8(acc) + summs : hsum8(acc) + ((m0 + m2) + (m1 + m3));
    }

    /**
     * Q6_K superblocks (ql[128] low nibbles, qh[64] high 2 bits, 16 int8 scales, fp16 d): per superblock the 8 lanes
     * of Σ scale·(q−32)·x in ints, then {@code fma(d_x·d, lane, acc)}.
     */
    static float q6_K(MemorySegment w, long ro, int nb, short[] xv, int xo, float[] xd, int dOff) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < nb; b++) {
            long wb = ro + b * 210L;
            long scales0 = w.get(LONG, wb + 192), scales1 = w.get(LONG, wb + 200); // 16 int8 scales
            IntVector isum = IntVector.zero(I512);
            for (int h = 0; h < 2; h++) {
                // in int16 lanes: x86 has no byte shift
                ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(B256, w, wb + 128 + h * 32L, LE).convertShape(B2S, S512, 0);
                ShortVector ql0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, wb + h * 64L, LE).convertShape(B2S, S512, 0);
                ShortVector ql1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, wb + h * 64L + 32, LE).convertShape(B2S, S512, 0);
                for (int k = 0; k < 4; k++) {
                    ShortVector low = ((k & 1) == 0 ? ql0 : ql1).lanewise(ASHR, 4 * (k >> 1)).and((short) 0xF);
                    ShortVector high = (k < 3 ? qh.lanewise(LSHL, 4 - 2 * k) : qh.lanewise(ASHR, 2)).and((short) 0x30);
                    ShortVector q = low.or(high).sub((short) 32);
                    IntVector p = q.mul(ShortVector.fromArray(S512, xv, xo + b * 256 + h * 128 + k * 32)).reinterpretAsInts();
                    p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16); // lanes 0-7: values 0..15, 8-15: values 16..31
                    long sc = (h == 0 ? scales0 : scales1) >>> (16 * k);
                    IntVector scale = IntVector.broadcast(I512, (byte) sc).blend((byte) (sc >>> 8), HIGH_8);
                    isum = isum.add(p.mul(scale));
                }
            }
            LongVector l = isum.reinterpretAsLongs();
            l = l.add(l.lanewise(LSHL, 32)).lanewise(ASHR, 32);
            float dd = xd[dOff + b] * Float.float16ToFloat(w.get(HALF, wb + 208));
            acc = ((FloatVector) l.convertShape(L2F, F256, 0)).fma(FloatVector.broadcast(F256, dd), acc);
        }
        return hsum8(acc);
    }

    /** {@link GgmlDots#hsum8} of the 8 lanes. */
    private static float hsum8(FloatVector a) {
        float r0 = a.lane(4) + a.lane(0), r1 = a.lane(5) + a.lane(1), r2 = a.lane(6) + a.lane(2), r3 = a.lane(7) + a.lane(3);
        return (r0 + r2) + (r1 + r3);
    }
}
