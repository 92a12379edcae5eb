package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.hearth.engine.tensor.Simd.B256;
import static dev.hearth.engine.tensor.Simd.F512;
import static dev.hearth.engine.tensor.Simd.HALF;
import static dev.hearth.engine.tensor.Simd.HALF_BITS;
import static dev.hearth.engine.tensor.Simd.I512;
import static dev.hearth.engine.tensor.Simd.LE;
import static dev.hearth.engine.tensor.Simd.S256;
import static dev.hearth.engine.tensor.Simd.S512;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.XOR;

/**
 * Q8_0 weights (blocks of 32 int8 with an fp16 scale) times Q8_0-quantized input, in integers like llama.cpp:
 * per block {@code d_w * d_x * sum(q_w * q_x)}.
 *
 * <p>GGUF layout (34-byte blocks): per block, 32 int16 products, adjacent pairs summed into 16 int lanes, converted
 * and accumulated with the block's scale.
 *
 * <p>Repacked layout: per row, groups of 16 blocks (544 bytes: 16 scales, then 16 steps of 32 bytes where byte
 * {@code 2i+t} of step j is element {@code 16t+j} of block i), so int lane i accumulates block i for the whole
 * group and the 16 scales apply as one vector. Two steps' int16 products are added (each lane then holds two
 * products, |sum| <= 2*128*127 < 2^15) and folded into int32 without splitting the halves: with the low half
 * offset by 2^15 (an XOR) it is never negative, so {@code bits >> 16} is exactly the high half; summing
 * {@code bits} and {@code bits >> 16} over the group gives {@code sum(hi + lo)} = {@code all - 65535*hi - 2^15*n}.
 * Blocks after the last whole group stay in GGUF layout at the end of the row. Scales are stored re-biased
 * ({@link Simd#encodeScale}).
 */
final class Q8_0Kernel implements MatrixKernel {
    static final int BLOCK = 34, GROUP_BYTES = 544;
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride;
    private final boolean repacked;
    private final int steps = 16; // passed to the loops rather than a constant: see Matrix (C2 unrolling)

    Q8_0Kernel(MemorySegment data, int rows, int cols, long stride, boolean repacked) {
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
        if (repacked) {
            x.q8_0Lanes();
            x.q8_0ScaleBiased();
        } else {
            x.q8_0Natural();
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
                for (int j = 0; j < 16; j++) {
                    for (int t = 0; t < 2; t++) out[go + 32 + j * 32 + 2 * i + t] = in[bo + 2 + 16 * t + j];
                }
            }
            return true;
        });
        return packed == null ? null : new Q8_0Kernel(packed.data(), rows, cols, packed.stride(), true);
    }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        int nb = cols / 32;
        if (repacked) {
            quarters1(data, stride, from, to, x.q8_0Lanes(), b * cols, x.q8_0ScaleBiased(), x.q8_0Scale(), b * nb, y, b * rows, nb, steps);
        } else {
            inPlace1(data, stride, from, to, x.q8_0Natural(), b * cols, x.q8_0Scale(), b * nb, y, b * rows, nb);
        }
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        int nb = cols / 32;
        if (repacked) {
            packed4(data, stride, from, to, x.q8_0Lanes(), b * cols, cols, x.q8_0ScaleBiased(), x.q8_0Scale(), b * nb, nb, y, b * rows, rows, steps);
        } else {
            inPlace4(data, stride, from, to, x.q8_0Natural(), b * cols, cols, x.q8_0Scale(), b * nb, nb, y, b * rows, rows);
        }
    }

    private static float half(MemorySegment row, long o) {
        return Float.float16ToFloat(row.get(HALF, o));
    }

    /** GGUF layout, blocks {@code [b0, nb)} of one row; {@code a}/{@code d} indexed from the row's first block. */
    private static float blocks(MemorySegment w, long rowStart, int rowOffset, int b0, int nb, short[] a, int ao,
                                float[] d, int dOff) {
        // The whole segment and a long row offset, no slice: a slice made or passed here may escape (40 bytes a row)
        // depending on how C2 inlines this method.
        MemorySegment row = w;
        FloatVector acc0 = FloatVector.zero(F512), acc1 = FloatVector.zero(F512);
        int b = b0;
        for (; b + 2 <= nb; b += 2) {
            long o = rowStart + rowOffset + (b - b0) * BLOCK;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 2, LE).convertShape(B2S, S512, 0);
            IntVector p0 = w0.mul(ShortVector.fromArray(S512, a, ao + b * 32)).reinterpretAsInts();
            p0 = p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            acc0 = ((FloatVector) p0.convert(I2F, 0)).fma(FloatVector.broadcast(F512, half(row, o) * d[dOff + b]), acc0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 36, LE).convertShape(B2S, S512, 0);
            IntVector p1 = w1.mul(ShortVector.fromArray(S512, a, ao + b * 32 + 32)).reinterpretAsInts();
            p1 = p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            acc1 = ((FloatVector) p1.convert(I2F, 0)).fma(FloatVector.broadcast(F512, half(row, o + BLOCK) * d[dOff + b + 1]), acc1);
        }
        if (b < nb) {
            long o = rowStart + rowOffset + (b - b0) * BLOCK;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 2, LE).convertShape(B2S, S512, 0);
            IntVector p0 = w0.mul(ShortVector.fromArray(S512, a, ao + b * 32)).reinterpretAsInts();
            p0 = p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            acc0 = ((FloatVector) p0.convert(I2F, 0)).fma(FloatVector.broadcast(F512, half(row, o) * d[dOff + b]), acc0);
        }
        return acc0.add(acc1).reduceLanes(ADD);
    }

    static void inPlace1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] d, int dOff, float[] y, int yo, int nb) {
        for (int r = from; r < to; r++) {
            y[yo + r] = blocks(w, r * stride, 0, 0, nb, a, ao, d, dOff);
        }
    }

    static void inPlace4(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] d, int dOff, int ds,
                         float[] y, int yo, int ys) {
        for (int k = 0; k < 4; k += 2) inPlace2(w, stride, from, to, a, ao + k * as, as, d, dOff + k * ds, ds, y, yo + k * ys, ys);
    }

    /** Two inputs at a time, blocks alternating between two accumulators in the order of {@link #blocks}. */
    private static void inPlace2(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] d, int dOff, int ds,
                                 float[] y, int yo, int ys) {
        int nb = ds, pairs = nb & ~1;
        int a0 = ao, a1 = ao + as, d0 = dOff, d1 = dOff + ds;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector c0 = FloatVector.zero(F512), c1 = FloatVector.zero(F512), e0 = FloatVector.zero(F512), e1 = FloatVector.zero(F512);
            for (int b = 0; b < nb; b++) {
                int o = b * BLOCK, ai = b * 32;
                float dw = half(row, o);
                ShortVector wv = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 2, LE).convertShape(B2S, S512, 0);
                IntVector p0 = wv.mul(ShortVector.fromArray(S512, a, a0 + ai)).reinterpretAsInts();
                IntVector p1 = wv.mul(ShortVector.fromArray(S512, a, a1 + ai)).reinterpretAsInts();
                p0 = p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                p1 = p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                FloatVector f0 = (FloatVector) p0.convert(I2F, 0), f1 = (FloatVector) p1.convert(I2F, 0);
                if ((b & 1) == 0 || b >= pairs) {
                    c0 = f0.fma(FloatVector.broadcast(F512, dw * d[d0 + b]), c0);
                    c1 = f1.fma(FloatVector.broadcast(F512, dw * d[d1 + b]), c1);
                } else {
                    e0 = f0.fma(FloatVector.broadcast(F512, dw * d[d0 + b]), e0);
                    e1 = f1.fma(FloatVector.broadcast(F512, dw * d[d1 + b]), e1);
                }
            }
            y[yo + r] = c0.add(e0).reduceLanes(ADD);
            y[yo + ys + r] = c1.add(e1).reduceLanes(ADD);
        }
    }

    static void packed1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] dBiased, float[] d, int dOff,
                        float[] y, int yo, int nb, int steps) {
        int groups = nb >> 4, tailAt = groups * GROUP_BYTES, offset = steps * 16384;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector acc = FloatVector.zero(F512);
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                IntVector all = IntVector.zero(I512), hi = IntVector.zero(I512);
                for (int j = 0; j < steps; j += 2) {
                    int oj = o + 32 + j * 32, aj = ai + j * 32;
                    ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj, LE).convertShape(B2S, S512, 0);
                    ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj + 32, LE).convertShape(B2S, S512, 0);
                    IntVector p = w0.mul(ShortVector.fromArray(S512, a, aj)).add(w1.mul(ShortVector.fromArray(S512, a, aj + 32)))
                            .reinterpretAsInts().lanewise(XOR, 0x8000);
                    all = all.add(p);
                    hi = hi.add(p.lanewise(ASHR, 16));
                }
                IntVector sum = all.sub(hi.lanewise(LSHL, 16)).add(hi).sub(offset);
                IntVector sc = (IntVector) ShortVector.fromMemorySegment(S256, row, o, LE).convertShape(S2I, I512, 0);
                FloatVector s = sc.lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(FloatVector.fromArray(F512, dBiased, dOff + g * 16));
                acc = ((FloatVector) sum.convert(I2F, 0)).fma(s, acc);
            }
            float t = groups * 16 < nb ? blocks(w, r * stride, tailAt, groups * 16, nb, a, ao, d, dOff) : 0f;
            y[yo + r] = acc.reduceLanes(ADD) + t;
        }
    }

    /** {@link #packed1} on four rows at a time, row i of each quarter of {@code [from, to)} (see {@link MatrixKernel#rows1}); the same sums in the same order. */
    static void quarters1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] dBiased, float[] d, int dOff,
                          float[] y, int yo, int nb, int steps) {
        int q = (to - from) / 4, groups = nb >> 4, tailAt = groups * GROUP_BYTES, offset = steps * 16384;
        for (int i = 0; i < q; i++) {
            int r = from + i;
            MemorySegment ra = w.asSlice(r * stride, stride), rb = w.asSlice((r + q) * stride, stride);
            MemorySegment rc = w.asSlice((r + 2 * q) * stride, stride), rd = w.asSlice((r + 3 * q) * stride, stride);
            FloatVector ca = FloatVector.zero(F512), cb = ca, cc = ca, cd = ca;
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                IntVector alla = IntVector.zero(I512), hia = alla, allb = alla, hib = alla, allc = alla, hic = alla, alld = alla, hid = alla;
                for (int j = 0; j < steps; j += 2) {
                    int oj = o + 32 + j * 32, aj = ai + j * 32;
                    ShortVector x0 = ShortVector.fromArray(S512, a, aj), x1 = ShortVector.fromArray(S512, a, aj + 32);
                    ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B256, ra, oj, LE).convertShape(B2S, S512, 0);
                    ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B256, ra, oj + 32, LE).convertShape(B2S, S512, 0);
                    IntVector p = w0.mul(x0).add(w1.mul(x1)).reinterpretAsInts().lanewise(XOR, 0x8000);
                    alla = alla.add(p);
                    hia = hia.add(p.lanewise(ASHR, 16));
                    w0 = (ShortVector) ByteVector.fromMemorySegment(B256, rb, oj, LE).convertShape(B2S, S512, 0);
                    w1 = (ShortVector) ByteVector.fromMemorySegment(B256, rb, oj + 32, LE).convertShape(B2S, S512, 0);
                    p = w0.mul(x0).add(w1.mul(x1)).reinterpretAsInts().lanewise(XOR, 0x8000);
                    allb = allb.add(p);
                    hib = hib.add(p.lanewise(ASHR, 16));
                    w0 = (ShortVector) ByteVector.fromMemorySegment(B256, rc, oj, LE).convertShape(B2S, S512, 0);
                    w1 = (ShortVector) ByteVector.fromMemorySegment(B256, rc, oj + 32, LE).convertShape(B2S, S512, 0);
                    p = w0.mul(x0).add(w1.mul(x1)).reinterpretAsInts().lanewise(XOR, 0x8000);
                    allc = allc.add(p);
                    hic = hic.add(p.lanewise(ASHR, 16));
                    w0 = (ShortVector) ByteVector.fromMemorySegment(B256, rd, oj, LE).convertShape(B2S, S512, 0);
                    w1 = (ShortVector) ByteVector.fromMemorySegment(B256, rd, oj + 32, LE).convertShape(B2S, S512, 0);
                    p = w0.mul(x0).add(w1.mul(x1)).reinterpretAsInts().lanewise(XOR, 0x8000);
                    alld = alld.add(p);
                    hid = hid.add(p.lanewise(ASHR, 16));
                }
                FloatVector dx = FloatVector.fromArray(F512, dBiased, dOff + g * 16);
                ca = ((FloatVector) alla.sub(hia.lanewise(LSHL, 16)).add(hia).sub(offset).convert(I2F, 0)).fma(((IntVector) ShortVector.fromMemorySegment(S256, ra, o, LE)
                        .convertShape(S2I, I512, 0)).lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(dx), ca);
                cb = ((FloatVector) allb.sub(hib.lanewise(LSHL, 16)).add(hib).sub(offset).convert(I2F, 0)).fma(((IntVector) ShortVector.fromMemorySegment(S256, rb, o, LE)
                        .convertShape(S2I, I512, 0)).lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(dx), cb);
                cc = ((FloatVector) allc.sub(hic.lanewise(LSHL, 16)).add(hic).sub(offset).convert(I2F, 0)).fma(((IntVector) ShortVector.fromMemorySegment(S256, rc, o, LE)
                        .convertShape(S2I, I512, 0)).lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(dx), cc);
                cd = ((FloatVector) alld.sub(hid.lanewise(LSHL, 16)).add(hid).sub(offset).convert(I2F, 0)).fma(((IntVector) ShortVector.fromMemorySegment(S256, rd, o, LE)
                        .convertShape(S2I, I512, 0)).lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats().mul(dx), cd);
            }
            boolean tail = groups * 16 < nb;
            y[yo + r] = ca.reduceLanes(ADD) + (tail ? blocks(w, r * stride, tailAt, groups * 16, nb, a, ao, d, dOff) : 0f);
            y[yo + r + q] = cb.reduceLanes(ADD) + (tail ? blocks(w, (r + q) * stride, tailAt, groups * 16, nb, a, ao, d, dOff) : 0f);
            y[yo + r + 2 * q] = cc.reduceLanes(ADD) + (tail ? blocks(w, (r + 2 * q) * stride, tailAt, groups * 16, nb, a, ao, d, dOff) : 0f);
            y[yo + r + 3 * q] = cd.reduceLanes(ADD) + (tail ? blocks(w, (r + 3 * q) * stride, tailAt, groups * 16, nb, a, ao, d, dOff) : 0f);
        }
        packed1(w, stride, from + 4 * q, to, a, ao, dBiased, d, dOff, y, yo, nb, steps);
    }

    static void packed4(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] dBiased, float[] d, int dOff, int ds,
                        float[] y, int yo, int ys, int steps) {
        int nb = ds, groups = nb >> 4, tailAt = groups * GROUP_BYTES, offset = steps * 16384;
        int a1 = as, a2 = 2 * as, a3 = 3 * as;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector c0 = FloatVector.zero(F512), c1 = FloatVector.zero(F512), c2 = FloatVector.zero(F512), c3 = FloatVector.zero(F512);
            for (int g = 0; g < groups; g++) {
                int o = g * GROUP_BYTES, ai = ao + g * 512;
                IntVector all0 = IntVector.zero(I512), hi0 = IntVector.zero(I512), all1 = IntVector.zero(I512), hi1 = IntVector.zero(I512);
                IntVector all2 = IntVector.zero(I512), hi2 = IntVector.zero(I512), all3 = IntVector.zero(I512), hi3 = IntVector.zero(I512);
                for (int j = 0; j < steps; j += 2) {
                    int oj = o + 32 + j * 32, aj = ai + j * 32;
                    ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj, LE).convertShape(B2S, S512, 0);
                    ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B256, row, oj + 32, LE).convertShape(B2S, S512, 0);
                    IntVector p0 = w0.mul(ShortVector.fromArray(S512, a, aj)).add(w1.mul(ShortVector.fromArray(S512, a, aj + 32)))
                            .reinterpretAsInts().lanewise(XOR, 0x8000);
                    IntVector p1 = w0.mul(ShortVector.fromArray(S512, a, aj + a1)).add(w1.mul(ShortVector.fromArray(S512, a, aj + a1 + 32)))
                            .reinterpretAsInts().lanewise(XOR, 0x8000);
                    IntVector p2 = w0.mul(ShortVector.fromArray(S512, a, aj + a2)).add(w1.mul(ShortVector.fromArray(S512, a, aj + a2 + 32)))
                            .reinterpretAsInts().lanewise(XOR, 0x8000);
                    IntVector p3 = w0.mul(ShortVector.fromArray(S512, a, aj + a3)).add(w1.mul(ShortVector.fromArray(S512, a, aj + a3 + 32)))
                            .reinterpretAsInts().lanewise(XOR, 0x8000);
                    all0 = all0.add(p0);
                    hi0 = hi0.add(p0.lanewise(ASHR, 16));
                    all1 = all1.add(p1);
                    hi1 = hi1.add(p1.lanewise(ASHR, 16));
                    all2 = all2.add(p2);
                    hi2 = hi2.add(p2.lanewise(ASHR, 16));
                    all3 = all3.add(p3);
                    hi3 = hi3.add(p3.lanewise(ASHR, 16));
                }
                IntVector sc = (IntVector) ShortVector.fromMemorySegment(S256, row, o, LE).convertShape(S2I, I512, 0);
                FloatVector s = sc.lanewise(LSHL, 13).and(HALF_BITS).reinterpretAsFloats();
                int di = dOff + g * 16;
                c0 = ((FloatVector) all0.sub(hi0.lanewise(LSHL, 16)).add(hi0).sub(offset).convert(I2F, 0))
                        .fma(s.mul(FloatVector.fromArray(F512, dBiased, di)), c0);
                c1 = ((FloatVector) all1.sub(hi1.lanewise(LSHL, 16)).add(hi1).sub(offset).convert(I2F, 0))
                        .fma(s.mul(FloatVector.fromArray(F512, dBiased, di + ds)), c1);
                c2 = ((FloatVector) all2.sub(hi2.lanewise(LSHL, 16)).add(hi2).sub(offset).convert(I2F, 0))
                        .fma(s.mul(FloatVector.fromArray(F512, dBiased, di + 2 * ds)), c2);
                c3 = ((FloatVector) all3.sub(hi3.lanewise(LSHL, 16)).add(hi3).sub(offset).convert(I2F, 0))
                        .fma(s.mul(FloatVector.fromArray(F512, dBiased, di + 3 * ds)), c3);
            }
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            if (groups * 16 < nb) {
                t0 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao, d, dOff);
                t1 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao + as, d, dOff + ds);
                t2 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao + 2 * as, d, dOff + 2 * ds);
                t3 = blocks(w, r * stride, tailAt, groups * 16, nb, a, ao + 3 * as, d, dOff + 3 * ds);
            }
            y[yo + r] = c0.reduceLanes(ADD) + t0;
            y[yo + ys + r] = c1.reduceLanes(ADD) + t1;
            y[yo + 2 * ys + r] = c2.reduceLanes(ADD) + t2;
            y[yo + 3 * ys + r] = c3.reduceLanes(ADD) + t3;
        }
    }
}
