package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.hearth.engine.tensor.Simd.B128;
import static dev.hearth.engine.tensor.Simd.B256;
import static dev.hearth.engine.tensor.Simd.F512;
import static dev.hearth.engine.tensor.Simd.HALF;
import static dev.hearth.engine.tensor.Simd.HIGH_8;
import static dev.hearth.engine.tensor.Simd.I512;
import static dev.hearth.engine.tensor.Simd.INT;
import static dev.hearth.engine.tensor.Simd.LE;
import static dev.hearth.engine.tensor.Simd.LONG;
import static dev.hearth.engine.tensor.Simd.S512;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * Q4_K weights (super-blocks of 256: fp16 d and dmin, eight 6-bit scales and mins, 4-bit values; value
 * {@code d*sc*q - dmin*m} per sub-block of 32) times Q8_K-quantized input, like llama.cpp:
 * {@code d*d_x*sum(sc*sum(q*x)) - dmin*d_x*sum(m*sum(x))} per super-block, the input's sub-block sums precomputed.
 *
 * <p>GGUF layout (144 bytes): 32 bytes hold two sub-blocks (low and high nibbles); each gives 32 int16 products,
 * pair-summed into 16 ints and accumulated with its scale.
 *
 * <p>Repacked layout: groups of two super-blocks (296 bytes: d and dmin of both as fp16, the 16 scales and the
 * 16 mins as bytes, then 8 steps of 32 bytes arranged like repacked Q4_0 with sub-blocks for blocks), so int lane
 * i accumulates sub-block i in int16 for the whole group ({@link Q4_0Kernel} explains the nibble arithmetic).
 * A super-block left over after the last whole group stays in GGUF layout at the end of the row.
 */
final class Q4_KKernel implements MatrixKernel {
    static final int BLOCK = 144, GROUP_BYTES = 296;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[192]);
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride;
    private final boolean repacked;
    private final int steps = 8;

    Q4_KKernel(MemorySegment data, int rows, int cols, long stride, boolean repacked) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.stride = stride;
        this.repacked = repacked;
    }

    @Override public int rows() { return rows; }

    @Override public boolean repacked() { return repacked; }

    @Override
    public void prepare(Activations x) {
        x.q8_KScale();
        x.q8_KSum32();
        if (repacked) x.q4_KLanes();
        if (!repacked || cols % 512 != 0) x.q8_KNatural();
    }

    @Override
    public MatrixKernel repack(Arena arena) {
        int[] sc = new int[8], mn = new int[8];
        Repacker.Rows packed = Repacker.repack(data, stride, rows, cols / 256, BLOCK, 2, GROUP_BYTES, arena, (in, out, g) -> {
            int go = g * GROUP_BYTES;
            for (int h = 0; h < 2; h++) {
                int bo = (2 * g + h) * BLOCK;
                out[go + 2 * h] = in[bo];             // d
                out[go + 2 * h + 1] = in[bo + 1];
                out[go + 4 + 2 * h] = in[bo + 2];     // dmin
                out[go + 4 + 2 * h + 1] = in[bo + 3];
                scalesAndMins(in, bo + 4, sc, mn);
                for (int s = 0; s < 8; s++) {
                    out[go + 8 + 8 * h + s] = (byte) sc[s];
                    out[go + 24 + 8 * h + s] = (byte) mn[s];
                }
            }
            for (int i = 0; i < 16; i++) { // sub-block i of the group
                int bo = (2 * g + (i >> 3)) * BLOCK, s = i & 7;
                for (int j = 0; j < 8; j++) {
                    for (int t = 0; t < 2; t++) {
                        int lo = nibble(in, bo, s, 16 * t + 2 * j), hi = nibble(in, bo, s, 16 * t + 2 * j + 1);
                        out[go + 40 + j * 32 + 2 * i + t] = (byte) (lo | hi << 4);
                    }
                }
            }
            return true;
        });
        return new Q4_KKernel(packed.data(), rows, cols, packed.stride(), true);
    }

    /** Element {@code l} of sub-block {@code s} of the GGUF block at {@code bo}. */
    private static int nibble(byte[] b, int bo, int s, int l) {
        int v = b[bo + 16 + 32 * (s >> 1) + l] & 0xFF;
        return (s & 1) == 0 ? v & 0xF : v >> 4;
    }

    /** llama.cpp's get_scale_min_k4 for all eight sub-blocks of the 12 scale bytes at {@code at}. */
    static void scalesAndMins(byte[] b, int at, int[] sc, int[] mn) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                sc[j] = b[at + j] & 63;
                mn[j] = b[at + j + 4] & 63;
            } else {
                sc[j] = (b[at + j + 4] & 0xF) | ((b[at + j - 4] & 0xFF) >> 6) << 4;
                mn[j] = ((b[at + j + 4] & 0xFF) >> 4) | ((b[at + j] & 0xFF) >> 6) << 4;
            }
        }
    }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        int nsb = cols / 256;
        short[] natural = repacked && cols % 512 == 0 ? null : x.q8_KNatural();
        if (repacked) {
            quarters1(data, stride, from, to, x.q4_KLanes(), natural, b * cols, x.q8_KScale(), b * nsb, x.q8_KSum32(), b * nsb * 8,
                    y, b * rows, nsb, steps);
        } else {
            inPlace1(data, stride, from, to, natural, b * cols, x.q8_KScale(), b * nsb, x.q8_KSum32(), b * nsb * 8, y, b * rows, nsb);
        }
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        int nsb = cols / 256;
        if (repacked) {
            short[] natural = cols % 512 == 0 ? null : x.q8_KNatural();
            packed4(data, stride, from, to, x.q4_KLanes(), natural, b * cols, cols, x.q8_KScale(), b * nsb, x.q8_KSum32(),
                    y, b * rows, rows, nsb, steps);
        } else {
            inPlace4(data, stride, from, to, x.q8_KNatural(), b * cols, cols, x.q8_KScale(), b * nsb, x.q8_KSum32(), y, b * rows, rows, nsb);
        }
    }

    /**
     * GGUF layout: super-blocks {@code [sb0, nsb)} of one row, the first at {@code rowOffset}; {@code a} holds the
     * input's quants in natural order from {@code ao}, {@code d}/{@code sums} its scales and 32-sums from the row's start.
     */
    private static float superBlocks(MemorySegment w, long rowStart, int rowOffset, int sb0, int nsb, short[] a, int ao,
                                     float[] d, int dOff,
                                     int[] sums, int sOff) {
        // The whole segment and a long row offset, no slice: a slice made or passed here may escape (40 bytes a row)
        // depending on how C2 inlines this method.
        MemorySegment row = w;
        FloatVector acc0 = FloatVector.zero(F512), acc1 = FloatVector.zero(F512);
        float mins = 0;
        for (int sb = sb0; sb < nsb; sb++) {
            long o = rowStart + rowOffset + (sb - sb0) * BLOCK;
            int ai = ao + sb * 256, si = sOff + sb * 8;
            long q = row.get(LONG, o + 4);
            int q8 = row.get(INT, o + 12);
            int b0 = (int) q & 0xFF, b1 = (int) (q >>> 8) & 0xFF, b2 = (int) (q >>> 16) & 0xFF, b3 = (int) (q >>> 24) & 0xFF;
            int b4 = (int) (q >>> 32) & 0xFF, b5 = (int) (q >>> 40) & 0xFF, b6 = (int) (q >>> 48) & 0xFF, b7 = (int) (q >>> 56) & 0xFF;
            int b8 = q8 & 0xFF, b9 = (q8 >>> 8) & 0xFF, b10 = (q8 >>> 16) & 0xFF, b11 = (q8 >>> 24) & 0xFF;
            int sc0 = b0 & 63, sc1 = b1 & 63, sc2 = b2 & 63, sc3 = b3 & 63;
            int sc4 = (b8 & 0xF) | (b0 >> 6) << 4, sc5 = (b9 & 0xF) | (b1 >> 6) << 4, sc6 = (b10 & 0xF) | (b2 >> 6) << 4, sc7 = (b11 & 0xF) | (b3 >> 6) << 4;
            int minDot = (b4 & 63) * sums[si] + (b5 & 63) * sums[si + 1] + (b6 & 63) * sums[si + 2] + (b7 & 63) * sums[si + 3]
                    + ((b8 >> 4) | (b4 >> 6) << 4) * sums[si + 4] + ((b9 >> 4) | (b5 >> 6) << 4) * sums[si + 5]
                    + ((b10 >> 4) | (b6 >> 6) << 4) * sums[si + 6] + ((b11 >> 4) | (b7 >> 6) << 4) * sums[si + 7];
            float dx = d[dOff + sb];
            float dd = Float.float16ToFloat(row.get(HALF, o)) * dx, dm = Float.float16ToFloat(row.get(HALF, o + 2)) * dx;
            mins += dm * minDot;
            ShortVector v;
            IntVector p;
            v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 16, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
            p = v.and((short) 0xF).mul(ShortVector.fromArray(S512, a, ai)).reinterpretAsInts();
            acc0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc0), acc0);
            p = v.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, ai + 32)).reinterpretAsInts();
            acc1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc1), acc1);
            v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 48, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
            p = v.and((short) 0xF).mul(ShortVector.fromArray(S512, a, ai + 64)).reinterpretAsInts();
            acc0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc2), acc0);
            p = v.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, ai + 96)).reinterpretAsInts();
            acc1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc3), acc1);
            v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 80, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
            p = v.and((short) 0xF).mul(ShortVector.fromArray(S512, a, ai + 128)).reinterpretAsInts();
            acc0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc4), acc0);
            p = v.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, ai + 160)).reinterpretAsInts();
            acc1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc5), acc1);
            v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 112, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
            p = v.and((short) 0xF).mul(ShortVector.fromArray(S512, a, ai + 192)).reinterpretAsInts();
            acc0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc6), acc0);
            p = v.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, ai + 224)).reinterpretAsInts();
            acc1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd * sc7), acc1);
        }
        return acc0.add(acc1).reduceLanes(ADD) - mins;
    }

    static void inPlace1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] d, int dOff, int[] sums, int sOff,
                         float[] y, int yo, int nsb) {
        for (int r = from; r < to; r++) {
            y[yo + r] = superBlocks(w, r * stride, 0, 0, nsb, a, ao, d, dOff, sums, sOff);
        }
    }

    /** Four inputs, each super-block decoded once; sums in the order of {@link #superBlocks}. */
    static void inPlace4(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] d, int dOff, int[] sums,
                         float[] y, int yo, int ys, int nsb) {
        int sOff = dOff * 8, ss = nsb * 8;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector x0 = FloatVector.zero(F512), x1 = FloatVector.zero(F512), x2 = FloatVector.zero(F512), x3 = FloatVector.zero(F512);
            FloatVector z0 = FloatVector.zero(F512), z1 = FloatVector.zero(F512), z2 = FloatVector.zero(F512), z3 = FloatVector.zero(F512);
            float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
            for (int sb = 0; sb < nsb; sb++) {
                int o = sb * BLOCK, ai = ao + sb * 256, si = sOff + sb * 8;
                long q = row.get(LONG, o + 4);
                int q8 = row.get(INT, o + 12);
                int b0 = (int) q & 0xFF, b1 = (int) (q >>> 8) & 0xFF, b2 = (int) (q >>> 16) & 0xFF, b3 = (int) (q >>> 24) & 0xFF;
                int b4 = (int) (q >>> 32) & 0xFF, b5 = (int) (q >>> 40) & 0xFF, b6 = (int) (q >>> 48) & 0xFF, b7 = (int) (q >>> 56) & 0xFF;
                int b8 = q8 & 0xFF, b9 = (q8 >>> 8) & 0xFF, b10 = (q8 >>> 16) & 0xFF, b11 = (q8 >>> 24) & 0xFF;
                int sc0 = b0 & 63, sc1 = b1 & 63, sc2 = b2 & 63, sc3 = b3 & 63;
                int sc4 = (b8 & 0xF) | (b0 >> 6) << 4, sc5 = (b9 & 0xF) | (b1 >> 6) << 4, sc6 = (b10 & 0xF) | (b2 >> 6) << 4, sc7 = (b11 & 0xF) | (b3 >> 6) << 4;
                int mn0 = b4 & 63, mn1 = b5 & 63, mn2 = b6 & 63, mn3 = b7 & 63;
                int mn4 = (b8 >> 4) | (b4 >> 6) << 4, mn5 = (b9 >> 4) | (b5 >> 6) << 4, mn6 = (b10 >> 4) | (b6 >> 6) << 4, mn7 = (b11 >> 4) | (b7 >> 6) << 4;
                float wd = Float.float16ToFloat(row.get(HALF, o)), wm = Float.float16ToFloat(row.get(HALF, o + 2));
                float dx0 = d[dOff + sb], dx1 = d[dOff + nsb + sb], dx2 = d[dOff + 2 * nsb + sb], dx3 = d[dOff + 3 * nsb + sb];
                m0 += wm * dx0 * minDot(sums, si, mn0, mn1, mn2, mn3, mn4, mn5, mn6, mn7);
                m1 += wm * dx1 * minDot(sums, si + ss, mn0, mn1, mn2, mn3, mn4, mn5, mn6, mn7);
                m2 += wm * dx2 * minDot(sums, si + 2 * ss, mn0, mn1, mn2, mn3, mn4, mn5, mn6, mn7);
                m3 += wm * dx3 * minDot(sums, si + 3 * ss, mn0, mn1, mn2, mn3, mn4, mn5, mn6, mn7);
                float dd0 = wd * dx0, dd1 = wd * dx1, dd2 = wd * dx2, dd3 = wd * dx3;
                for (int c = 0; c < 4; c++) {
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 16 + 32 * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0), lo = v.and((short) 0xF), hi = v.lanewise(LSHR, 4);
                    int scLo = c == 0 ? sc0 : c == 1 ? sc2 : c == 2 ? sc4 : sc6, scHi = c == 0 ? sc1 : c == 1 ? sc3 : c == 2 ? sc5 : sc7;
                    int aj = ai + 64 * c;
                    IntVector p;
                    p = lo.mul(ShortVector.fromArray(S512, a, aj)).reinterpretAsInts();
                    x0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd0 * scLo), x0);
                    p = hi.mul(ShortVector.fromArray(S512, a, aj + 32)).reinterpretAsInts();
                    z0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd0 * scHi), z0);
                    p = lo.mul(ShortVector.fromArray(S512, a, aj + as)).reinterpretAsInts();
                    x1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd1 * scLo), x1);
                    p = hi.mul(ShortVector.fromArray(S512, a, aj + as + 32)).reinterpretAsInts();
                    z1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd1 * scHi), z1);
                    p = lo.mul(ShortVector.fromArray(S512, a, aj + 2 * as)).reinterpretAsInts();
                    x2 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd2 * scLo), x2);
                    p = hi.mul(ShortVector.fromArray(S512, a, aj + 2 * as + 32)).reinterpretAsInts();
                    z2 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd2 * scHi), z2);
                    p = lo.mul(ShortVector.fromArray(S512, a, aj + 3 * as)).reinterpretAsInts();
                    x3 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd3 * scLo), x3);
                    p = hi.mul(ShortVector.fromArray(S512, a, aj + 3 * as + 32)).reinterpretAsInts();
                    z3 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd3 * scHi), z3);
                }
            }
            y[yo + r] = x0.add(z0).reduceLanes(ADD) - m0;
            y[yo + ys + r] = x1.add(z1).reduceLanes(ADD) - m1;
            y[yo + 2 * ys + r] = x2.add(z2).reduceLanes(ADD) - m2;
            y[yo + 3 * ys + r] = x3.add(z3).reduceLanes(ADD) - m3;
        }
    }

    private static int minDot(int[] sums, int si, int m0, int m1, int m2, int m3, int m4, int m5, int m6, int m7) {
        return m0 * sums[si] + m1 * sums[si + 1] + m2 * sums[si + 2] + m3 * sums[si + 3]
                + m4 * sums[si + 4] + m5 * sums[si + 5] + m6 * sums[si + 6] + m7 * sums[si + 7];
    }

    /**
     * {@link #packed1} on four rows at a time, row i of each quarter of {@code [from, to)} (see
     * {@link MatrixKernel#rows1}); the same sums in the same order. Each group's scales and mins are applied in one
     * loop over the four rows, through a per-thread scratch: written out four times, the method was too large for C1
     * (out of virtual registers), so it ran without type profiles and C2 left its vector calls virtual (2 GB/s).
     */
    static void quarters1(MemorySegment w, long stride, int from, int to, short[] a, short[] natural, int ao, float[] d, int dOff,
                          int[] sums, int sOff, float[] y, int yo, int nsb, int steps) {
        int q = (to - from) / 4, groups = nsb >> 1, tailAt = groups * GROUP_BYTES;
        float[] t = SCRATCH.get();
        for (int i = 0; i < q; i++) {
            int r = from + i;
            MemorySegment ra = w.asSlice(r * stride, stride), rb = w.asSlice((r + q) * stride, stride);
            MemorySegment rc = w.asSlice((r + 2 * q) * stride, stride), rd = w.asSlice((r + 3 * q) * stride, stride);
            Arrays.fill(t, 0, 128, 0f);
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                ShortVector sa0 = ShortVector.zero(S512), sa1 = sa0, sb0 = sa0, sb1 = sa0, sc0 = sa0, sc1 = sa0, sd0 = sa0, sd1 = sa0;
                for (int j = 0; j < steps; j += 2) {
                    int oj = o + 40 + j * 32, aj = ai + j * 64;
                    ShortVector x0 = ShortVector.fromArray(S512, a, aj), x1 = ShortVector.fromArray(S512, a, aj + 32);
                    ShortVector x2 = ShortVector.fromArray(S512, a, aj + 64), x3 = ShortVector.fromArray(S512, a, aj + 96);
                    ShortVector v, u;
                    v = (ShortVector) ByteVector.fromMemorySegment(B256, ra, oj, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    u = (ShortVector) ByteVector.fromMemorySegment(B256, ra, oj + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    sa0 = sa0.add(v.mul(x0)).add(v.lanewise(LSHR, 4).mul(x1));
                    sa1 = sa1.add(u.mul(x2)).add(u.lanewise(LSHR, 4).mul(x3));
                    v = (ShortVector) ByteVector.fromMemorySegment(B256, rb, oj, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    u = (ShortVector) ByteVector.fromMemorySegment(B256, rb, oj + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    sb0 = sb0.add(v.mul(x0)).add(v.lanewise(LSHR, 4).mul(x1));
                    sb1 = sb1.add(u.mul(x2)).add(u.lanewise(LSHR, 4).mul(x3));
                    v = (ShortVector) ByteVector.fromMemorySegment(B256, rc, oj, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    u = (ShortVector) ByteVector.fromMemorySegment(B256, rc, oj + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    sc0 = sc0.add(v.mul(x0)).add(v.lanewise(LSHR, 4).mul(x1));
                    sc1 = sc1.add(u.mul(x2)).add(u.lanewise(LSHR, 4).mul(x3));
                    v = (ShortVector) ByteVector.fromMemorySegment(B256, rd, oj, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    u = (ShortVector) ByteVector.fromMemorySegment(B256, rd, oj + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    sd0 = sd0.add(v.mul(x0)).add(v.lanewise(LSHR, 4).mul(x1));
                    sd1 = sd1.add(u.mul(x2)).add(u.lanewise(LSHR, 4).mul(x3));
                }
                sa0.add(sa1).reinterpretAsFloats().intoArray(t, 128);
                sb0.add(sb1).reinterpretAsFloats().intoArray(t, 144);
                sc0.add(sc1).reinterpretAsFloats().intoArray(t, 160);
                sd0.add(sd1).reinterpretAsFloats().intoArray(t, 176);
                float dxA = d[dOff + 2 * g], dxB = d[dOff + 2 * g + 1];
                int so = sOff + g * 16;
                IntVector xs = IntVector.fromArray(I512, sums, so);
                for (int k = 0; k < 4; k++) {
                    MemorySegment row = k == 0 ? ra : k == 1 ? rb : k == 2 ? rc : rd;
                    IntVector p = FloatVector.fromArray(F512, t, 128 + 16 * k).reinterpretAsInts();
                    IntVector sum = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
                    IntVector sc = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 8, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                    IntVector mn = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 24, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                    FloatVector dd = FloatVector.broadcast(F512, Float.float16ToFloat(row.get(HALF, o)) * dxA)
                            .blend(Float.float16ToFloat(row.get(HALF, o + 2)) * dxB, HIGH_8);
                    FloatVector dm = FloatVector.broadcast(F512, Float.float16ToFloat(row.get(HALF, o + 4)) * dxA)
                            .blend(Float.float16ToFloat(row.get(HALF, o + 6)) * dxB, HIGH_8);
                    ((FloatVector) sum.mul(sc).convert(I2F, 0)).fma(dd, FloatVector.fromArray(F512, t, 32 * k)).intoArray(t, 32 * k);
                    ((FloatVector) mn.mul(xs).convert(I2F, 0)).fma(dm, FloatVector.fromArray(F512, t, 32 * k + 16)).intoArray(t, 32 * k + 16);
                }
            }
            boolean tail = groups * 2 < nsb;
            for (int k = 0; k < 4; k++) {
                int rk = r + k * q;
                y[yo + rk] = FloatVector.fromArray(F512, t, 32 * k).reduceLanes(ADD) - FloatVector.fromArray(F512, t, 32 * k + 16).reduceLanes(ADD)
                        + (tail ? superBlocks(w, rk * stride, tailAt, groups * 2, nsb, natural, ao, d, dOff, sums, sOff) : 0f);
            }
        }
        packed1(w, stride, from + 4 * q, to, a, natural, ao, d, dOff, sums, sOff, y, yo, nsb, steps);
    }

    static void packed1(MemorySegment w, long stride, int from, int to, short[] a, short[] natural, int ao, float[] d, int dOff,
                        int[] sums, int sOff, float[] y, int yo, int nsb, int steps) {
        int groups = nsb >> 1, tailAt = groups * GROUP_BYTES;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector acc = FloatVector.zero(F512), mins = FloatVector.zero(F512);
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                ShortVector s0 = ShortVector.zero(S512), s1 = ShortVector.zero(S512);
                for (int j = 0; j < steps; j += 2) {
                    int oj = o + 40 + j * 32, aj = ai + j * 64;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    s0 = s0.add(v.mul(ShortVector.fromArray(S512, a, aj))).add(v.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, aj + 32)));
                    ShortVector u = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    s1 = s1.add(u.mul(ShortVector.fromArray(S512, a, aj + 64))).add(u.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, aj + 96)));
                }
                IntVector p = s0.add(s1).reinterpretAsInts();
                IntVector sum = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 8, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                IntVector mn = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 24, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                float dxA = d[dOff + 2 * g], dxB = d[dOff + 2 * g + 1];
                FloatVector dd = FloatVector.broadcast(F512, Float.float16ToFloat(row.get(HALF, o)) * dxA)
                        .blend(Float.float16ToFloat(row.get(HALF, o + 2)) * dxB, HIGH_8);
                FloatVector dm = FloatVector.broadcast(F512, Float.float16ToFloat(row.get(HALF, o + 4)) * dxA)
                        .blend(Float.float16ToFloat(row.get(HALF, o + 6)) * dxB, HIGH_8);
                acc = ((FloatVector) sum.mul(sc).convert(I2F, 0)).fma(dd, acc);
                mins = ((FloatVector) mn.mul(IntVector.fromArray(I512, sums, sOff + g * 16)).convert(I2F, 0)).fma(dm, mins);
            }
            float t = groups * 2 < nsb ? superBlocks(w, r * stride, tailAt, groups * 2, nsb, natural, ao, d, dOff, sums, sOff) : 0f;
            y[yo + r] = acc.reduceLanes(ADD) - mins.reduceLanes(ADD) + t;
        }
    }

    static void packed4(MemorySegment w, long stride, int from, int to, short[] a, short[] natural, int ao, int as, float[] d, int dOff,
                        int[] sums, float[] y, int yo, int ys, int nsb, int steps) {
        int groups = nsb >> 1, tailAt = groups * GROUP_BYTES;
        int a1 = as, a2 = 2 * as, a3 = 3 * as, ss = nsb * 8;
        int sOff = dOff * 8;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector c0 = FloatVector.zero(F512), c1 = FloatVector.zero(F512), c2 = FloatVector.zero(F512), c3 = FloatVector.zero(F512);
            FloatVector m0 = FloatVector.zero(F512), m1 = FloatVector.zero(F512), m2 = FloatVector.zero(F512), m3 = FloatVector.zero(F512);
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                ShortVector s0 = ShortVector.zero(S512), s1 = ShortVector.zero(S512), s2 = ShortVector.zero(S512), s3 = ShortVector.zero(S512);
                for (int j = 0; j < steps; j++) {
                    int aj = ai + j * 64;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 40 + j * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector h = v.lanewise(LSHR, 4);
                    s0 = s0.add(v.mul(ShortVector.fromArray(S512, a, aj))).add(h.mul(ShortVector.fromArray(S512, a, aj + 32)));
                    s1 = s1.add(v.mul(ShortVector.fromArray(S512, a, aj + a1))).add(h.mul(ShortVector.fromArray(S512, a, aj + a1 + 32)));
                    s2 = s2.add(v.mul(ShortVector.fromArray(S512, a, aj + a2))).add(h.mul(ShortVector.fromArray(S512, a, aj + a2 + 32)));
                    s3 = s3.add(v.mul(ShortVector.fromArray(S512, a, aj + a3))).add(h.mul(ShortVector.fromArray(S512, a, aj + a3 + 32)));
                }
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 8, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                IntVector mn = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 24, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                float wdA = Float.float16ToFloat(row.get(HALF, o)), wdB = Float.float16ToFloat(row.get(HALF, o + 2));
                float wmA = Float.float16ToFloat(row.get(HALF, o + 4)), wmB = Float.float16ToFloat(row.get(HALF, o + 6));
                int di = dOff + 2 * g, si = sOff + g * 16;
                IntVector p;
                p = s0.reinterpretAsInts();
                c0 = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wdA * d[di]).blend(wdB * d[di + 1], HIGH_8), c0);
                m0 = ((FloatVector) mn.mul(IntVector.fromArray(I512, sums, si)).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wmA * d[di]).blend(wmB * d[di + 1], HIGH_8), m0);
                p = s1.reinterpretAsInts();
                c1 = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wdA * d[di + nsb]).blend(wdB * d[di + nsb + 1], HIGH_8), c1);
                m1 = ((FloatVector) mn.mul(IntVector.fromArray(I512, sums, si + ss)).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wmA * d[di + nsb]).blend(wmB * d[di + nsb + 1], HIGH_8), m1);
                p = s2.reinterpretAsInts();
                c2 = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wdA * d[di + 2 * nsb]).blend(wdB * d[di + 2 * nsb + 1], HIGH_8), c2);
                m2 = ((FloatVector) mn.mul(IntVector.fromArray(I512, sums, si + 2 * ss)).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wmA * d[di + 2 * nsb]).blend(wmB * d[di + 2 * nsb + 1], HIGH_8), m2);
                p = s3.reinterpretAsInts();
                c3 = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wdA * d[di + 3 * nsb]).blend(wdB * d[di + 3 * nsb + 1], HIGH_8), c3);
                m3 = ((FloatVector) mn.mul(IntVector.fromArray(I512, sums, si + 3 * ss)).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wmA * d[di + 3 * nsb]).blend(wmB * d[di + 3 * nsb + 1], HIGH_8), m3);
            }
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            if (groups * 2 < nsb) {
                t0 = superBlocks(w, r * stride, tailAt, groups * 2, nsb, natural, ao, d, dOff, sums, sOff);
                t1 = superBlocks(w, r * stride, tailAt, groups * 2, nsb, natural, ao + as, d, dOff + nsb, sums, sOff + ss);
                t2 = superBlocks(w, r * stride, tailAt, groups * 2, nsb, natural, ao + 2 * as, d, dOff + 2 * nsb, sums, sOff + 2 * ss);
                t3 = superBlocks(w, r * stride, tailAt, groups * 2, nsb, natural, ao + 3 * as, d, dOff + 3 * nsb, sums, sOff + 3 * ss);
            }
            y[yo + r] = c0.reduceLanes(ADD) - m0.reduceLanes(ADD) + t0;
            y[yo + ys + r] = c1.reduceLanes(ADD) - m1.reduceLanes(ADD) + t1;
            y[yo + 2 * ys + r] = c2.reduceLanes(ADD) - m2.reduceLanes(ADD) + t2;
            y[yo + 3 * ys + r] = c3.reduceLanes(ADD) - m3.reduceLanes(ADD) + t3;
        }
    }
}
