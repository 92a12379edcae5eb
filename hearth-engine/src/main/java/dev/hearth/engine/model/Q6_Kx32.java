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

import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * A Q6_K weight repacked at load with one lane per weight row, its 6-bit values widened to int8 ({@code q − 32}).
 * llama.cpp's order: per 256-value superblock 8 integer lanes, lane k summing {@code scale·q·x} over the values v with
 * {@code (v mod 32)/4 == k}, then {@code acc[k] = fma(d_x·d_w, lane[k], acc[k])}, and {@link GgmlDots#hsum8} at the
 * end. As in {@link Q8_0x32}, each lane is its own chain, run over 32 rows side by side: four products fit an int16
 * (|4·32·127| &lt; 2^15), the scale multiplies in int32.
 *
 * <p>Layout, per group of 32 rows: the fp16 d of every superblock (32 per superblock), the 16 int8 scales of every
 * superblock (32 rows per scale), then for each lane k a plane of every superblock's values {@code 32c + 4k ..
 * 32c + 4k + 3} (c = 0..7), value by value, 32 rows per value. Rows past the last whole group stay with the GGUF
 * layout. Decoding streams 274 bytes per row and superblock instead of 210, with no bit unpacking per product.
 */
final class Q6_Kx32 extends Repacked {
    private static final int ROWS = GROUP_ROWS, LANES = 8;
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private final long groupBytes;
    /** Offsets in a group: the scales, the first lane plane; bytes of one plane. */
    private final int scalesAt, planesAt, planeBytes;

    private Q6_Kx32(MemorySegment data, int groups, int blocks) {
        super(data, groups, blocks);
        this.scalesAt = blocks * 2 * ROWS;
        this.planesAt = scalesAt + blocks * 16 * ROWS;
        this.planeBytes = blocks * 32 * ROWS;
        this.groupBytes = groupBytes(blocks);
    }

    private static long groupBytes(int blocks) {
        return (long) blocks * (2 + 16 + 256) * ROWS;
    }

    /** Repacks the whole groups of 32 rows of a Q6_K matrix (GGUF layout, 210-byte superblocks), on the shared pool. */
    static Q6_Kx32 of(MemorySegment gguf, int rows, int cols) {
        int groups = rows / ROWS, blocks = cols / 256;
        Q6_Kx32 m = new Q6_Kx32(OffHeap.allocate(groups * groupBytes(blocks), Arena.ofAuto()), groups, blocks);
        WorkerPool.shared().forEachRange(groups, 1, m, gguf, null, Q6_Kx32::repack);
        return m;
    }

    private void repack(MemorySegment gguf, Object unused, int from, int to) {
        int rowBytes = blocks * 210;
        byte[] in = new byte[ROWS * rowBytes], group = new byte[Math.toIntExact(groupBytes)], values = new byte[ROWS * 256];
        for (int g = from; g < to; g++) {
            MemorySegment.copy(gguf, ValueLayout.JAVA_BYTE, (long) g * ROWS * rowBytes, in, 0, in.length);
            for (int b = 0; b < blocks; b++) superblock(in, rowBytes, b, values, group);
            MemorySegment.copy(group, 0, data, ValueLayout.JAVA_BYTE, g * groupBytes, group.length);
        }
    }

    /** Superblock b of the group's 32 rows ({@code in}, GGUF layout) into the group's layout; {@code values}: scratch (see {@link Repacked}). */
    private void superblock(byte[] in, int rowBytes, int b, byte[] values, byte[] group) {
        for (int r = 0; r < ROWS; r++) {
            int wb = r * rowBytes + b * 210;
            group[b * 2 * ROWS + 2 * r] = in[wb + 208];
            group[b * 2 * ROWS + 2 * r + 1] = in[wb + 209];
            for (int s = 0; s < 16; s++) group[scalesAt + (b * 16 + s) * ROWS + r] = in[wb + 192 + s];
            // ggml's values 128h + l + 32k: nibble k/2 of ql[64h + l + 32(k%2)], bits 2k of qh[32h + l]
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l++) {
                    int q1 = in[wb + h * 64 + l] & 0xFF, q2 = in[wb + h * 64 + l + 32] & 0xFF;
                    int qh = in[wb + 128 + h * 32 + l] & 0xFF, v = r * 256 + h * 128 + l;
                    values[v] = (byte) ((q1 & 0xF | (qh & 3) << 4) - 32);
                    values[v + 32] = (byte) ((q2 & 0xF | (qh >> 2 & 3) << 4) - 32);
                    values[v + 64] = (byte) ((q1 >> 4 | (qh >> 4 & 3) << 4) - 32);
                    values[v + 96] = (byte) ((q2 >> 4 | (qh >> 6) << 4) - 32);
                }
            }
        }
        // each 32 values of a superblock take Q8_0's plane layout, as block 8b + c
        for (int c = 0; c < 8; c++) Q8_0x32.planes(values, c * 32, 256, group, planesAt, planeBytes, b * 8 + c);
    }

    /** {@inheritDoc} Here {@code xv}, {@code xd}: the input as Q8_K values and scales. */
    @Override
    void groups(short[] xv, float[] xf, float[] xd, int[] xSums, int batch, int rows, float[] y, int gFrom, int gTo) {
        int cols = blocks * 256, ddStride = blocks * ROWS, laneStride = LANES * ROWS;
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < 5 * ddStride) scratch[0] = new float[5 * ddStride];
        if (scratch[1].length < 4 * laneStride) scratch[1] = new float[4 * laneStride];
        float[] dd = scratch[0], lanes = scratch[1]; // dd: 4 rows' d_w·d_x, then d_w
        int wd = 4 * ddStride;
        for (int g = gFrom; g < gTo; g++) {
            // a slice per group with int offsets: C2 hoists most bounds checks out of the block loop
            MemorySegment w = data.asSlice(g * groupBytes, groupBytes);
            int i = 0;
            Q8_0x32.halves(w, blocks, dd, wd);
            for (; i + 4 <= batch; i += 4) { // four input rows per pass: each weight vector widened once
                for (int t = 0; t < 4; t++) Q8_0x32.times(dd, wd, blocks, xd, (i + t) * blocks, dd, t * ddStride);
                for (int k = 0; k < LANES; k++) lane4(w, k, xv, i * cols, cols, dd, lanes);
                for (int t = 0; t < 4; t++) Q8_0x32.sum(lanes, t * laneStride, y, (i + t) * rows + g * ROWS);
            }
            for (; i < batch; i++) {
                Q8_0x32.times(dd, wd, blocks, xd, i * blocks, dd, 0); // d_x·d_w, as Q8_0's
                for (int k = 0; k < LANES; k++) lane(w, k, xv, i * cols, dd, lanes);
                Q8_0x32.sum(lanes, 0, y, i * rows + g * ROWS);
            }
        }
    }

    /**
     * {@link #lane} for four input rows ({@code xo + t·xStride}; their {@code dd} tables and {@code lanes} outputs one
     * after another), each weight vector loaded and widened once.
     */
    private void lane4(MemorySegment w, int k, short[] xv, int xo, int xStride, float[] dd, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        int plane = planesAt + k * planeBytes, half = k / 4, ds = blocks * ROWS;
        for (int b = 0; b < blocks; b++) {
            IntVector ta0 = IntVector.zero(I512), ta1 = ta0, tb0 = ta0, tb1 = ta0, tc0 = ta0, tc1 = ta0, te0 = ta0, te1 = ta0;
            for (int c = 0; c < 8; c++) {
                int o = plane + (b * 8 + c) * 4 * ROWS, x = xo + b * 256 + 32 * c + 4 * k;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o, LE).convertShape(B2S, S512, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 3 * ROWS, LE).convertShape(B2S, S512, 0);
                ByteVector sc = ByteVector.fromMemorySegment(B256, w, scalesAt + (b * 16 + 2 * c + half) * ROWS, LE);
                IntVector s0 = (IntVector) sc.convertShape(B2I, I512, 0), s1 = (IntVector) sc.convertShape(B2I, I512, 1);
                ShortVector p = q0.mul(xv[x]).add(q1.mul(xv[x + 1])).add(q2.mul(xv[x + 2]).add(q3.mul(xv[x + 3])));
                ta0 = ta0.add(((IntVector) p.convertShape(S2I, I512, 0)).mul(s0));
                ta1 = ta1.add(((IntVector) p.convertShape(S2I, I512, 1)).mul(s1));
                x += xStride;
                p = q0.mul(xv[x]).add(q1.mul(xv[x + 1])).add(q2.mul(xv[x + 2]).add(q3.mul(xv[x + 3])));
                tb0 = tb0.add(((IntVector) p.convertShape(S2I, I512, 0)).mul(s0));
                tb1 = tb1.add(((IntVector) p.convertShape(S2I, I512, 1)).mul(s1));
                x += xStride;
                p = q0.mul(xv[x]).add(q1.mul(xv[x + 1])).add(q2.mul(xv[x + 2]).add(q3.mul(xv[x + 3])));
                tc0 = tc0.add(((IntVector) p.convertShape(S2I, I512, 0)).mul(s0));
                tc1 = tc1.add(((IntVector) p.convertShape(S2I, I512, 1)).mul(s1));
                x += xStride;
                p = q0.mul(xv[x]).add(q1.mul(xv[x + 1])).add(q2.mul(xv[x + 2]).add(q3.mul(xv[x + 3])));
                te0 = te0.add(((IntVector) p.convertShape(S2I, I512, 0)).mul(s0));
                te1 = te1.add(((IntVector) p.convertShape(S2I, I512, 1)).mul(s1));
            }
            int d = b * ROWS;
            a0 = FloatVector.fromArray(F512, dd, d).fma((FloatVector) ta0.convert(I2F, 0), a0);
            a1 = FloatVector.fromArray(F512, dd, d + 16).fma((FloatVector) ta1.convert(I2F, 0), a1);
            d += ds;
            b0 = FloatVector.fromArray(F512, dd, d).fma((FloatVector) tb0.convert(I2F, 0), b0);
            b1 = FloatVector.fromArray(F512, dd, d + 16).fma((FloatVector) tb1.convert(I2F, 0), b1);
            d += ds;
            c0 = FloatVector.fromArray(F512, dd, d).fma((FloatVector) tc0.convert(I2F, 0), c0);
            c1 = FloatVector.fromArray(F512, dd, d + 16).fma((FloatVector) tc1.convert(I2F, 0), c1);
            d += ds;
            e0 = FloatVector.fromArray(F512, dd, d).fma((FloatVector) te0.convert(I2F, 0), e0);
            e1 = FloatVector.fromArray(F512, dd, d + 16).fma((FloatVector) te1.convert(I2F, 0), e1);
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

    /** Lane k of all 32 rows: per superblock {@code Σ_c scale·Σ products}, then {@code acc = fma(dd, that, acc)}. */
    private void lane(MemorySegment w, int k, short[] xv, int xo, float[] dd, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0;
        int plane = planesAt + k * planeBytes, half = k / 4; // lanes 0-3: the first 16 values of a chunk, 4-7: the last
        for (int b = 0; b < blocks; b++) {
            IntVector t0 = IntVector.zero(I512), t1 = t0;
            for (int c = 0; c < 8; c++) {
                int o = plane + (b * 8 + c) * 4 * ROWS, x = xo + b * 256 + 32 * c + 4 * k;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o, LE).convertShape(B2S, S512, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q2 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 2 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector q3 = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 3 * ROWS, LE).convertShape(B2S, S512, 0);
                ShortVector p = q0.mul(xv[x]).add(q1.mul(xv[x + 1])).add(q2.mul(xv[x + 2]).add(q3.mul(xv[x + 3])));
                ByteVector sc = ByteVector.fromMemorySegment(B256, w, scalesAt + (b * 16 + 2 * c + half) * ROWS, LE);
                t0 = t0.add(((IntVector) p.convertShape(S2I, I512, 0)).mul((IntVector) sc.convertShape(B2I, I512, 0)));
                t1 = t1.add(((IntVector) p.convertShape(S2I, I512, 1)).mul((IntVector) sc.convertShape(B2I, I512, 1)));
            }
            a0 = FloatVector.fromArray(F512, dd, b * ROWS).fma((FloatVector) t0.convert(I2F, 0), a0);
            a1 = FloatVector.fromArray(F512, dd, b * ROWS + 16).fma((FloatVector) t1.convert(I2F, 0), a1);
        }
        a0.intoArray(lanes, k * ROWS);
        a1.intoArray(lanes, k * ROWS + 16);
    }
}
