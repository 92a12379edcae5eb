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
 * <p>Covers Q8_0 (8-lane order, one or more input rows), Q4_0 repacked (one float chain per output), Q4_K and Q6_K
 * (8 integer lanes per superblock); the other types and orders stay with {@link GgmlDots}.
 */
final class VectorDots {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128, B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256, S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorMask<Integer> HIGH_8 = VectorMask.fromLong(I512, 0xFF00L);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    /** Emulated 512-bit vectors are far slower than the scalar code: only use these kernels on AVX-512. */
    private static final boolean ENABLED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            && !Boolean.getBoolean("hearth.scalarKernels");

    private VectorDots() {}

    /** Whether {@link #rows} has a kernel for this multiplication. */
    static boolean supports(Matrix m, int batch) {
        if (!ENABLED) return false;
        return switch (m.type) {
            case Q8_0, Q4_K, Q6_K -> true;
            case Q4_0 -> GgmlDots.kernel(m.type, m.rows, m.tokenEmbedding, batch) == GgmlDots.Kernel.REPACKED_Q4_0;
            default -> false;
        };
    }

    /** Outputs {@code y[i*rows + r]} for rows {@code [from, to)} and every input row i (prepared: {@link Activations#values}). */
    static void rows(Matrix m, Activations x, float[] y, int from, int to) {
        GgmlType vt = m.format.vecDotType();
        short[] xv = x.values(vt);
        float[] xd = x.scales(vt);
        MemorySegment xs = x.blocks(vt), w = m.data;
        int batch = x.batch(), cols = m.cols, rows = m.rows, nb = cols / m.type.blockSize;
        long rowBytes = m.rowBytes, xRowBytes = vt.byteSize(cols);
        for (int r = from; r < to; r++) {
            long ro = r * rowBytes;
            for (int i = 0; i < batch; i++) {
                int xo = i * cols, dOff = i * nb;
                y[i * rows + r] = switch (m.type) {
                    case Q8_0 -> q8_0(w, ro, nb, xv, xo, xd, dOff);
                    case Q4_0 -> q4_0Repacked(w, ro, nb, xv, xo, xd, dOff);
                    case Q4_K -> q4_K(w, ro, nb, xv, xo, xd, dOff, xs, i * xRowBytes);
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
     * Q4_K superblocks (d, dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles): per superblock the 8 lanes
     * of Σ scale·q·x in ints, then {@code fma(d_x·d, lane, acc)}; the mins as 4 float chains {@code fma(-d_x·dmin, ·)}.
     */
    static float q4_K(MemorySegment w, long ro, int nb, short[] xv, int xo, float[] xd, int dOff, MemorySegment xs, long xso) {
        FloatVector acc = FloatVector.zero(F256);
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int b = 0; b < nb; b++) {
            long wb = ro + b * 144L, xb = xso + b * 292L;
            int s0 = w.get(INT, wb + 4), s1 = w.get(INT, wb + 8), s2 = w.get(INT, wb + 12);
            IntVector isum = IntVector.zero(I512);
            for (int c = 0; c < 4; c++) {
                ByteVector q = ByteVector.fromMemorySegment(B256, w, wb + 16 + c * 32L, LE);
                ShortVector lo = (ShortVector) q.and((byte) 0xF).convertShape(B2S, S512, 0);
                ShortVector hi = (ShortVector) q.lanewise(LSHR, 4).and((byte) 0xF).convertShape(B2S, S512, 0);
                int v = xo + b * 256 + c * 64;
                IntVector pl = lo.mul(ShortVector.fromArray(S512, xv, v)).reinterpretAsInts();
                IntVector ph = hi.mul(ShortVector.fromArray(S512, xv, v + 32)).reinterpretAsInts();
                pl = pl.add(pl.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                ph = ph.add(ph.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                isum = isum.add(pl.mul(k4Scale(s0, s2, 2 * c))).add(ph.mul(k4Scale(s0, s2, 2 * c + 1)));
            }
            LongVector l = isum.reinterpretAsLongs();
            l = l.add(l.lanewise(LSHL, 32)).lanewise(ASHR, 32);
            float yd = xd[dOff + b];
            float dd = yd * Float.float16ToFloat(w.get(HALF, wb)), dmin = -yd * Float.float16ToFloat(w.get(HALF, wb + 2));
            m0 = Math.fma(dmin, k4MinProduct(s0, s1, s2, xs, xb, 0), m0);
            m1 = Math.fma(dmin, k4MinProduct(s0, s1, s2, xs, xb, 1), m1);
            m2 = Math.fma(dmin, k4MinProduct(s0, s1, s2, xs, xb, 2), m2);
            m3 = Math.fma(dmin, k4MinProduct(s0, s1, s2, xs, xb, 3), m3);
            acc = ((FloatVector) l.convertShape(L2F, F256, 0)).fma(FloatVector.broadcast(F256, dd), acc);
        }
        return hsum8(acc) + ((m0 + m2) + (m1 + m3));
    }

    /** Byte {@code j} of the 12 scale bytes held little-endian in {@code s0, s1, s2}. */
    private static int scaleByte(int s0, int s1, int s2, int j) {
        int word = j < 4 ? s0 : j < 8 ? s1 : s2;
        return (word >>> (8 * (j & 3))) & 0xFF;
    }

    /** Q4_K/Q5_K 6-bit scale of sub-block j. */
    private static int k4Scale(int s0, int s2, int j) {
        if (j < 4) return scaleByte(s0, 0, 0, j) & 63;
        return (scaleByte(0, 0, s2, j + 4) & 0xF) | (scaleByte(s0, 0, 0, j - 4) >> 6) << 4;
    }

    /** Q4_K/Q5_K 6-bit min of sub-block j. */
    private static int k4Min(int s0, int s1, int s2, int j) {
        if (j < 4) return scaleByte(0, s1, 0, j + 4) & 63;
        return (scaleByte(0, 0, s2, j + 4) >> 4) | (scaleByte(0, s1, 0, j) >> 6) << 4;
    }

    /** Mins of sub-blocks 2k, 2k+1 times the activation sums of their 32 values (Q8_K bsums, 16 values each). */
    private static int k4MinProduct(int s0, int s1, int s2, MemorySegment xs, long xb, int k) {
        long bs = xb + 260 + 8L * k;
        return k4Min(s0, s1, s2, 2 * k) * (xs.get(HALF, bs) + xs.get(HALF, bs + 2))
                + k4Min(s0, s1, s2, 2 * k + 1) * (xs.get(HALF, bs + 4) + xs.get(HALF, bs + 6));
    }

    /**
     * Q6_K superblocks (ql[128] low nibbles, qh[64] high 2 bits, 16 int8 scales, fp16 d): per superblock the 8 lanes
     * of Σ scale·(q−32)·x in ints, then {@code fma(d_x·d, lane, acc)}.
     */
    static float q6_K(MemorySegment w, long ro, int nb, short[] xv, int xo, float[] xd, int dOff) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < nb; b++) {
            long wb = ro + b * 210L;
            IntVector isum = IntVector.zero(I512);
            for (int h = 0; h < 2; h++) {
                ByteVector qh = ByteVector.fromMemorySegment(B256, w, wb + 128 + h * 32L, LE);
                for (int k = 0; k < 4; k++) {
                    ByteVector ql = ByteVector.fromMemorySegment(B256, w, wb + h * 64L + 32 * (k & 1), LE);
                    ByteVector low = ql.lanewise(LSHR, 4 * (k >> 1)).and((byte) 0xF);
                    ByteVector high = qh.lanewise(LSHR, 2 * k).and((byte) 3).lanewise(LSHL, 4);
                    ShortVector q = (ShortVector) low.or(high).sub((byte) 32).convertShape(B2S, S512, 0);
                    IntVector p = q.mul(ShortVector.fromArray(S512, xv, xo + b * 256 + h * 128 + k * 32)).reinterpretAsInts();
                    p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16); // lanes 0-7: values 0..15, 8-15: values 16..31
                    long so = wb + 192 + h * 8L + 2 * k;
                    IntVector scale = IntVector.broadcast(I512, w.get(ValueLayout.JAVA_BYTE, so))
                            .blend(w.get(ValueLayout.JAVA_BYTE, so + 1), HIGH_8);
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
