package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.Simd.B128;
import static dev.hearth.engine.tensor.Simd.B256;
import static dev.hearth.engine.tensor.Simd.F256;
import static dev.hearth.engine.tensor.Simd.F512;
import static dev.hearth.engine.tensor.Simd.HALF;
import static dev.hearth.engine.tensor.Simd.HALF_BITS;
import static dev.hearth.engine.tensor.Simd.I512;
import static dev.hearth.engine.tensor.Simd.LE;
import static dev.hearth.engine.tensor.Simd.S256;
import static dev.hearth.engine.tensor.Simd.S512;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * Q4_0 weights (blocks of 32 4-bit values q, value {@code d*(q-8)}) times Q8_0-quantized input:
 * {@code d_w*d_x*(sum(q*x) - 8*sum(x))} per block, the second sum precomputed with the input.
 *
 * <p>A weight byte {@code v} holds two nibbles {@code lo + 16 hi}. With input coefficients {@code A = x_lo} and
 * {@code A' = x_hi - 16 x_lo} (see {@link Activations#q4_0Lanes()}), {@code v*A + (v>>4)*A'} equals
 * {@code lo*x_lo + hi*x_hi} modulo 2^16: no mask is needed for the low nibble. Sixteen such products
 * (|q*x| <= 15*127) still fit an int16 lane, so a whole group accumulates in int16 and widens once.
 *
 * <p>GGUF layout (18-byte blocks): one block per 256-bit step. Repacked layout: groups of 16 blocks (288 bytes:
 * 16 re-biased scales, then 8 steps of 32 bytes where byte {@code 2i+t} of step j holds elements {@code 16t+2j}
 * (low nibble) and {@code 16t+2j+1} (high nibble) of block i); int lane i accumulates block i. Blocks after the
 * last whole group stay in GGUF layout at the end of the row.
 */
final class Q4_0Kernel implements MatrixKernel {
    static final int BLOCK = 18, GROUP_BYTES = 288;
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride;
    private final boolean repacked;
    private final int steps = 8;

    Q4_0Kernel(MemorySegment data, int rows, int cols, long stride, boolean repacked) {
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
        x.q8_0Scale();
        x.q4_0Correction();
        if (repacked) {
            x.q4_0Lanes();
            x.q8_0ScaleBiased();
        } else {
            x.q4_0Natural();
        }
    }

    @Override
    public MatrixKernel repack(Arena arena) {
        Repacker.Rows packed = Repacker.repack(data, stride, rows, cols / 32, BLOCK, 16, GROUP_BYTES, arena, (in, out, g) -> {
            int go = g * GROUP_BYTES;
            for (int i = 0; i < 16; i++) {
                int bo = (g * 16 + i) * BLOCK;
                int enc = Simd.encodeScale((short) ((in[bo] & 0xFF) | (in[bo + 1] << 8)));
                if (enc < 0) return false;
                out[go + 2 * i] = (byte) enc;
                out[go + 2 * i + 1] = (byte) (enc >> 8);
                for (int j = 0; j < 8; j++) {
                    for (int t = 0; t < 2; t++) {
                        int lo = nibble(in, bo + 2, 16 * t + 2 * j), hi = nibble(in, bo + 2, 16 * t + 2 * j + 1);
                        out[go + 32 + j * 32 + 2 * i + t] = (byte) (lo | hi << 4);
                    }
                }
            }
            return true;
        });
        return packed == null ? null : new Q4_0Kernel(packed.data(), rows, cols, packed.stride(), true);
    }

    /** Element {@code e} (0..31) of a Q4_0 block whose 16 quant bytes start at {@code qs}. */
    static int nibble(byte[] b, int qs, int e) {
        int v = b[qs + (e & 15)] & 0xFF;
        return e < 16 ? v & 0xF : v >> 4;
    }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        int nb = cols / 32;
        if (repacked) {
            quarters1(data, stride, from, to, x.q4_0Lanes(), b * cols, x.q8_0ScaleBiased(), x.q8_0Scale(), x.q4_0Correction(), b * nb,
                    y, b * rows, nb, steps);
        } else {
            inPlace1(data, stride, from, to, x.q4_0Natural(), b * cols, x.q8_0Scale(), x.q4_0Correction(), b * nb, y, b * rows, nb);
        }
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        int nb = cols / 32;
        if (repacked) {
            packed4(data, stride, from, to, x.q4_0Lanes(), b * cols, cols, x.q8_0ScaleBiased(), x.q8_0Scale(), x.q4_0Correction(),
                    b * nb, nb, y, b * rows, rows, steps);
        } else {
            inPlace4(data, stride, from, to, x.q4_0Natural(), b * cols, cols, x.q8_0Scale(), x.q4_0Correction(), b * nb, nb, y, b * rows, rows);
        }
    }

    /** GGUF layout, blocks {@code [b0, nb)} of one row starting at {@code rowOffset}. */
    private static float blocks(MemorySegment w, long rowStart, int rowOffset, int b0, int nb, short[] a, int ao,
                                float[] d, int[] corr, int dOff) {
        // The whole segment and a long row offset, no slice: a slice made or passed here may escape (40 bytes a row)
        // depending on how C2 inlines this method.
        MemorySegment row = w;
        FloatVector acc0 = FloatVector.zero(F256), acc1 = FloatVector.zero(F256);
        float c = 0;
        int b = b0;
        for (; b + 2 <= nb; b += 2) {
            long o = rowStart + rowOffset + (b - b0) * BLOCK;
            int ai = ao + b * 32;
            float s0 = Float.float16ToFloat(row.get(HALF, o)) * d[dOff + b], s1 = Float.float16ToFloat(row.get(HALF, o + BLOCK)) * d[dOff + b + 1];
            ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B128, row, o + 2, LE).convertShape(ZERO_EXTEND_B2S, S256, 0);
            ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B128, row, o + BLOCK + 2, LE).convertShape(ZERO_EXTEND_B2S, S256, 0);
            ShortVector h0 = v0.lanewise(LSHR, 4), h1 = v1.lanewise(LSHR, 4);
            IntVector p;
            p = v0.mul(ShortVector.fromArray(S256, a, ai)).add(h0.mul(ShortVector.fromArray(S256, a, ai + 16))).reinterpretAsInts();
            p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            acc0 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s0), acc0);
            p = v1.mul(ShortVector.fromArray(S256, a, ai + 32)).add(h1.mul(ShortVector.fromArray(S256, a, ai + 32 + 16))).reinterpretAsInts();
            p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            acc1 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s1), acc1);
            c += s0 * corr[dOff + b] + s1 * corr[dOff + b + 1];
        }
        if (b < nb) {
            long o = rowStart + rowOffset + (b - b0) * BLOCK;
            float s0 = Float.float16ToFloat(row.get(HALF, o)) * d[dOff + b];
            ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B128, row, o + 2, LE).convertShape(ZERO_EXTEND_B2S, S256, 0), h0 = v0.lanewise(LSHR, 4);
            IntVector p;
            p = v0.mul(ShortVector.fromArray(S256, a, ao + b * 32)).add(h0.mul(ShortVector.fromArray(S256, a, ao + b * 32 + 16))).reinterpretAsInts();
            p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            acc0 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s0), acc0);
            c += s0 * corr[dOff + b];
        }
        return acc0.add(acc1).reduceLanes(ADD) - c;
    }

    static void inPlace1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] d, int[] corr, int dOff,
                         float[] y, int yo, int nb) {
        for (int r = from; r < to; r++) {
            y[yo + r] = blocks(w, r * stride, 0, 0, nb, a, ao, d, corr, dOff);
        }
    }

    /** Four inputs, each block decoded once; sums in the order of {@link #blocks}. */
    static void inPlace4(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] d, int[] corr, int dOff, int ds,
                         float[] y, int yo, int ys) {
        int nb = ds;
        int a0 = ao, a1 = ao + as, a2 = ao + 2 * as, a3 = ao + 3 * as;
        int d0 = dOff, d1 = dOff + ds, d2 = dOff + 2 * ds, d3 = dOff + 3 * ds;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector x0 = FloatVector.zero(F256), x1 = FloatVector.zero(F256), x2 = FloatVector.zero(F256), x3 = FloatVector.zero(F256);
            FloatVector z0 = FloatVector.zero(F256), z1 = FloatVector.zero(F256), z2 = FloatVector.zero(F256), z3 = FloatVector.zero(F256);
            float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
            int b = 0;
            for (; b + 2 <= nb; b += 2) {
                int o = b * BLOCK, ai = b * 32;
                float w0 = Float.float16ToFloat(row.get(HALF, o)), w1 = Float.float16ToFloat(row.get(HALF, o + BLOCK));
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B128, row, o + 2, LE).convertShape(ZERO_EXTEND_B2S, S256, 0);
                ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B128, row, o + BLOCK + 2, LE).convertShape(ZERO_EXTEND_B2S, S256, 0);
                ShortVector h0 = v0.lanewise(LSHR, 4), h1 = v1.lanewise(LSHR, 4);
                IntVector p;
                float s, t;
                s = w0 * d[d0 + b];
                t = w1 * d[d0 + b + 1];
                p = v0.mul(ShortVector.fromArray(S256, a, a0 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a0 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x0 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x0);
                p = v1.mul(ShortVector.fromArray(S256, a, a0 + ai + 32)).add(h1.mul(ShortVector.fromArray(S256, a, a0 + ai + 32 + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                z0 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, t), z0);
                c0 += s * corr[d0 + b] + t * corr[d0 + b + 1];
                s = w0 * d[d1 + b];
                t = w1 * d[d1 + b + 1];
                p = v0.mul(ShortVector.fromArray(S256, a, a1 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a1 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x1 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x1);
                p = v1.mul(ShortVector.fromArray(S256, a, a1 + ai + 32)).add(h1.mul(ShortVector.fromArray(S256, a, a1 + ai + 32 + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                z1 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, t), z1);
                c1 += s * corr[d1 + b] + t * corr[d1 + b + 1];
                s = w0 * d[d2 + b];
                t = w1 * d[d2 + b + 1];
                p = v0.mul(ShortVector.fromArray(S256, a, a2 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a2 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x2 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x2);
                p = v1.mul(ShortVector.fromArray(S256, a, a2 + ai + 32)).add(h1.mul(ShortVector.fromArray(S256, a, a2 + ai + 32 + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                z2 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, t), z2);
                c2 += s * corr[d2 + b] + t * corr[d2 + b + 1];
                s = w0 * d[d3 + b];
                t = w1 * d[d3 + b + 1];
                p = v0.mul(ShortVector.fromArray(S256, a, a3 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a3 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x3 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x3);
                p = v1.mul(ShortVector.fromArray(S256, a, a3 + ai + 32)).add(h1.mul(ShortVector.fromArray(S256, a, a3 + ai + 32 + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                z3 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, t), z3);
                c3 += s * corr[d3 + b] + t * corr[d3 + b + 1];
            }
            if (b < nb) {
                int o = b * BLOCK, ai = b * 32;
                float w0 = Float.float16ToFloat(row.get(HALF, o)), s;
                ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B128, row, o + 2, LE).convertShape(ZERO_EXTEND_B2S, S256, 0), h0 = v0.lanewise(LSHR, 4);
                IntVector p;
                s = w0 * d[d0 + b];
                p = v0.mul(ShortVector.fromArray(S256, a, a0 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a0 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x0 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x0);
                c0 += s * corr[d0 + b];
                s = w0 * d[d1 + b];
                p = v0.mul(ShortVector.fromArray(S256, a, a1 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a1 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x1 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x1);
                c1 += s * corr[d1 + b];
                s = w0 * d[d2 + b];
                p = v0.mul(ShortVector.fromArray(S256, a, a2 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a2 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x2 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x2);
                c2 += s * corr[d2 + b];
                s = w0 * d[d3 + b];
                p = v0.mul(ShortVector.fromArray(S256, a, a3 + ai)).add(h0.mul(ShortVector.fromArray(S256, a, a3 + ai + 16))).reinterpretAsInts();
                p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                x3 = ((FloatVector) p.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), x3);
                c3 += s * corr[d3 + b];
            }
            y[yo + r] = x0.add(z0).reduceLanes(ADD) - c0;
            y[yo + ys + r] = x1.add(z1).reduceLanes(ADD) - c1;
            y[yo + 2 * ys + r] = x2.add(z2).reduceLanes(ADD) - c2;
            y[yo + 3 * ys + r] = x3.add(z3).reduceLanes(ADD) - c3;
        }
    }

    static void packed1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] dBiased, float[] d, int[] corr, int dOff,
                        float[] y, int yo, int nb, int steps) {
        int groups = nb >> 4, tailAt = groups * GROUP_BYTES;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector acc = FloatVector.zero(F512);
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                ShortVector s0 = ShortVector.zero(S512), s1 = ShortVector.zero(S512);
                for (int j = 0; j < steps; j += 2) {
                    int oj = o + 32 + j * 32, aj = ai + j * 64;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    s0 = s0.add(v.mul(ShortVector.fromArray(S512, a, aj))).add(v.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, aj + 32)));
                    ShortVector u = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    s1 = s1.add(u.mul(ShortVector.fromArray(S512, a, aj + 64))).add(u.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, aj + 96)));
                }
                int di = dOff + g * 16;
                IntVector p = s0.add(s1).reinterpretAsInts();
                IntVector sum = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).sub(IntVector.fromArray(I512, corr, di));
                IntVector sc = (IntVector) ShortVector.fromMemorySegment(S256, row, o, LE).convertShape(S2I, I512, 0);
                FloatVector s = sc.lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(FloatVector.fromArray(F512, dBiased, di));
                acc = ((FloatVector) sum.convert(I2F, 0)).fma(s, acc);
            }
            float t = groups * 16 < nb ? blocks(w, r * stride, tailAt, groups * 16, nb, a, ao, d, corr, dOff) : 0f;
            y[yo + r] = acc.reduceLanes(ADD) + t;
        }
    }

    /** {@link #packed1} on four rows at a time, row i of each quarter of {@code [from, to)} (see {@link MatrixKernel#rows1}); the same sums in the same order. */
    static void quarters1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] dBiased, float[] d, int[] corr, int dOff,
                          float[] y, int yo, int nb, int steps) {
        int q = (to - from) / 4, groups = nb >> 4, tailAt = groups * GROUP_BYTES;
        for (int i = 0; i < q; i++) {
            int r = from + i;
            MemorySegment ra = w.asSlice(r * stride, stride), rb = w.asSlice((r + q) * stride, stride);
            MemorySegment rc = w.asSlice((r + 2 * q) * stride, stride), rd = w.asSlice((r + 3 * q) * stride, stride);
            FloatVector ca = FloatVector.zero(F512), cb = ca, cc = ca, cd = ca;
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                ShortVector sa0 = ShortVector.zero(S512), sa1 = sa0, sb0 = sa0, sb1 = sa0, sc0 = sa0, sc1 = sa0, sd0 = sa0, sd1 = sa0;
                for (int j = 0; j < steps; j += 2) {
                    int oj = o + 32 + j * 32, aj = ai + j * 64;
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
                int di = dOff + g * 16;
                IntVector corrs = IntVector.fromArray(I512, corr, di), p;
                FloatVector dx = FloatVector.fromArray(F512, dBiased, di);
                p = sa0.add(sa1).reinterpretAsInts();
                ca = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).sub(corrs).convert(I2F, 0))
                        .fma(((IntVector) ShortVector.fromMemorySegment(S256, ra, o, LE).convertShape(S2I, I512, 0)).lanewise(LSHL, 13)
                                .and(HALF_BITS).reinterpretAsFloats().mul(dx), ca);
                p = sb0.add(sb1).reinterpretAsInts();
                cb = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).sub(corrs).convert(I2F, 0))
                        .fma(((IntVector) ShortVector.fromMemorySegment(S256, rb, o, LE).convertShape(S2I, I512, 0)).lanewise(LSHL, 13)
                                .and(HALF_BITS).reinterpretAsFloats().mul(dx), cb);
                p = sc0.add(sc1).reinterpretAsInts();
                cc = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).sub(corrs).convert(I2F, 0))
                        .fma(((IntVector) ShortVector.fromMemorySegment(S256, rc, o, LE).convertShape(S2I, I512, 0)).lanewise(LSHL, 13)
                                .and(HALF_BITS).reinterpretAsFloats().mul(dx), cc);
                p = sd0.add(sd1).reinterpretAsInts();
                cd = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).sub(corrs).convert(I2F, 0))
                        .fma(((IntVector) ShortVector.fromMemorySegment(S256, rd, o, LE).convertShape(S2I, I512, 0)).lanewise(LSHL, 13)
                                .and(HALF_BITS).reinterpretAsFloats().mul(dx), cd);
            }
            boolean tail = groups * 16 < nb;
            y[yo + r] = ca.reduceLanes(ADD) + (tail ? blocks(w, r * stride, tailAt, groups * 16, nb, a, ao, d, corr, dOff) : 0f);
            y[yo + r + q] = cb.reduceLanes(ADD) + (tail ? blocks(w, (r + q) * stride, tailAt, groups * 16, nb, a, ao, d, corr, dOff) : 0f);
            y[yo + r + 2 * q] = cc.reduceLanes(ADD) + (tail ? blocks(w, (r + 2 * q) * stride, tailAt, groups * 16, nb, a, ao, d, corr, dOff) : 0f);
            y[yo + r + 3 * q] = cd.reduceLanes(ADD) + (tail ? blocks(w, (r + 3 * q) * stride, tailAt, groups * 16, nb, a, ao, d, corr, dOff) : 0f);
        }
        packed1(w, stride, from + 4 * q, to, a, ao, dBiased, d, corr, dOff, y, yo, nb, steps);
    }

    static void packed4(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] dBiased, float[] d, int[] corr,
                        int dOff, int ds, float[] y, int yo, int ys, int steps) {
        int nb = ds, groups = nb >> 4, tailAt = groups * GROUP_BYTES;
        int a1 = as, a2 = 2 * as, a3 = 3 * as;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector c0 = FloatVector.zero(F512), c1 = FloatVector.zero(F512), c2 = FloatVector.zero(F512), c3 = FloatVector.zero(F512);
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                ShortVector s0 = ShortVector.zero(S512), s1 = ShortVector.zero(S512), s2 = ShortVector.zero(S512), s3 = ShortVector.zero(S512);
                for (int j = 0; j < steps; j++) {
                    int aj = ai + j * 64;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 32 + j * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector h = v.lanewise(LSHR, 4);
                    s0 = s0.add(v.mul(ShortVector.fromArray(S512, a, aj))).add(h.mul(ShortVector.fromArray(S512, a, aj + 32)));
                    s1 = s1.add(v.mul(ShortVector.fromArray(S512, a, aj + a1))).add(h.mul(ShortVector.fromArray(S512, a, aj + a1 + 32)));
                    s2 = s2.add(v.mul(ShortVector.fromArray(S512, a, aj + a2))).add(h.mul(ShortVector.fromArray(S512, a, aj + a2 + 32)));
                    s3 = s3.add(v.mul(ShortVector.fromArray(S512, a, aj + a3))).add(h.mul(ShortVector.fromArray(S512, a, aj + a3 + 32)));
                }
                int di = dOff + g * 16;
                IntVector sc = (IntVector) ShortVector.fromMemorySegment(S256, row, o, LE).convertShape(S2I, I512, 0);
                FloatVector s = sc.lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats();
                IntVector p0 = s0.reinterpretAsInts(), p1 = s1.reinterpretAsInts(), p2 = s2.reinterpretAsInts(), p3 = s3.reinterpretAsInts();
                p0 = p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).sub(IntVector.fromArray(I512, corr, di));
                p1 = p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).sub(IntVector.fromArray(I512, corr, di + ds));
                p2 = p2.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p2.lanewise(ASHR, 16)).sub(IntVector.fromArray(I512, corr, di + 2 * ds));
                p3 = p3.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p3.lanewise(ASHR, 16)).sub(IntVector.fromArray(I512, corr, di + 3 * ds));
                c0 = ((FloatVector) p0.convert(I2F, 0)).fma(s.mul(FloatVector.fromArray(F512, dBiased, di)), c0);
                c1 = ((FloatVector) p1.convert(I2F, 0)).fma(s.mul(FloatVector.fromArray(F512, dBiased, di + ds)), c1);
                c2 = ((FloatVector) p2.convert(I2F, 0)).fma(s.mul(FloatVector.fromArray(F512, dBiased, di + 2 * ds)), c2);
                c3 = ((FloatVector) p3.convert(I2F, 0)).fma(s.mul(FloatVector.fromArray(F512, dBiased, di + 3 * ds)), c3);
            }
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            if (groups * 16 < nb) {
                t0 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao, d, corr, dOff);
                t1 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao + as, d, corr, dOff + ds);
                t2 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao + 2 * as, d, corr, dOff + 2 * ds);
                t3 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao + 3 * as, d, corr, dOff + 3 * ds);
            }
            y[yo + r] = c0.reduceLanes(ADD) + t0;
            y[yo + ys + r] = c1.reduceLanes(ADD) + t1;
            y[yo + 2 * ys + r] = c2.reduceLanes(ADD) + t2;
            y[yo + 3 * ys + r] = c3.reduceLanes(ADD) + t3;
        }
    }
}
