package dev.hearth.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.hearth.engine.tensor.Simd.B128;
import static dev.hearth.engine.tensor.Simd.B256;
import static dev.hearth.engine.tensor.Simd.F512;
import static dev.hearth.engine.tensor.Simd.HALF;
import static dev.hearth.engine.tensor.Simd.HIGH_8;
import static dev.hearth.engine.tensor.Simd.I512;
import static dev.hearth.engine.tensor.Simd.LE;
import static dev.hearth.engine.tensor.Simd.S512;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * Q6_K weights (super-blocks of 256: 6-bit values q as 4 low bits in {@code ql[128]} and 2 high bits in
 * {@code qh[64]}, sixteen int8 scales, fp16 d; value {@code d*sc*(q-32)} per sub-block of 16) times Q8_K input:
 * {@code d*d_x*sum(sc*sum((q-32)*x))} per super-block.
 *
 * <p>GGUF layout (210 bytes): per half of 128 values, 32 lanes each decode four values (one per quarter) from
 * {@code ql[l]}, {@code ql[l+32]} and {@code qh[l]}; each quarter's products are pair-summed into 16 ints whose
 * first 8 belong to one sub-block and last 8 to the next, and accumulated with those two scales.
 *
 * <p>Repacked layout (210 bytes per super-block: 4 steps of 32 low-nibble bytes, 2 steps of 32 high-bit bytes, the
 * 16 scales, d). Int16 lane {@code 2i+t} accumulates elements {@code 8t..8t+7} of sub-block i: nibble step j holds
 * elements 2j (low nibble) and 2j+1 (high), high-bit step k holds elements 4k..4k+3 (2 bits each, lowest first).
 * Each lane's 8 values of {@code (q-32)*x} sum to at most 8*32*127 in magnitude, so everything accumulates in int16
 * (modulo 2^16, exact once the offset of 32 is taken out), then widens once per super-block. The input coefficients
 * that make this work without masks are described at {@link Activations#q6_KLanes()}.
 */
final class Q6_KKernel implements MatrixKernel {
    static final int BLOCK = 210;
    private final MemorySegment data;
    private final int rows, cols;
    private final long stride;
    private final boolean repacked;
    private final int steps = 4;

    Q6_KKernel(MemorySegment data, int rows, int cols, long stride, boolean repacked) {
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
        if (repacked) x.q6_KLanes();
        else x.q8_KNatural();
    }

    @Override
    public MatrixKernel repack(Arena arena) {
        Repacker.Rows packed = Repacker.repack(data, stride, rows, cols / 256, BLOCK, 1, BLOCK, arena, (in, out, sb) -> {
            int bo = sb * BLOCK;
            for (int lane = 0; lane < 32; lane++) {
                int base = (lane >> 1) * 16 + (lane & 1) * 8; // element e of this lane is value base + e
                for (int j = 0; j < 4; j++) {
                    int lo = quant(in, bo, base + 2 * j) & 0xF, hi = quant(in, bo, base + 2 * j + 1) & 0xF;
                    out[bo + j * 32 + lane] = (byte) (lo | hi << 4);
                }
                for (int k = 0; k < 2; k++) {
                    int v = 0;
                    for (int m = 0; m < 4; m++) v |= (quant(in, bo, base + 4 * k + m) >> 4) << (2 * m);
                    out[bo + 128 + k * 32 + lane] = (byte) v;
                }
            }
            System.arraycopy(in, bo + 192, out, bo + 192, 18); // scales (value i/16 uses scale i/16), d
            return true;
        });
        return new Q6_KKernel(packed.data(), rows, cols, packed.stride(), true);
    }

    /** The 6-bit value {@code v} (0..255) of the GGUF super-block at {@code bo}. */
    static int quant(byte[] b, int bo, int v) {
        int n = v >> 7, quarter = (v >> 5) & 3, l = v & 31;
        int ql = b[bo + 64 * n + l + 32 * (quarter & 1)] & 0xFF;
        int qh = b[bo + 128 + 32 * n + l] & 0xFF;
        return (quarter < 2 ? ql & 0xF : ql >> 4) | ((qh >> (2 * quarter)) & 3) << 4;
    }

    @Override
    public void rows1(Activations x, int b, float[] y, int from, int to) {
        int nsb = cols / 256;
        if (repacked) {
            packed1(data, stride, from, to, x.q6_KLanes(), b * nsb * Activations.Q6_K_LANES, x.q8_KScale(), b * nsb, y, b * rows, nsb, steps);
        } else {
            inPlace1(data, stride, from, to, x.q8_KNatural(), b * cols, x.q8_KScale(), b * nsb, y, b * rows, nsb);
        }
    }

    @Override
    public void rows4(Activations x, int b, float[] y, int from, int to) {
        int nsb = cols / 256;
        if (repacked) {
            packed4(data, stride, from, to, x.q6_KLanes(), b * nsb * Activations.Q6_K_LANES, nsb * Activations.Q6_K_LANES, x.q8_KScale(),
                    b * nsb, y, b * rows, rows, nsb, steps);
        } else {
            inPlace4(data, stride, from, to, x.q8_KNatural(), b * cols, cols, x.q8_KScale(), b * nsb, y, b * rows, rows, nsb);
        }
    }

    static void inPlace1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] d, int dOff, float[] y, int yo, int nsb) {
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector acc0 = FloatVector.zero(F512), acc1 = FloatVector.zero(F512);
            for (int sb = 0; sb < nsb; sb++) {
                int o = sb * BLOCK;
                float dd = Float.float16ToFloat(row.get(HALF, o + 208)) * d[dOff + sb];
                for (int n = 0; n < 2; n++) {
                    int ql = o + 64 * n, sc = o + 192 + 8 * n, ai = ao + sb * 256 + 128 * n;
                    ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B256, row, ql, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B256, row, ql + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 128 + 32 * n, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    IntVector p;
                    p = l0.and((short) 0xF).or(h.lanewise(LSHL, 4).and((short) 0x30)).sub((short) 32).mul(ShortVector.fromArray(S512, a, ai)).reinterpretAsInts();
                    acc0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 1), HIGH_8).mul(dd), acc0);
                    p = l1.and((short) 0xF).or(h.lanewise(LSHL, 2).and((short) 0x30)).sub((short) 32).mul(ShortVector.fromArray(S512, a, ai + 32)).reinterpretAsInts();
                    acc1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc + 2)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 2 + 1), HIGH_8).mul(dd), acc1);
                    p = l0.lanewise(LSHR, 4).or(h.and((short) 0x30)).sub((short) 32).mul(ShortVector.fromArray(S512, a, ai + 64)).reinterpretAsInts();
                    acc0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc + 4)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 4 + 1), HIGH_8).mul(dd), acc0);
                    p = l1.lanewise(LSHR, 4).or(h.lanewise(LSHR, 2).and((short) 0x30)).sub((short) 32).mul(ShortVector.fromArray(S512, a, ai + 96)).reinterpretAsInts();
                    acc1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc + 6)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 6 + 1), HIGH_8).mul(dd), acc1);
                }
            }
            y[yo + r] = acc0.add(acc1).reduceLanes(ADD);
        }
    }

    /** Four inputs, each half super-block decoded once; sums in the order of {@link #inPlace1}. */
    static void inPlace4(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] d, int dOff, float[] y, int yo, int ys,
                         int nsb) {
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector x0 = FloatVector.zero(F512), x1 = FloatVector.zero(F512), x2 = FloatVector.zero(F512), x3 = FloatVector.zero(F512);
            FloatVector z0 = FloatVector.zero(F512), z1 = FloatVector.zero(F512), z2 = FloatVector.zero(F512), z3 = FloatVector.zero(F512);
            for (int sb = 0; sb < nsb; sb++) {
                int o = sb * BLOCK;
                float wd = Float.float16ToFloat(row.get(HALF, o + 208));
                float dd0 = wd * d[dOff + sb], dd1 = wd * d[dOff + nsb + sb], dd2 = wd * d[dOff + 2 * nsb + sb], dd3 = wd * d[dOff + 3 * nsb + sb];
                for (int n = 0; n < 2; n++) {
                    int ql = o + 64 * n, sc = o + 192 + 8 * n, ai = ao + sb * 256 + 128 * n;
                    ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B256, row, ql, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B256, row, ql + 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 128 + 32 * n, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    IntVector p;
                    ShortVector q1 = l0.and((short) 0xF).or(h.lanewise(LSHL, 4).and((short) 0x30)).sub((short) 32);
                    ShortVector q2 = l1.and((short) 0xF).or(h.lanewise(LSHL, 2).and((short) 0x30)).sub((short) 32);
                    ShortVector q3 = l0.lanewise(LSHR, 4).or(h.and((short) 0x30)).sub((short) 32);
                    ShortVector q4 = l1.lanewise(LSHR, 4).or(h.lanewise(LSHR, 2).and((short) 0x30)).sub((short) 32);
                    FloatVector s1 = FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 1), HIGH_8), s2 = FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc + 2)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 2 + 1), HIGH_8), s3 = FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc + 4)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 4 + 1), HIGH_8), s4 = FloatVector.broadcast(F512, row.get(ValueLayout.JAVA_BYTE, sc + 6)).blend(row.get(ValueLayout.JAVA_BYTE, sc + 6 + 1), HIGH_8);
                    p = q1.mul(ShortVector.fromArray(S512, a, ai)).reinterpretAsInts();
                    x0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s1.mul(dd0), x0);
                    p = q2.mul(ShortVector.fromArray(S512, a, ai + 32)).reinterpretAsInts();
                    z0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s2.mul(dd0), z0);
                    p = q3.mul(ShortVector.fromArray(S512, a, ai + 64)).reinterpretAsInts();
                    x0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s3.mul(dd0), x0);
                    p = q4.mul(ShortVector.fromArray(S512, a, ai + 96)).reinterpretAsInts();
                    z0 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s4.mul(dd0), z0);
                    p = q1.mul(ShortVector.fromArray(S512, a, ai + as)).reinterpretAsInts();
                    x1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s1.mul(dd1), x1);
                    p = q2.mul(ShortVector.fromArray(S512, a, ai + as + 32)).reinterpretAsInts();
                    z1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s2.mul(dd1), z1);
                    p = q3.mul(ShortVector.fromArray(S512, a, ai + as + 64)).reinterpretAsInts();
                    x1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s3.mul(dd1), x1);
                    p = q4.mul(ShortVector.fromArray(S512, a, ai + as + 96)).reinterpretAsInts();
                    z1 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s4.mul(dd1), z1);
                    p = q1.mul(ShortVector.fromArray(S512, a, ai + 2 * as)).reinterpretAsInts();
                    x2 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s1.mul(dd2), x2);
                    p = q2.mul(ShortVector.fromArray(S512, a, ai + 2 * as + 32)).reinterpretAsInts();
                    z2 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s2.mul(dd2), z2);
                    p = q3.mul(ShortVector.fromArray(S512, a, ai + 2 * as + 64)).reinterpretAsInts();
                    x2 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s3.mul(dd2), x2);
                    p = q4.mul(ShortVector.fromArray(S512, a, ai + 2 * as + 96)).reinterpretAsInts();
                    z2 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s4.mul(dd2), z2);
                    p = q1.mul(ShortVector.fromArray(S512, a, ai + 3 * as)).reinterpretAsInts();
                    x3 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s1.mul(dd3), x3);
                    p = q2.mul(ShortVector.fromArray(S512, a, ai + 3 * as + 32)).reinterpretAsInts();
                    z3 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s2.mul(dd3), z3);
                    p = q3.mul(ShortVector.fromArray(S512, a, ai + 3 * as + 64)).reinterpretAsInts();
                    x3 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s3.mul(dd3), x3);
                    p = q4.mul(ShortVector.fromArray(S512, a, ai + 3 * as + 96)).reinterpretAsInts();
                    z3 = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0)).fma(s4.mul(dd3), z3);
                }
            }
            y[yo + r] = x0.add(z0).reduceLanes(ADD);
            y[yo + ys + r] = x1.add(z1).reduceLanes(ADD);
            y[yo + 2 * ys + r] = x2.add(z2).reduceLanes(ADD);
            y[yo + 3 * ys + r] = x3.add(z3).reduceLanes(ADD);
        }
    }

    static void packed1(MemorySegment w, long stride, int from, int to, short[] a, int ao, float[] d, int dOff, float[] y, int yo, int nsb, int steps) {
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector acc = FloatVector.zero(F512);
            for (int sb = 0; sb < nsb; sb++) {
                int o = sb * BLOCK, ai = ao + sb * Activations.Q6_K_LANES;
                ShortVector s0 = ShortVector.zero(S512), s1 = ShortVector.zero(S512);
                for (int j = 0; j < steps; j++) {
                    int aj = ai + j * 64;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + j * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    s0 = s0.add(v.mul(ShortVector.fromArray(S512, a, aj))).add(v.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, aj + 32)));
                }
                for (int k = 0; k < 2; k++) {
                    int ak = ai + 256 + k * 128;
                    ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 128 + k * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    s1 = s1.add(h.mul(ShortVector.fromArray(S512, a, ak))).add(h.lanewise(LSHR, 2).mul(ShortVector.fromArray(S512, a, ak + 32)))
                            .add(h.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, a, ak + 64))).add(h.lanewise(LSHR, 6).mul(ShortVector.fromArray(S512, a, ak + 96)));
                }
                IntVector p = s0.add(s1).sub(ShortVector.fromArray(S512, a, ai + 512)).reinterpretAsInts();
                IntVector sum = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 192, LE).convertShape(B2I, I512, 0);
                float dd = Float.float16ToFloat(row.get(HALF, o + 208)) * d[dOff + sb];
                acc = ((FloatVector) sum.mul(sc).convert(I2F, 0)).fma(FloatVector.broadcast(F512, dd), acc);
            }
            y[yo + r] = acc.reduceLanes(ADD);
        }
    }

    static void packed4(MemorySegment w, long stride, int from, int to, short[] a, int ao, int as, float[] d, int dOff, float[] y, int yo, int ys,
                        int nsb, int steps) {
        int a1 = as, a2 = 2 * as, a3 = 3 * as;
        for (int r = from; r < to; r++) {
            MemorySegment row = w.asSlice(r * stride, stride);
            FloatVector c0 = FloatVector.zero(F512), c1 = FloatVector.zero(F512), c2 = FloatVector.zero(F512), c3 = FloatVector.zero(F512);
            for (int sb = 0; sb < nsb; sb++) {
                int o = sb * BLOCK, ai = ao + sb * Activations.Q6_K_LANES;
                ShortVector s0 = ShortVector.zero(S512), s1 = ShortVector.zero(S512), s2 = ShortVector.zero(S512), s3 = ShortVector.zero(S512);
                for (int j = 0; j < steps; j++) {
                    int aj = ai + j * 64;
                    ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + j * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector hv = v.lanewise(LSHR, 4);
                    s0 = s0.add(v.mul(ShortVector.fromArray(S512, a, aj))).add(hv.mul(ShortVector.fromArray(S512, a, aj + 32)));
                    s1 = s1.add(v.mul(ShortVector.fromArray(S512, a, aj + a1))).add(hv.mul(ShortVector.fromArray(S512, a, aj + a1 + 32)));
                    s2 = s2.add(v.mul(ShortVector.fromArray(S512, a, aj + a2))).add(hv.mul(ShortVector.fromArray(S512, a, aj + a2 + 32)));
                    s3 = s3.add(v.mul(ShortVector.fromArray(S512, a, aj + a3))).add(hv.mul(ShortVector.fromArray(S512, a, aj + a3 + 32)));
                }
                for (int k = 0; k < 2; k++) {
                    int ak = ai + 256 + k * 128;
                    ShortVector h0 = (ShortVector) ByteVector.fromMemorySegment(B256, row, o + 128 + k * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    ShortVector h1 = h0.lanewise(LSHR, 2), h2 = h0.lanewise(LSHR, 4), h3 = h0.lanewise(LSHR, 6);
                    s0 = s0.add(h0.mul(ShortVector.fromArray(S512, a, ak))).add(h1.mul(ShortVector.fromArray(S512, a, ak + 32)))
                            .add(h2.mul(ShortVector.fromArray(S512, a, ak + 64))).add(h3.mul(ShortVector.fromArray(S512, a, ak + 96)));
                    s1 = s1.add(h0.mul(ShortVector.fromArray(S512, a, ak + a1))).add(h1.mul(ShortVector.fromArray(S512, a, ak + a1 + 32)))
                            .add(h2.mul(ShortVector.fromArray(S512, a, ak + a1 + 64))).add(h3.mul(ShortVector.fromArray(S512, a, ak + a1 + 96)));
                    s2 = s2.add(h0.mul(ShortVector.fromArray(S512, a, ak + a2))).add(h1.mul(ShortVector.fromArray(S512, a, ak + a2 + 32)))
                            .add(h2.mul(ShortVector.fromArray(S512, a, ak + a2 + 64))).add(h3.mul(ShortVector.fromArray(S512, a, ak + a2 + 96)));
                    s3 = s3.add(h0.mul(ShortVector.fromArray(S512, a, ak + a3))).add(h1.mul(ShortVector.fromArray(S512, a, ak + a3 + 32)))
                            .add(h2.mul(ShortVector.fromArray(S512, a, ak + a3 + 64))).add(h3.mul(ShortVector.fromArray(S512, a, ak + a3 + 96)));
                }
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(B128, row, o + 192, LE).convertShape(B2I, I512, 0);
                float wd = Float.float16ToFloat(row.get(HALF, o + 208));
                IntVector p0 = s0.sub(ShortVector.fromArray(S512, a, ai + 512)).reinterpretAsInts();
                IntVector p1 = s1.sub(ShortVector.fromArray(S512, a, ai + a1 + 512)).reinterpretAsInts();
                IntVector p2 = s2.sub(ShortVector.fromArray(S512, a, ai + a2 + 512)).reinterpretAsInts();
                IntVector p3 = s3.sub(ShortVector.fromArray(S512, a, ai + a3 + 512)).reinterpretAsInts();
                c0 = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wd * d[dOff + sb]), c0);
                c1 = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wd * d[dOff + nsb + sb]), c1);
                c2 = ((FloatVector) p2.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p2.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wd * d[dOff + 2 * nsb + sb]), c2);
                c3 = ((FloatVector) p3.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p3.lanewise(ASHR, 16)).mul(sc).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F512, wd * d[dOff + 3 * nsb + sb]), c3);
            }
            y[yo + r] = c0.reduceLanes(ADD);
            y[yo + ys + r] = c1.reduceLanes(ADD);
            y[yo + 2 * ys + r] = c2.reduceLanes(ADD);
            y[yo + 3 * ys + r] = c3.reduceLanes(ADD);
        }
    }
}
