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

import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * A Q4_0 weight repacked at load so that one int16 lane is one weight row: llama.cpp repacks Q4_0 too (Q4_0x8) and
 * sums each output as one float chain, {@code acc = fma(Σ block, d_w·d_x, acc)}. With 32 rows side by side, the
 * integer sum of a block is 32 multiply-adds of a weight vector by a broadcast input value, and the float step is
 * lane-wise: the same operations as {@link VectorDots#q4_0Repacked}, for 32 rows at once, with no horizontal sums.
 *
 * <p>Layout: for each group of 32 rows and each block, the 32 fp16 scales (64 bytes), then 16 vectors of 32 bytes,
 * vector j holding byte j of the block's nibbles for each row (values j and j + 16); block b of every group lies in
 * run {@code b mod 4}, group after group, so that a product reads four runs of memory side by side (the prefetcher
 * keeps lines in flight per run: 19-34 % faster than one run). A block's sum starts at
 * {@code −8·Σx} and adds {@code q·x}: {@code Σ (q−8)·x}, |·| &lt;= 32·8·127 &lt; 2^15, so the int16 sum is exact even
 * where its terms wrap. The Vector API has no fp16
 * conversion: exponent and mantissa shifted into float position are the value times 2^-112 (subnormals included),
 * and the multiply by 2^112 is exact. Rows past the last whole group stay with the GGUF layout.
 */
final class Q4_0x32 extends Repacked {
    static final int ROWS = GROUP_ROWS;
    private static final int GROUP_BLOCK = 64 + 16 * 32;
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Per thread: {@link #pairs}' tables for up to 3 input rows. */
    private static final ThreadLocal<int[][]> PAIRS = ThreadLocal.withInitial(() -> new int[2][0]);

    /** Runs of memory a product reads side by side: block b of a group lies in run {@code b mod RUNS}. */
    private static final int RUNS = 4;
    /** Bytes between runs beyond the blocks they hold (no power-of-two distances, see {@link Q8_0x32#PAD}). */
    private static final int PAD = Q8_0x32.PAD;
    /** Where each run starts, and the bytes of one group's blocks in it. */
    private final int[] runAt = new int[RUNS], runGroupBytes = new int[RUNS];

    private Q4_0x32(MemorySegment data, int groups, int blocks) {
        super(data, groups, blocks);
        int at = 0;
        for (int r = 0; r < RUNS; r++) {
            runAt[r] = at;
            runGroupBytes[r] = (blocks - r + RUNS - 1) / RUNS * GROUP_BLOCK;
            at += groups * runGroupBytes[r] + PAD;
        }
    }

    /** Bytes the copy takes beyond its blocks. */
    static final int PADDING = RUNS * PAD;

    private static long bytes(int groups, int blocks) {
        return (long) groups * blocks * GROUP_BLOCK + PADDING;
    }

    /** Whether a matrix of this shape fits the layout's int offsets. */
    static boolean fits(int rows, int cols) {
        return bytes(rows / ROWS, cols / 32) <= Integer.MAX_VALUE;
    }

    /** Where block b of group g starts. */
    private int blockAt(int g, int b) {
        int r = b % RUNS;
        return runAt[r] + g * runGroupBytes[r] + b / RUNS * GROUP_BLOCK;
    }

    /** Repacks the whole groups of 32 rows of a Q4_0 matrix (GGUF layout, 18-byte blocks), on the shared pool. */
    static Q4_0x32 of(MemorySegment gguf, int rows, int cols) {
        int groups = rows / ROWS, blocks = cols / 32;
        MemorySegment out = OffHeap.allocate(bytes(groups, blocks), Arena.ofAuto());
        Q4_0x32 m = new Q4_0x32(out, groups, blocks);
        WorkerPool.shared().forEachRange(groups, 1, m, gguf, null, Q4_0x32::repack);
        return m;
    }

    private void repack(MemorySegment gguf, Object unused, int from, int to) {
        int rowBytes = blocks * 18;
        byte[] in = new byte[ROWS * rowBytes], group = new byte[GROUP_BLOCK * blocks];
        for (int g = from; g < to; g++) {
            MemorySegment.copy(gguf, ValueLayout.JAVA_BYTE, (long) g * ROWS * rowBytes, in, 0, in.length);
            for (int b = 0; b < blocks; b++) {
                block(in, rowBytes, b, group);
                MemorySegment.copy(group, b * GROUP_BLOCK, data, ValueLayout.JAVA_BYTE, blockAt(g, b), GROUP_BLOCK);
            }
        }
    }

    /** Block b of the group's 32 rows ({@code in}, GGUF layout) into the group's layout (see {@link Repacked}). */
    private static void block(byte[] in, int rowBytes, int b, byte[] group) {
        int out = b * GROUP_BLOCK;
        for (int r = 0; r < ROWS; r++) {
            group[out + 2 * r] = in[r * rowBytes + b * 18];
            group[out + 2 * r + 1] = in[r * rowBytes + b * 18 + 1];
        }
        for (int j = 0; j < 16; j++) { // byte j of the 32 rows, side by side
            int o = out + 64 + j * ROWS, at = b * 18 + 2 + j;
            for (int r = 0; r < ROWS; r++) group[o + r] = in[at + r * rowBytes];
        }
    }

    @Override
    void groups(short[] xv, float[] xf, float[] xd, int[] xSums, int batch, int rows, float[] y, int gFrom, int gTo) {
        int cols = blocks * 32;
        int[][] scratch = PAIRS.get();
        if (scratch[0].length < 3 * cols) {
            scratch[0] = new int[3 * cols];
            scratch[1] = new int[3 * blocks];
        }
        int[] xp = scratch[0], x8 = scratch[1];
        int single = batch - batch % 4; // the input rows past the passes of four
        for (int i = single; i < batch; i++) pairs(xv, i * cols, blocks, xp, x8, i - single);
        for (int g = gFrom; g < gTo; g++) {
            int yr = g * ROWS, i = 0;
            for (; i + 4 <= batch; i += 4) four(g, xv, i * cols, cols, xSums, xd, i * blocks, y, i * rows + yr, rows);
            for (; i < batch; i++) one(g, xp, x8, i - single, xd, i * blocks, y, i * rows + yr);
        }
    }

    // The kernels are written out flat: a Vector API value passed to a helper C2 does not inline is boxed (10x slower).

    /**
     * Input row {@code t} of those {@link #one} runs, as it multiplies them: per block and byte j, the pair
     * (x_j, x_{j+16} − 16·x_j), each {@link #twice} in an int, and the block's
     * {@code −8·Σx} the same way. With the byte zero-extended, b = lo + 16·hi:
     * {@code b·x_j + (b >>> 4)·(x_{j+16} − 16·x_j) = lo·x_j + hi·x_{j+16}}, without masking the low nibble.
     */
    private static void pairs(short[] xv, int xo, int blocks, int[] xp, int[] x8, int t) {
        int cols = blocks * 32;
        for (int b = 0; b < blocks; b++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) {
                int lo = xv[xo + b * 32 + j], hi = xv[xo + b * 32 + 16 + j];
                sum += lo + hi;
                xp[t * cols + b * 32 + 2 * j] = twice(lo);
                xp[t * cols + b * 32 + 2 * j + 1] = twice(hi - 16 * lo);
            }
            x8[t * blocks + b] = twice(-8 * sum);
        }
    }

    /** One input row ({@code xp}, {@code x8} from {@link #pairs}) against the group's 32 rows. */
    private void one(int g, int[] xp, int[] x8, int t, float[] xd, int dOff, float[] y, int yo) {
        MemorySegment w = data;
        FloatVector a0 = FloatVector.zero(F512), a1 = a0;
        int xo = t * blocks * 32;
        for (int b = 0; b < blocks; b++) {
            int o = blockAt(g, b);
            int xb = xo + b * 32;
            ShortVector s = IntVector.broadcast(I512, x8[t * blocks + b]).reinterpretAsShorts();
            for (int j = 0; j < 16; j++) {
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 64 + j * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                s = s.add(v.mul(IntVector.broadcast(I512, xp[xb + 2 * j]).reinterpretAsShorts()))
                        .add(v.lanewise(LSHR, 4).mul(IntVector.broadcast(I512, xp[xb + 2 * j + 1]).reinterpretAsShorts()));
            }
            ShortVector h = ShortVector.fromMemorySegment(S512, w, o, LE);
            IntVector h0 = (IntVector) h.convertShape(S2I, I512, 0), h1 = (IntVector) h.convertShape(S2I, I512, 1);
            FloatVector d0 = h0.and(0x7FFF).lanewise(LSHL, 13).or(h0.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector d1 = h1.and(0x7FFF).lanewise(LSHL, 13).or(h1.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f);
            float dx = xd[dOff + b];
            a0 = ((FloatVector) ((IntVector) s.convertShape(S2I, I512, 0)).convert(I2F, 0)).fma(d0.mul(dx), a0);
            a1 = ((FloatVector) ((IntVector) s.convertShape(S2I, I512, 1)).convert(I2F, 0)).fma(d1.mul(dx), a1);
        }
        a0.intoArray(y, yo);
        a1.intoArray(y, yo + 16);
    }

    /**
     * {@link #one} for four input rows (offsets {@code + t·xStride}, {@code + t·blocks}, {@code + t·yStride}; {@code sums}:
     * their 32-value sums), each block's nibbles decoded once.
     */
    private void four(int g, short[] xv, int xo, int xStride, int[] sums, float[] xd, int dOff, float[] y, int yo, int yStride) {
        MemorySegment w = data;
        FloatVector a0 = FloatVector.zero(F512), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = blockAt(g, b);
            int x0 = xo + b * 32, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            int d = dOff + b;
            ShortVector s0 = ShortVector.broadcast(S512, (short) (-8 * sums[d])), s1 = ShortVector.broadcast(S512, (short) (-8 * sums[d + blocks]));
            ShortVector s2 = ShortVector.broadcast(S512, (short) (-8 * sums[d + 2 * blocks])), s3 = ShortVector.broadcast(S512, (short) (-8 * sums[d + 3 * blocks]));
            for (int j = 0; j < 16; j++) {
                ShortVector lo = (ShortVector) ByteVector.fromMemorySegment(B256, w, o + 64 + j * 32, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                ShortVector hi = lo.lanewise(LSHR, 4);
                lo = lo.and((short) 0xF);
                s0 = s0.add(lo.mul(xv[x0 + j])).add(hi.mul(xv[x0 + j + 16]));
                s1 = s1.add(lo.mul(xv[x1 + j])).add(hi.mul(xv[x1 + j + 16]));
                s2 = s2.add(lo.mul(xv[x2 + j])).add(hi.mul(xv[x2 + j + 16]));
                s3 = s3.add(lo.mul(xv[x3 + j])).add(hi.mul(xv[x3 + j + 16]));
            }
            ShortVector h = ShortVector.fromMemorySegment(S512, w, o, LE);
            IntVector h0 = (IntVector) h.convertShape(S2I, I512, 0), h1 = (IntVector) h.convertShape(S2I, I512, 1);
            FloatVector d0 = h0.and(0x7FFF).lanewise(LSHL, 13).or(h0.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector d1 = h1.and(0x7FFF).lanewise(LSHL, 13).or(h1.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(0x1p112f);
            float dx0 = xd[d], dx1 = xd[d + blocks], dx2 = xd[d + 2 * blocks], dx3 = xd[d + 3 * blocks];
            a0 = ((FloatVector) ((IntVector) s0.convertShape(S2I, I512, 0)).convert(I2F, 0)).fma(d0.mul(dx0), a0);
            a1 = ((FloatVector) ((IntVector) s0.convertShape(S2I, I512, 1)).convert(I2F, 0)).fma(d1.mul(dx0), a1);
            b0 = ((FloatVector) ((IntVector) s1.convertShape(S2I, I512, 0)).convert(I2F, 0)).fma(d0.mul(dx1), b0);
            b1 = ((FloatVector) ((IntVector) s1.convertShape(S2I, I512, 1)).convert(I2F, 0)).fma(d1.mul(dx1), b1);
            c0 = ((FloatVector) ((IntVector) s2.convertShape(S2I, I512, 0)).convert(I2F, 0)).fma(d0.mul(dx2), c0);
            c1 = ((FloatVector) ((IntVector) s2.convertShape(S2I, I512, 1)).convert(I2F, 0)).fma(d1.mul(dx2), c1);
            e0 = ((FloatVector) ((IntVector) s3.convertShape(S2I, I512, 0)).convert(I2F, 0)).fma(d0.mul(dx3), e0);
            e1 = ((FloatVector) ((IntVector) s3.convertShape(S2I, I512, 1)).convert(I2F, 0)).fma(d1.mul(dx3), e1);
        }
        a0.intoArray(y, yo);
        a1.intoArray(y, yo + 16);
        b0.intoArray(y, yo + yStride);
        b1.intoArray(y, yo + yStride + 16);
        c0.intoArray(y, yo + 2 * yStride);
        c1.intoArray(y, yo + 2 * yStride + 16);
        e0.intoArray(y, yo + 3 * yStride);
        e1.intoArray(y, yo + 3 * yStride + 16);
    }
}
