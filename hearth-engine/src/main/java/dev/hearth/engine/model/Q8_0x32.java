package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;
import dev.hearth.engine.tensor.OffHeap;
import dev.hearth.engine.tensor.WorkerPool;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * A Q8_0 weight repacked at load so that one lane is one weight row, for llama.cpp's Q8_0 order: per output 8 float
 * lanes, lane k accumulating {@code fma(d_w·d_x, Σ products 4k..4k+3 of the block, acc[k])} block after block, then
 * {@link GgmlDots#hsum8}. Lane k of every block depends only on lane k of the blocks before it, so the 8 lanes are
 * 8 independent chains: the kernels run them four at a time (one input row) or one at a time (four input rows),
 * each over 32 rows side by side, and the per-block integer sums need no horizontal adds (two products fit an int16:
 * |2·128·127| &lt; 2^15; four are summed in int32).
 *
 * <p>Layout: for each lane k a region holding, group of 32 rows after group, the group's plane of every block's values
 * 4k..4k+3, value by value, 32 rows per value; then the fp16 scales of every group and block (32 per block). A pass
 * over four lanes thus reads four long runs of memory, each continuing from one group to the next: the hardware
 * prefetcher keeps about as many lines in flight per run, so on short rows (896 values: 3.5 KiB planes) this streams a
 * third faster than planes side by side in each group, where each run ended after a plane. Rows past the last whole
 * group stay with the GGUF layout. Q5_0 sums in the same order: its values, widened to
 * int8 at load, take this layout too (more bytes to stream than its 5 bits, but no bit unpacking per product).
 */
final class Q8_0x32 extends Repacked {
    private static final int ROWS = GROUP_ROWS, LANES = 8;
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256, B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, LE);
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    /** Bytes of one group's copy as the repack builds it (scales, then the 8 lane planes) before spreading it out. */
    private final long groupBytes;
    /**
     * Bytes between lane regions beyond the planes they hold: with regions a power of two apart (2 MiB for 2048x8192),
     * the four runs a pass reads would fall in the same cache sets.
     */
    static final int PAD = 65 * 64;
    /** Bytes of one group's lane plane, of its scales, and from one lane's region (that plane of every group) to the next. */
    private final int planeBytes, scaleBytes, region;
    /** Lanes 0-3 and 4-7 (four regions each), the scales of every group. */
    private final MemorySegment lanes0, lanes4, scales;

    private Q8_0x32(MemorySegment data, int groups, int blocks) {
        super(data, groups, blocks);
        this.planeBytes = blocks * 4 * ROWS;
        this.scaleBytes = blocks * 2 * ROWS;
        this.groupBytes = groupBytes(blocks);
        this.region = groups * planeBytes + PAD;
        this.lanes0 = data.asSlice(0, 4L * region);
        this.lanes4 = data.asSlice(4L * region, 4L * region);
        this.scales = data.asSlice(8L * region, (long) groups * scaleBytes);
    }

    /** Whether a matrix of this shape fits the layout's int offsets (four lane regions under 2 GiB). */
    static boolean fits(int rows, int cols) {
        return 4L * ((long) (rows / ROWS) * (cols / 32) * 4 * ROWS + PAD) <= Integer.MAX_VALUE;
    }

    private static long groupBytes(int blocks) {
        return (long) blocks * 34 * ROWS;
    }

    /** Repacks the whole groups of 32 rows of a Q8_0 matrix (GGUF layout, 34-byte blocks), on the shared pool. */
    static Q8_0x32 of(GgmlType type, MemorySegment gguf, int rows, int cols) {
        if (type != GgmlType.Q8_0 && type != GgmlType.Q5_0) throw new IllegalArgumentException(type.name());
        int groups = rows / ROWS, blocks = cols / 32;
        Q8_0x32 m = new Q8_0x32(OffHeap.allocate(groups * groupBytes(blocks) + 8L * PAD, Arena.ofAuto()), groups, blocks);
        WorkerPool.shared().forEachRange(groups, 1, m, gguf, type, Q8_0x32::repack);
        return m;
    }

    /** Q5_0 rows (fp16 d, 32 fifth bits, 16 bytes of nibbles) as Q8_0 blocks of the same values {@code q − 16}. */
    private static void expandQ5_0(byte[] q5, byte[] q8, int blocks) {
        for (int b = 0; b < blocks; b++) {
            int in = b * 22, out = b * 34;
            q8[out] = q5[in];
            q8[out + 1] = q5[in + 1];
            int qh = (q5[in + 2] & 0xFF) | (q5[in + 3] & 0xFF) << 8 | (q5[in + 4] & 0xFF) << 16 | (q5[in + 5] & 0xFF) << 24;
            for (int j = 0; j < 16; j++) {
                int nibbles = q5[in + 6 + j] & 0xFF;
                q8[out + 2 + j] = (byte) (((nibbles & 0xF) | ((qh >>> j) & 1) << 4) - 16);
                q8[out + 18 + j] = (byte) (((nibbles >>> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16);
            }
        }
    }

    private void repack(MemorySegment gguf, GgmlType type, int from, int to) {
        int rowBytes = blocks * 34, srcRowBytes = blocks * type.typeSize;
        byte[] in = new byte[ROWS * rowBytes], group = new byte[Math.toIntExact(groupBytes)];
        byte[] src = type == GgmlType.Q8_0 ? null : new byte[srcRowBytes], row = new byte[rowBytes];
        for (int g = from; g < to; g++) {
            if (src == null) {
                MemorySegment.copy(gguf, ValueLayout.JAVA_BYTE, (long) g * ROWS * rowBytes, in, 0, in.length);
            } else {
                for (int r = 0; r < ROWS; r++) {
                    MemorySegment.copy(gguf, ValueLayout.JAVA_BYTE, ((long) g * ROWS + r) * srcRowBytes, src, 0, srcRowBytes);
                    expandQ5_0(src, row, blocks);
                    System.arraycopy(row, 0, in, r * rowBytes, rowBytes);
                }
            }
            for (int b = 0; b < blocks; b++) block(in, rowBytes, b, group);
            MemorySegment.copy(group, 0, scales, ValueLayout.JAVA_BYTE, (long) g * scaleBytes, scaleBytes);
            for (int k = 0; k < LANES; k++) {
                MemorySegment.copy(group, scaleBytes + k * planeBytes, data, ValueLayout.JAVA_BYTE, (long) k * region + (long) g * planeBytes, planeBytes);
            }
        }
    }

    /** Block b of the group's 32 rows ({@code in}, GGUF layout) into the group's layout (see {@link Repacked}). */
    private void block(byte[] in, int rowBytes, int b, byte[] group) {
        for (int r = 0; r < ROWS; r++) {
            group[b * 2 * ROWS + 2 * r] = in[r * rowBytes + b * 34];
            group[b * 2 * ROWS + 2 * r + 1] = in[r * rowBytes + b * 34 + 1];
        }
        planes(in, b * 34 + 2, rowBytes, group, scaleBytes, planeBytes, b);
    }

    /**
     * The 32 values at {@code at} of each of 32 rows ({@code rowBytes} apart in {@code in}) into block {@code b} of the
     * lane planes that start at {@code planes}: values 4k..4k+3 into plane k, 32 rows per value. Also Q6_Kx32's.
     */
    static void planes(byte[] in, int at, int rowBytes, byte[] group, int planes, int planeBytes, int b) {
        // values c·8.. of rows r..r+7: an 8x8 byte transpose in eight longs
        for (int c = 0; c < 4; c++) {
            for (int r = 0; r < ROWS; r += 8) {
                int from = at + r * rowBytes + c * 8;
                long x0 = (long) LONGS.get(in, from), x1 = (long) LONGS.get(in, from + rowBytes);
                long x2 = (long) LONGS.get(in, from + 2 * rowBytes), x3 = (long) LONGS.get(in, from + 3 * rowBytes);
                long x4 = (long) LONGS.get(in, from + 4 * rowBytes), x5 = (long) LONGS.get(in, from + 5 * rowBytes);
                long x6 = (long) LONGS.get(in, from + 6 * rowBytes), x7 = (long) LONGS.get(in, from + 7 * rowBytes);
                long t;
                t = ((x0 >>> 8) ^ x1) & 0x00FF00FF00FF00FFL; x1 ^= t; x0 ^= t << 8;
                t = ((x2 >>> 8) ^ x3) & 0x00FF00FF00FF00FFL; x3 ^= t; x2 ^= t << 8;
                t = ((x4 >>> 8) ^ x5) & 0x00FF00FF00FF00FFL; x5 ^= t; x4 ^= t << 8;
                t = ((x6 >>> 8) ^ x7) & 0x00FF00FF00FF00FFL; x7 ^= t; x6 ^= t << 8;
                t = ((x0 >>> 16) ^ x2) & 0x0000FFFF0000FFFFL; x2 ^= t; x0 ^= t << 16;
                t = ((x1 >>> 16) ^ x3) & 0x0000FFFF0000FFFFL; x3 ^= t; x1 ^= t << 16;
                t = ((x4 >>> 16) ^ x6) & 0x0000FFFF0000FFFFL; x6 ^= t; x4 ^= t << 16;
                t = ((x5 >>> 16) ^ x7) & 0x0000FFFF0000FFFFL; x7 ^= t; x5 ^= t << 16;
                t = ((x0 >>> 32) ^ x4) & 0xFFFFFFFFL; x4 ^= t; x0 ^= t << 32;
                t = ((x1 >>> 32) ^ x5) & 0xFFFFFFFFL; x5 ^= t; x1 ^= t << 32;
                t = ((x2 >>> 32) ^ x6) & 0xFFFFFFFFL; x6 ^= t; x2 ^= t << 32;
                t = ((x3 >>> 32) ^ x7) & 0xFFFFFFFFL; x7 ^= t; x3 ^= t << 32;
                // now x_j holds value c·8+j of the eight rows: values 4k..4k+3 go to plane k
                int out0 = planes + (2 * c) * planeBytes + b * 4 * ROWS + r, out1 = out0 + planeBytes;
                LONGS.set(group, out0, x0);
                LONGS.set(group, out0 + ROWS, x1);
                LONGS.set(group, out0 + 2 * ROWS, x2);
                LONGS.set(group, out0 + 3 * ROWS, x3);
                LONGS.set(group, out1, x4);
                LONGS.set(group, out1 + ROWS, x5);
                LONGS.set(group, out1 + 2 * ROWS, x6);
                LONGS.set(group, out1 + 3 * ROWS, x7);
            }
        }
    }

    @Override
    void groups(short[] xv, float[] xf, float[] xd, int[] xSums, int batch, int rows, float[] y, int gFrom, int gTo) {
        int cols = blocks * 32;
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < 2 * blocks * ROWS) scratch[0] = new float[2 * blocks * ROWS];
        if (scratch[1].length < 4 * LANES * ROWS) scratch[1] = new float[4 * LANES * ROWS];
        float[] dd = scratch[0], lanes = scratch[1]; // dd: one input row's d_w·d_x, then d_w
        int wd = blocks * ROWS, laneStride = LANES * ROWS;
        for (int g = gFrom; g < gTo; g++) {
            int i = 0, plane = g * planeBytes;
            halves(scales.asSlice((long) g * scaleBytes, scaleBytes), blocks, dd, wd);
            for (; i + 4 <= batch; i += 4) { // four input rows per pass: each weight vector converted once
                for (int k = 0; k < LANES; k++) {
                    lane4(k < 4 ? lanes0 : lanes4, (k & 3) * region + plane, k, xf, i * cols, cols, dd, wd, xd, i * blocks, lanes);
                }
                for (int t = 0; t < 4; t++) sum(lanes, t * laneStride, y, (i + t) * rows + g * ROWS);
            }
            for (; i < batch; i++) {
                times(dd, wd, blocks, xd, i * blocks, dd, 0);
                fourLanes(lanes0, plane, 0, xv, i * cols, dd, lanes);
                fourLanes(lanes4, plane, 4, xv, i * cols, dd, lanes);
                sum(lanes, 0, y, i * rows + g * ROWS);
            }
        }
    }

    /**
     * The fp16 d_w of the group's blocks (32 per block, at its start) as floats. The Vector API has no fp16 conversion:
     * exponent and mantissa shifted into float position are the value times 2^-112 (subnormals included); the
     * multiply by 2^112 is exact.
     */
    static void halves(MemorySegment w, int blocks, float[] out, int off) {
        for (int b = 0; b < blocks; b++) {
            ShortVector h = ShortVector.fromMemorySegment(S512, w, b * 2L * ROWS, LE);
            IntVector h0 = (IntVector) h.convertShape(S2I, I512, 0), h1 = (IntVector) h.convertShape(S2I, I512, 1);
            h0.and(0x7FFF).lanewise(LSHL, 13).or(h0.and(0x8000).lanewise(LSHL, 16))
                    .reinterpretAsFloats().mul(0x1p112f).intoArray(out, off + b * ROWS);
            h1.and(0x7FFF).lanewise(LSHL, 13).or(h1.and(0x8000).lanewise(LSHL, 16))
                    .reinterpretAsFloats().mul(0x1p112f).intoArray(out, off + b * ROWS + 16);
        }
    }

    /** {@code dd[ddOff + b·32 + r] = wd[wdOff + b·32 + r]·xd[dOff + b]}: d_w·d_x for every block b and row r. */
    static void times(float[] wd, int wdOff, int blocks, float[] xd, int dOff, float[] dd, int ddOff) {
        for (int b = 0; b < blocks; b++) {
            float dx = xd[dOff + b];
            FloatVector.fromArray(F512, wd, wdOff + b * ROWS).mul(dx).intoArray(dd, ddOff + b * ROWS);
            FloatVector.fromArray(F512, wd, wdOff + b * ROWS + 16).mul(dx).intoArray(dd, ddOff + b * ROWS + 16);
        }
    }

    /**
     * Lanes k0..k0+3 of all 32 rows: {@code acc = fma(dd, Σ products 4k..4k+3, acc)} over the blocks, into
     * {@code lanes[k·32..]}, from lane k0's plane of the group at {@code planes} in {@code w} and the next lanes' one
     * region further each. Four lanes per pass share each block's d_w·d_x (eight would make a method the JIT's first
     * tier cannot compile).
     */
    private void fourLanes(MemorySegment w, int planes, int k0, short[] xv, int xo, float[] dd, float[] lanes) {
        FloatVector a00 = FloatVector.zero(F512), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int b = 0; b < blocks; b++) {
            FloatVector d0 = FloatVector.fromArray(F512, dd, b * ROWS), d1 = FloatVector.fromArray(F512, dd, b * ROWS + 16);
            int x = xo + b * 32 + 4 * k0;
            {
                int o = planes + b * 4 * ROWS, xk = x;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o, LE).convertShape(B2S, S512, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 3 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector p01 = q0.mul(xv[xk]).add(q1.mul(xv[xk + 1])), p23 = q2.mul(xv[xk + 2]).add(q3.mul(xv[xk + 3]));
                IntVector s0 = ((IntVector) p01.convertShape(S2I, I512, 0)).add((IntVector) p23.convertShape(S2I, I512, 0));
                IntVector s1 = ((IntVector) p01.convertShape(S2I, I512, 1)).add((IntVector) p23.convertShape(S2I, I512, 1));
                a00 = d0.fma((FloatVector) s0.convert(I2F, 0), a00);
                a01 = d1.fma((FloatVector) s1.convert(I2F, 0), a01);
            }
            {
                int o = planes + region + b * 4 * ROWS, xk = x + 4;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o, LE).convertShape(B2S, S512, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 3 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector p01 = q0.mul(xv[xk]).add(q1.mul(xv[xk + 1])), p23 = q2.mul(xv[xk + 2]).add(q3.mul(xv[xk + 3]));
                IntVector s0 = ((IntVector) p01.convertShape(S2I, I512, 0)).add((IntVector) p23.convertShape(S2I, I512, 0));
                IntVector s1 = ((IntVector) p01.convertShape(S2I, I512, 1)).add((IntVector) p23.convertShape(S2I, I512, 1));
                a10 = d0.fma((FloatVector) s0.convert(I2F, 0), a10);
                a11 = d1.fma((FloatVector) s1.convert(I2F, 0), a11);
            }
            {
                int o = planes + 2 * region + b * 4 * ROWS, xk = x + 8;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o, LE).convertShape(B2S, S512, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 3 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector p01 = q0.mul(xv[xk]).add(q1.mul(xv[xk + 1])), p23 = q2.mul(xv[xk + 2]).add(q3.mul(xv[xk + 3]));
                IntVector s0 = ((IntVector) p01.convertShape(S2I, I512, 0)).add((IntVector) p23.convertShape(S2I, I512, 0));
                IntVector s1 = ((IntVector) p01.convertShape(S2I, I512, 1)).add((IntVector) p23.convertShape(S2I, I512, 1));
                a20 = d0.fma((FloatVector) s0.convert(I2F, 0), a20);
                a21 = d1.fma((FloatVector) s1.convert(I2F, 0), a21);
            }
            {
                int o = planes + 3 * region + b * 4 * ROWS, xk = x + 12;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o, LE).convertShape(B2S, S512, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 3 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector p01 = q0.mul(xv[xk]).add(q1.mul(xv[xk + 1])), p23 = q2.mul(xv[xk + 2]).add(q3.mul(xv[xk + 3]));
                IntVector s0 = ((IntVector) p01.convertShape(S2I, I512, 0)).add((IntVector) p23.convertShape(S2I, I512, 0));
                IntVector s1 = ((IntVector) p01.convertShape(S2I, I512, 1)).add((IntVector) p23.convertShape(S2I, I512, 1));
                a30 = d0.fma((FloatVector) s0.convert(I2F, 0), a30);
                a31 = d1.fma((FloatVector) s1.convert(I2F, 0), a31);
            }
        }
        int l = k0 * ROWS;
        a00.intoArray(lanes, l);
        a01.intoArray(lanes, l + 16);
        a10.intoArray(lanes, l + ROWS);
        a11.intoArray(lanes, l + ROWS + 16);
        a20.intoArray(lanes, l + 2 * ROWS);
        a21.intoArray(lanes, l + 2 * ROWS + 16);
        a30.intoArray(lanes, l + 3 * ROWS);
        a31.intoArray(lanes, l + 3 * ROWS + 16);
    }

    /**
     * {@link #fourLanes} for lane k (its plane of the group at {@code plane} in {@code w}) and four input rows
     * ({@code xo + t·xStride}, scales {@code xd[dOff + t·blocks]}; their {@code lanes} outputs one after another), in
     * float: values and input quants are small integers, so each product and each sum of four is exact in float
     * (|Σ| &lt;= 4·128·127 &lt; 2^24), the integer sum itself.
     * Converting the 128 values of a step to float once for four rows costs less than widening int16 products to
     * int32 for each (1.4-1.6x at batch 64). Each d_w·d_x is multiplied where it is used, from {@code wd}: the same
     * float product as a table of them, one load fewer per use (5-10 % with long rows, whose table left L1).
     */
    private void lane4(MemorySegment w, int plane, int k, float[] xf, int xo, int xStride, float[] wd, int wdOff, float[] xd, int dOff,
                       float[] lanes) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        for (int b = 0; b < blocks; b++) {
            int o = plane + b * 4 * ROWS, x = xo + b * 32 + 4 * k, d = dOff + b;
            FloatVector v0 = FloatVector.fromArray(F512, wd, wdOff + b * ROWS);
            FloatVector v1 = FloatVector.fromArray(F512, wd, wdOff + b * ROWS + 16);
            FloatVector w00 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o, LE).convertShape(B2F, F512, 0);
            FloatVector w01 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o + 16, LE).convertShape(B2F, F512, 0);
            FloatVector w10 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o + ROWS, LE).convertShape(B2F, F512, 0);
            FloatVector w11 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o + ROWS + 16, LE).convertShape(B2F, F512, 0);
            FloatVector w20 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o + 2 * ROWS, LE).convertShape(B2F, F512, 0);
            FloatVector w21 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o + 2 * ROWS + 16, LE).convertShape(B2F, F512, 0);
            FloatVector w30 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o + 3 * ROWS, LE).convertShape(B2F, F512, 0);
            FloatVector w31 = (FloatVector) ByteVector.fromMemorySegment(B128, w, o + 3 * ROWS + 16, LE).convertShape(B2F, F512, 0);
            FloatVector p0, p1, p2, p3;
            p0 = FloatVector.broadcast(F512, xf[x]);
            p1 = FloatVector.broadcast(F512, xf[x + 1]);
            p2 = FloatVector.broadcast(F512, xf[x + 2]);
            p3 = FloatVector.broadcast(F512, xf[x + 3]);
            a0 = v0.mul(xd[d]).fma(w30.fma(p3, w20.fma(p2, w10.fma(p1, w00.mul(p0)))), a0);
            a1 = v1.mul(xd[d]).fma(w31.fma(p3, w21.fma(p2, w11.fma(p1, w01.mul(p0)))), a1);
            x += xStride;
            d += blocks;
            p0 = FloatVector.broadcast(F512, xf[x]);
            p1 = FloatVector.broadcast(F512, xf[x + 1]);
            p2 = FloatVector.broadcast(F512, xf[x + 2]);
            p3 = FloatVector.broadcast(F512, xf[x + 3]);
            b0 = v0.mul(xd[d]).fma(w30.fma(p3, w20.fma(p2, w10.fma(p1, w00.mul(p0)))), b0);
            b1 = v1.mul(xd[d]).fma(w31.fma(p3, w21.fma(p2, w11.fma(p1, w01.mul(p0)))), b1);
            x += xStride;
            d += blocks;
            p0 = FloatVector.broadcast(F512, xf[x]);
            p1 = FloatVector.broadcast(F512, xf[x + 1]);
            p2 = FloatVector.broadcast(F512, xf[x + 2]);
            p3 = FloatVector.broadcast(F512, xf[x + 3]);
            c0 = v0.mul(xd[d]).fma(w30.fma(p3, w20.fma(p2, w10.fma(p1, w00.mul(p0)))), c0);
            c1 = v1.mul(xd[d]).fma(w31.fma(p3, w21.fma(p2, w11.fma(p1, w01.mul(p0)))), c1);
            x += xStride;
            d += blocks;
            p0 = FloatVector.broadcast(F512, xf[x]);
            p1 = FloatVector.broadcast(F512, xf[x + 1]);
            p2 = FloatVector.broadcast(F512, xf[x + 2]);
            p3 = FloatVector.broadcast(F512, xf[x + 3]);
            e0 = v0.mul(xd[d]).fma(w30.fma(p3, w20.fma(p2, w10.fma(p1, w00.mul(p0)))), e0);
            e1 = v1.mul(xd[d]).fma(w31.fma(p3, w21.fma(p2, w11.fma(p1, w01.mul(p0)))), e1);
        }
        int l = k * ROWS, ls = LANES * ROWS;
        a0.intoArray(lanes, l);
        a1.intoArray(lanes, l + 16);
        b0.intoArray(lanes, l + ls);
        b1.intoArray(lanes, l + ls + 16);
        c0.intoArray(lanes, l + 2 * ls);
        c1.intoArray(lanes, l + 2 * ls + 16);
        e0.intoArray(lanes, l + 3 * ls);
        e1.intoArray(lanes, l + 3 * ls + 16);
    }

    /** {@link GgmlDots#hsum8} of each row's 8 lanes: {@code (r0 + r2) + (r1 + r3)}, {@code r_j = lane j+4 + lane j}. */
    static void sum(float[] all, int from, float[] y, int yo) {
        for (int h = from; h < from + ROWS; h += 16) {
            FloatVector r0 = FloatVector.fromArray(F512, all, 4 * ROWS + h).add(FloatVector.fromArray(F512, all, h));
            FloatVector r1 = FloatVector.fromArray(F512, all, 5 * ROWS + h).add(FloatVector.fromArray(F512, all, ROWS + h));
            FloatVector r2 = FloatVector.fromArray(F512, all, 6 * ROWS + h).add(FloatVector.fromArray(F512, all, 2 * ROWS + h));
            FloatVector r3 = FloatVector.fromArray(F512, all, 7 * ROWS + h).add(FloatVector.fromArray(F512, all, 3 * ROWS + h));
            r0.add(r2).add(r1.add(r3)).intoArray(y, yo + h - from);
        }
    }
}
