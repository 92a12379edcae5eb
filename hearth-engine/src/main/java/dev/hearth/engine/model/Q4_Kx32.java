package dev.hearth.engine.model;

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
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2F;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * A Q4_K weight repacked at load with one lane per weight row, still 4 bits per value. llama.cpp's order: per
 * 256-value superblock 8 integer lanes, lane k summing {@code scale·q·x} over the values v with {@code (v mod 32)/4 ==
 * k}, {@code acc[k] = fma(d_x·d, lane[k], acc[k])}; beside them 4 float chains of the mins, chain k adding
 * {@code fma(−d_x·dmin, m[2k]·s[2k] + m[2k+1]·s[2k+1], ·)} with s the input's sums of each 32 values; at the end
 * {@link GgmlDots#hsum8} plus {@code (m0 + m2) + (m1 + m3)}. As in {@link Q8_0x32} each chain runs over 32 rows side by
 * side; four products fit an int16 (|4·15·128| &lt; 2^15).
 *
 * <p>Layout, per group of 32 rows: the fp16 d of every superblock (32 per superblock), then the fp16 dmin, the 6-bit
 * scales and the 6-bit mins as bytes (8 per superblock, 32 rows each), then for each lane k a plane of every
 * superblock's values {@code 32c + 4k .. 32c + 4k + 3} (c = 0..7) as two vectors of 32 bytes, values 0 and 1 in the
 * low and high nibbles of the first, 2 and 3 of the second. 148 bytes per row and superblock (GGUF: 144).
 */
final class Q4_Kx32 extends Repacked {
    private static final int ROWS = GROUP_ROWS, LANES = 8;
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256, B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[5][0]);
    private static final ThreadLocal<int[][]> PAIRS = ThreadLocal.withInitial(() -> new int[1][0]);

    private final long groupBytes;
    /** Offsets in a group: dmin, scales, mins, the first lane plane; bytes of one plane. */
    private final int dminAt, scalesAt, minsAt, planesAt, planeBytes;

    private Q4_Kx32(MemorySegment data, int groups, int blocks) {
        super(data, groups, blocks);
        this.dminAt = blocks * 2 * ROWS;
        this.scalesAt = 2 * dminAt;
        this.minsAt = scalesAt + blocks * 8 * ROWS;
        this.planesAt = minsAt + blocks * 8 * ROWS;
        this.planeBytes = blocks * 16 * ROWS;
        this.groupBytes = groupBytes(blocks);
    }

    private static long groupBytes(int blocks) {
        return (long) blocks * 148 * ROWS;
    }

    /** Repacks the whole groups of 32 rows of a Q4_K matrix (GGUF layout, 144-byte superblocks), on the shared pool. */
    static Q4_Kx32 of(MemorySegment gguf, int rows, int cols) {
        int groups = rows / ROWS, blocks = cols / 256;
        Q4_Kx32 m = new Q4_Kx32(OffHeap.allocate(groups * groupBytes(blocks), Arena.ofAuto()), groups, blocks);
        WorkerPool.shared().forEachRange(groups, 1, m, gguf, null, Q4_Kx32::repack);
        return m;
    }

    private void repack(MemorySegment gguf, Object unused, int from, int to) {
        int rowBytes = blocks * 144;
        byte[] row = new byte[rowBytes], group = new byte[Math.toIntExact(groupBytes)];
        int[] q = new int[256];
        for (int g = from; g < to; g++) {
            for (int r = 0; r < ROWS; r++) {
                MemorySegment.copy(gguf, ValueLayout.JAVA_BYTE, ((long) g * ROWS + r) * rowBytes, row, 0, rowBytes);
                for (int b = 0; b < blocks; b++) superblock(row, b, r, q, group);
            }
            MemorySegment.copy(group, 0, data, ValueLayout.JAVA_BYTE, g * groupBytes, group.length);
        }
    }

    /** Superblock b of row r of a group into the group's layout ({@code q}: scratch for its 256 values; see {@link Repacked}). */
    private void superblock(byte[] row, int b, int r, int[] q, byte[] group) {
        int wb = b * 144, s = wb + 4;
        group[b * 2 * ROWS + 2 * r] = row[wb];
        group[b * 2 * ROWS + 2 * r + 1] = row[wb + 1];
        group[dminAt + b * 2 * ROWS + 2 * r] = row[wb + 2];
        group[dminAt + b * 2 * ROWS + 2 * r + 1] = row[wb + 3];
        for (int j = 0; j < 8; j++) { // ggml's 6-bit scale and min of sub-block j
            int sc = j < 4 ? row[s + j] & 63 : (row[s + j + 4] & 0xF) | ((row[s + j - 4] & 0xFF) >> 6) << 4;
            int mn = j < 4 ? row[s + j + 4] & 63 : ((row[s + j + 4] & 0xFF) >> 4) | ((row[s + j] & 0xFF) >> 6) << 4;
            group[scalesAt + (b * 8 + j) * ROWS + r] = (byte) sc;
            group[minsAt + (b * 8 + j) * ROWS + r] = (byte) mn;
        }
        for (int i = 0; i < 4; i++) { // 64 values per 32 bytes: low nibbles first, then high
            for (int l = 0; l < 32; l++) {
                int x = row[wb + 16 + i * 32 + l] & 0xFF;
                q[i * 64 + l] = x & 0xF;
                q[i * 64 + 32 + l] = x >> 4;
            }
        }
        for (int c = 0; c < 8; c++) {
            for (int k = 0; k < LANES; k++) {
                int v = 32 * c + 4 * k, out = planesAt + k * planeBytes + (b * 8 + c) * 2 * ROWS + r;
                group[out] = (byte) (q[v] | q[v + 1] << 4);
                group[out + ROWS] = (byte) (q[v + 2] | q[v + 3] << 4);
            }
        }
    }

    @Override
    void groups(short[] xv, float[] xf, float[] xd, int[] xSums, int batch, int rows, float[] y, int gFrom, int gTo) {
        int cols = blocks * 256, ddStride = blocks * ROWS, laneStride = LANES * ROWS;
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < 5 * ddStride) {
            scratch[0] = new float[5 * ddStride];
            scratch[1] = new float[2 * ddStride];
        }
        if (scratch[2].length < 4 * laneStride) scratch[2] = new float[4 * laneStride];
        if (scratch[3].length < 5 * ROWS) scratch[3] = new float[5 * ROWS];
        if (scratch[4].length < 8 * ddStride) scratch[4] = new float[8 * ddStride];
        int[][] pairs = PAIRS.get();
        if (pairs[0].length < 3 * cols) pairs[0] = new int[3 * cols];
        float[] scales = scratch[4]; // the group's scales as floats, for the rows run one by one
        int[] xp = pairs[0];
        int single = batch - batch % 4; // the input rows past the passes of four
        for (int i = single; i < batch; i++) pairs(xv, i * cols, cols, xp, (i - single) * cols);
        // dd: 4 rows' d_x·d, then d; dmin: d_x·dmin of one row, then dmin
        float[] dd = scratch[0], dmin = scratch[1], lanes = scratch[2], chains = scratch[3];
        int wd = 4 * ddStride, wdmin = ddStride;
        for (int g = gFrom; g < gTo; g++) {
            // a slice per group with int offsets: C2 hoists most bounds checks out of the block loop
            MemorySegment w = data.asSlice(g * groupBytes, groupBytes);
            int i = 0;
            Q8_0x32.halves(w, blocks, dd, wd);
            Q8_0x32.halves(w.asSlice(dminAt), blocks, dmin, wdmin);
            if (single < batch) scales(w, scales);
            for (; i + 4 <= batch; i += 4) { // four input rows per pass: each weight vector decoded once
                for (int t = 0; t < 4; t++) Q8_0x32.times(dd, wd, blocks, xd, (i + t) * blocks, dd, t * ddStride);
                for (int k = 0; k < LANES; k++) lane4(w, k, xf, i * cols, cols, dd, lanes);
                for (int t = 0; t < 4; t++) finish(w, xd, xSums, i + t, cols, dmin, lanes, t * laneStride, chains, y, (i + t) * rows + g * ROWS);
            }
            for (; i < batch; i++) {
                Q8_0x32.times(dd, wd, blocks, xd, i * blocks, dd, 0); // d_x·d
                for (int k = 0; k < LANES; k++) lane(w, k, xp, (i - single) * cols, dd, scales, lanes);
                finish(w, xd, xSums, i, cols, dmin, lanes, 0, chains, y, i * rows + g * ROWS);
            }
        }
    }

    /**
     * Input row i's outputs: {@code hsum8(acc) + ((m0 + m2) + (m1 + m3))}, the min chains computed here ({@code dmin}:
     * the group's dmin as floats after its first {@code blocks·32} values, which get {@code d_x·dmin}).
     */
    private void finish(MemorySegment w, float[] xd, int[] xSums, int i, int cols, float[] dmin, float[] lanes, int lanesAt,
                        float[] chains, float[] y, int yo) {
        Q8_0x32.times(dmin, blocks * ROWS, blocks, xd, i * blocks, dmin, 0); // d_x·dmin, negated where used
        mins(w, xSums, i * cols / 32, dmin, chains);
        Q8_0x32.sum(lanes, lanesAt, y, yo);
        for (int h = 0; h < ROWS; h += 16) {
            FloatVector.fromArray(F512, y, yo + h).add(FloatVector.fromArray(F512, chains, 4 * ROWS + h)).intoArray(y, yo + h);
        }
    }

    /**
     * {@link #lane} for four input rows ({@code xo + t·xStride} in {@code xf}, the input's values as floats; their
     * {@code dd} tables and {@code lanes} outputs one after another), 16 rows at a time, in float: the values, scales
     * and input quants are small integers, so each product, each sum of four and each superblock's
     * {@code Σ scale·Σ products} (|·| &lt;= 8·63·4·15·128 &lt; 2^24) is exact in float, the integer sum itself (5-10 %
     * faster than int16 products widened to int32 and multiplied by the scale in int32, at batch 32; eight rows per
     * pass ran slower).
     */
    private void lane4(MemorySegment w, int k, float[] xf, int xo, int xStride, float[] dd, float[] lanes) {
        int plane = planesAt + k * planeBytes, ds = blocks * ROWS, l = k * ROWS, ls = LANES * ROWS;
        for (int h = 0; h < ROWS; h += 16) {
            FloatVector a = FloatVector.zero(F512), b = a, c = a, e = a;
            for (int s = 0; s < blocks; s++) {
                FloatVector ta = FloatVector.zero(F512), tb = ta, tc = ta, te = ta;
                for (int sub = 0; sub < 8; sub++) {
                    int o = plane + (s * 8 + sub) * 2 * ROWS + h, x = xo + s * 256 + 32 * sub + 4 * k;
                    IntVector u = (IntVector) ByteVector.fromMemorySegment(B128, w, o, LE).convertShape(B2I, I512, 0);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B128, w, o + ROWS, LE).convertShape(B2I, I512, 0);
                    FloatVector q0 = (FloatVector) u.and(0xF).convert(I2F, 0);
                    FloatVector q1 = (FloatVector) u.lanewise(ASHR, 4).and(0xF).convert(I2F, 0);
                    FloatVector q2 = (FloatVector) v.and(0xF).convert(I2F, 0);
                    FloatVector q3 = (FloatVector) v.lanewise(ASHR, 4).and(0xF).convert(I2F, 0);
                    FloatVector sc = (FloatVector) ByteVector.fromMemorySegment(B128, w, scalesAt + (s * 8 + sub) * ROWS + h, LE)
                            .convertShape(B2F, F512, 0);
                    ta = q3.fma(FloatVector.broadcast(F512, xf[x + 3]), q2.fma(FloatVector.broadcast(F512, xf[x + 2]),
                            q1.fma(FloatVector.broadcast(F512, xf[x + 1]), q0.mul(xf[x])))).fma(sc, ta);
                    x += xStride;
                    tb = q3.fma(FloatVector.broadcast(F512, xf[x + 3]), q2.fma(FloatVector.broadcast(F512, xf[x + 2]),
                            q1.fma(FloatVector.broadcast(F512, xf[x + 1]), q0.mul(xf[x])))).fma(sc, tb);
                    x += xStride;
                    tc = q3.fma(FloatVector.broadcast(F512, xf[x + 3]), q2.fma(FloatVector.broadcast(F512, xf[x + 2]),
                            q1.fma(FloatVector.broadcast(F512, xf[x + 1]), q0.mul(xf[x])))).fma(sc, tc);
                    x += xStride;
                    te = q3.fma(FloatVector.broadcast(F512, xf[x + 3]), q2.fma(FloatVector.broadcast(F512, xf[x + 2]),
                            q1.fma(FloatVector.broadcast(F512, xf[x + 1]), q0.mul(xf[x])))).fma(sc, te);
                }
                int d = s * ROWS + h;
                a = FloatVector.fromArray(F512, dd, d).fma(ta, a);
                b = FloatVector.fromArray(F512, dd, d + ds).fma(tb, b);
                c = FloatVector.fromArray(F512, dd, d + 2 * ds).fma(tc, c);
                e = FloatVector.fromArray(F512, dd, d + 3 * ds).fma(te, e);
            }
            a.intoArray(lanes, l + h);
            b.intoArray(lanes, l + ls + h);
            c.intoArray(lanes, l + 2 * ls + h);
            e.intoArray(lanes, l + 3 * ls + h);
        }
    }

    /** The group's sub-block scales as floats, {@code out[(8b + c)·32 + r]}. */
    private void scales(MemorySegment w, float[] out) {
        for (int j = 0; j < blocks * 8; j++) {
            ByteVector sc = ByteVector.fromMemorySegment(B256, w, scalesAt + j * ROWS, LE);
            ((FloatVector) sc.convertShape(B2F, F512, 0)).intoArray(out, j * ROWS);
            ((FloatVector) sc.convertShape(B2F, F512, 1)).intoArray(out, j * ROWS + 16);
        }
    }

    /**
     * The input row's values as {@link #lane} multiplies them: per 4 values (x0, x1 − 16·x0, x2, x3 − 16·x2), each
     * {@link #twice} in an int. With a byte b = q0 + 16·q1 zero-extended to int16,
     * {@code b·x0 + (b >>> 4)·(x1 − 16·x0) = q0·x0 + q1·x1}: no mask for the low nibble; the int16 terms may wrap, their
     * sum (|·| &lt;= 4·15·128) does not.
     */
    private static void pairs(short[] xv, int xo, int cols, int[] out, int oo) {
        for (int j = 0; j < cols; j += 2) {
            int x0 = xv[xo + j], x1 = xv[xo + j + 1] - 16 * x0;
            out[oo + j] = twice(x0);
            out[oo + j + 1] = twice(x1);
        }
    }

    /**
     * Lane k of all 32 rows for one input row ({@code xp} from {@link #pairs}, {@code scales} from {@link #scales}): per
     * superblock {@code Σ_c scale·Σ products} in float (exact: |·| &lt;= 8·63·4·15·128 &lt; 2^24; cheaper than widening
     * to int32 and multiplying there), then {@code acc = fma(dd, that, acc)}. Two sub-blocks per pass (fewer index
     * computations: 7 % faster streaming from memory).
     */
    private void lane(MemorySegment w, int k, int[] xp, int xo, float[] dd, float[] scales, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0;
        int plane = planesAt + k * planeBytes;
        for (int b = 0; b < blocks; b++) {
            FloatVector t0 = FloatVector.zero(F512), t1 = t0;
            for (int c = 0; c < 8; c += 2) {
                int o = plane + (b * 8 + c) * 2 * ROWS, x = xo + b * 256 + 32 * c + 4 * k, s = (b * 8 + c) * ROWS;
                ShortVector u = (ShortVector) ByteVector.fromMemorySegment(B256, w, o, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + ROWS, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                ShortVector p = u.mul(IntVector.broadcast(I512, xp[x]).reinterpretAsShorts())
                        .add(u.lanewise(LSHR, 4).mul(IntVector.broadcast(I512, xp[x + 1]).reinterpretAsShorts()))
                        .add(v.mul(IntVector.broadcast(I512, xp[x + 2]).reinterpretAsShorts())
                                .add(v.lanewise(LSHR, 4).mul(IntVector.broadcast(I512, xp[x + 3]).reinterpretAsShorts())));
                t0 = ((FloatVector) p.convertShape(S2F, F512, 0)).fma(FloatVector.fromArray(F512, scales, s), t0);
                t1 = ((FloatVector) p.convertShape(S2F, F512, 1)).fma(FloatVector.fromArray(F512, scales, s + 16), t1);
                u = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2 * ROWS, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                v = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 3 * ROWS, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                p = u.mul(IntVector.broadcast(I512, xp[x + 32]).reinterpretAsShorts())
                        .add(u.lanewise(LSHR, 4).mul(IntVector.broadcast(I512, xp[x + 33]).reinterpretAsShorts()))
                        .add(v.mul(IntVector.broadcast(I512, xp[x + 34]).reinterpretAsShorts())
                                .add(v.lanewise(LSHR, 4).mul(IntVector.broadcast(I512, xp[x + 35]).reinterpretAsShorts())));
                t0 = ((FloatVector) p.convertShape(S2F, F512, 0)).fma(FloatVector.fromArray(F512, scales, s + ROWS), t0);
                t1 = ((FloatVector) p.convertShape(S2F, F512, 1)).fma(FloatVector.fromArray(F512, scales, s + ROWS + 16), t1);
            }
            a0 = FloatVector.fromArray(F512, dd, b * ROWS).fma(t0, a0);
            a1 = FloatVector.fromArray(F512, dd, b * ROWS + 16).fma(t1, a1);
        }
        a0.intoArray(lanes, k * ROWS);
        a1.intoArray(lanes, k * ROWS + 16);
    }

    /** The min chains of all 32 rows, then {@code (m0 + m2) + (m1 + m3)} into {@code chains[128..160)}; {@code sums}: the input's 32-value sums. */
    private void mins(MemorySegment w, int[] sums, int sOff, float[] dmin, float[] chains) {
        for (int k = 0; k < 4; k++) minChain(w, k, sums, sOff, dmin, chains);
        for (int h = 0; h < ROWS; h += 16) {
            FloatVector m0 = FloatVector.fromArray(F512, chains, h), m1 = FloatVector.fromArray(F512, chains, ROWS + h);
            FloatVector m2 = FloatVector.fromArray(F512, chains, 2 * ROWS + h), m3 = FloatVector.fromArray(F512, chains, 3 * ROWS + h);
            m0.add(m2).add(m1.add(m3)).intoArray(chains, 4 * ROWS + h);
        }
    }

    /** Chain k: {@code fma(−d_x·dmin, m[2k]·s[2k] + m[2k+1]·s[2k+1], acc)} over the superblocks, into {@code chains[k·32..]}. */
    private void minChain(MemorySegment w, int k, int[] sums, int sOff, float[] dmin, float[] chains) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            ByteVector lo = ByteVector.fromMemorySegment(B256, w, minsAt + (b * 8 + 2 * k) * ROWS, LE);
            ByteVector hi = ByteVector.fromMemorySegment(B256, w, minsAt + (b * 8 + 2 * k + 1) * ROWS, LE);
            int s0 = sums[sOff + b * 8 + 2 * k], s1 = sums[sOff + b * 8 + 2 * k + 1];
            IntVector p0 = ((IntVector) lo.convertShape(B2I, I512, 0)).mul(s0).add(((IntVector) hi.convertShape(B2I, I512, 0)).mul(s1));
            IntVector p1 = ((IntVector) lo.convertShape(B2I, I512, 1)).mul(s0).add(((IntVector) hi.convertShape(B2I, I512, 1)).mul(s1));
            a0 = FloatVector.fromArray(F512, dmin, b * ROWS).neg().fma((FloatVector) p0.convert(I2F, 0), a0);
            a1 = FloatVector.fromArray(F512, dmin, b * ROWS + 16).neg().fma((FloatVector) p1.convert(I2F, 0), a1);
        }
        a0.intoArray(chains, k * ROWS);
        a1.intoArray(chains, k * ROWS + 16);
    }
}
