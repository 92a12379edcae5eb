package dev.hearth.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumMap;

/**
 * The input of a matrix product: {@code batch} rows of {@code cols} floats, and the forms the kernels read them
 * in, each computed at most once per input however many matrices multiply it (Q, K and V share one input, so
 * do gate and up).
 *
 * <p>The quantized forms are llama.cpp's, value for value: Q8_0 blocks of 32 ({@code d = amax/127} stored as
 * fp16, {@code q = roundf(x/d)}), Q8_K blocks of 256 ({@code d = -max/127} with {@code max} the value of largest
 * magnitude, {@code q = nearest_int(x/d)}, no fp16), and F16/BF16 rounding (round to nearest even). They are
 * stored as int16 in the order each kernel reads them ("layouts" below), so a kernel's inner loop is load,
 * multiply, add. Buffers grow to the largest batch seen and are reused; setting a new input allocates nothing
 * once they are large enough. Not thread-safe: one thread sets and multiplies.
 */
public final class Activations {
    static final int QK = 32;          // Q8_0 block
    static final int QK_K = 256;       // Q8_K super-block
    static final int GROUP = 512;      // values per group of the repacked layouts (16 lanes x 32)
    /** 2^102: the repacked layouts store fp16 scales re-biased by 2^-102 so that none of them is subnormal. */
    static final float SCALE_BIAS = 0x1p102f;
    static final float F16_BIAS = 0x1p112f;

    private final int cols;
    private int batch;
    private float[] values = new float[0];

    // Forms, each valid while its flag is set; set() clears the flags.
    private boolean f16Ready, bf16Ready, q8_0Ready, q8_0NaturalReady, q8_0LanesReady, q4_0NaturalReady,
            q4_0LanesReady, q8_KReady, q8_KNaturalReady, q4_KLanesReady, q6_KLanesReady;
    private float[] f16 = new float[0], bf16 = new float[0];
    private byte[] q8_0 = new byte[0];
    private float[] q8_0Scale = new float[0], q8_0ScaleBiased = new float[0];
    private int[] q4_0Correction = new int[0];
    private short[] q8_0Natural = new short[0], q8_0Lanes = new short[0], q4_0Natural = new short[0], q4_0Lanes = new short[0];
    private byte[] q8_K = new byte[0];
    private float[] q8_KScale = new float[0];
    private int[] q8_KSum32 = new int[0];
    private short[] q8_KNatural = new short[0], q4_KLanes = new short[0], q6_KLanes = new short[0];
    private final EnumMap<GgmlType, MemorySegment> blocks = new EnumMap<>(GgmlType.class);
    private final EnumMap<GgmlType, Boolean> blocksReady = new EnumMap<>(GgmlType.class);

    public Activations(int cols) {
        if (cols <= 0) throw new IllegalArgumentException("cols must be positive, got " + cols);
        this.cols = cols;
    }

    public int cols() {
        return cols;
    }

    /** Number of input rows currently set (0 before the first {@link #set}). */
    public int batch() {
        return batch;
    }

    /** Sets a single input row: the first {@link #cols()} values of {@code x}. */
    public Activations set(float[] x) {
        return set(x, 0, 1);
    }

    /** Sets {@code batch} input rows; row {@code b} is {@code x[offset + b*cols ...]}. The values are copied. */
    public Activations set(float[] x, int offset, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        long end = offset + (long) batch * cols;
        if (offset < 0 || end > x.length) {
            throw new IllegalArgumentException("input of " + batch + " x " + cols + " at offset " + offset
                    + " does not fit in an array of " + x.length);
        }
        if (values.length < batch * cols) values = new float[batch * cols];
        System.arraycopy(x, offset, values, 0, batch * cols);
        this.batch = batch;
        f16Ready = bf16Ready = q8_0Ready = q8_0NaturalReady = q8_0LanesReady = q4_0NaturalReady = q4_0LanesReady = false;
        q8_KReady = q8_KNaturalReady = q4_KLanesReady = q6_KLanesReady = false;
        blocksReady.clear();
        return this;
    }

    /** Value {@code i} of row {@code b}. */
    public float get(int b, int i) {
        return values[b * cols + i];
    }

    // ------------------------------------------------------------------------------------------------ floats

    /** The input itself, row {@code b} at {@code b * cols}. */
    float[] f32() {
        return values;
    }

    /**
     * F16-rounded values for the F16 kernel, times 2^112 and, within each run of 32, even positions first then odd
     * ones (the kernel decodes 32 halves at a time as even and odd lanes of 16 ints, see {@link F16Kernel}).
     * Positions past the last whole run of 32 hold the plain rounded value.
     */
    float[] f16() {
        if (!f16Ready) {
            f16 = grow(f16, batch * cols);
            int runs = cols / 32 * 32;
            for (int b = 0; b < batch; b++) {
                int o = b * cols;
                for (int i = 0; i < runs; i++) {
                    float h = Float.float16ToFloat(Float.floatToFloat16(values[o + i]));
                    f16[o + splitIndex(i)] = h * F16_BIAS;
                }
                for (int i = runs; i < cols; i++) f16[o + i] = Float.float16ToFloat(Float.floatToFloat16(values[o + i]));
            }
            f16Ready = true;
        }
        return f16;
    }

    /** BF16-rounded values, within each run of 32 even positions first, then odd ones; tail in natural order. */
    float[] bf16() {
        if (!bf16Ready) {
            bf16 = grow(bf16, batch * cols);
            int runs = cols / 32 * 32;
            for (int b = 0; b < batch; b++) {
                int o = b * cols;
                for (int i = 0; i < cols; i++) {
                    float r = roundToBf16(values[o + i]);
                    bf16[o + (i < runs ? splitIndex(i) : i)] = r;
                }
            }
            bf16Ready = true;
        }
        return bf16;
    }

    /** Position of value {@code i} in a layout that stores each run of 32 as 16 even then 16 odd values. */
    static int splitIndex(int i) {
        int k = i & 31;
        return (i & ~31) + (k & 1) * 16 + (k >> 1);
    }

    /** ggml's fp32 to bf16 conversion: round to nearest even, NaN made quiet. */
    static float roundToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        int h = (u & 0x7fffffff) > 0x7f800000 ? (u >>> 16) | 64 : (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
        return Float.intBitsToFloat(h << 16);
    }

    // ------------------------------------------------------------------------------------------------ Q8_0

    private void quantizeQ8_0() {
        if (q8_0Ready) return;
        if (cols % QK != 0) throw new IllegalStateException("Q8_0 activations need cols % 32 == 0, cols = " + cols);
        int nb = cols / QK;
        q8_0 = grow(q8_0, batch * cols);
        q8_0Scale = grow(q8_0Scale, batch * nb);
        q8_0ScaleBiased = grow(q8_0ScaleBiased, batch * nb);
        q4_0Correction = grow(q4_0Correction, batch * nb);
        for (int blk = 0; blk < batch * nb; blk++) {
            int sum = Simd.FAST ? quantizeQ8_0BlockVector(blk) : quantizeQ8_0Block(blk);
            q4_0Correction[blk] = 8 * sum;
        }
        q8_0Ready = true;
    }

    /** llama.cpp's quantize_row_q8_0_ref for block {@code blk}; returns the sum of its quants. */
    int quantizeQ8_0Block(int blk) {
        int o = blk * QK;
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(values[o + j]));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            float v = values[o + j] * id;
            int q = Math.round(Math.abs(v)); // roundf: half away from zero
            q = v < 0 ? -q : q;
            q8_0[o + j] = (byte) q;
            sum += q;
        }
        setQ8_0Scale(blk, d);
        return sum;
    }

    /** {@link #quantizeQ8_0Block} with vectors, the same values. */
    int quantizeQ8_0BlockVector(int blk) {
        int o = blk * QK;
        FloatVector v0 = FloatVector.fromArray(Simd.F512, values, o), v1 = FloatVector.fromArray(Simd.F512, values, o + 16);
        float amax = v0.abs().max(v1.abs()).reduceLanes(VectorOperators.MAX);
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        IntVector q0 = roundHalfAway(v0.mul(id)), q1 = roundHalfAway(v1.mul(id));
        q0.convertShape(VectorOperators.I2B, Simd.B128, 0).reinterpretAsBytes().intoArray(q8_0, o);
        q1.convertShape(VectorOperators.I2B, Simd.B128, 0).reinterpretAsBytes().intoArray(q8_0, o + 16);
        setQ8_0Scale(blk, d);
        return q0.add(q1).reduceLanes(VectorOperators.ADD);
    }

    /** C's roundf (ties away from zero), exactly: truncate |v|, add one when the dropped fraction is >= 1/2. */
    private static IntVector roundHalfAway(FloatVector v) {
        FloatVector a = v.abs();
        IntVector t = (IntVector) a.convert(VectorOperators.F2I, 0);
        FloatVector frac = a.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
        t = t.add(IntVector.broadcast(Simd.I512, 1), frac.compare(VectorOperators.GE, 0.5f).cast(Simd.I512));
        return t.lanewise(VectorOperators.NEG, v.compare(VectorOperators.LT, 0f).cast(Simd.I512));
    }

    private void setQ8_0Scale(int blk, float d) {
        float dh = Float.float16ToFloat(Float.floatToFloat16(d));
        q8_0Scale[blk] = dh;
        q8_0ScaleBiased[blk] = dh * SCALE_BIAS;
    }

    /** Q8_0 quants, row {@code b} at {@code b * cols}. */
    byte[] q8_0() {
        quantizeQ8_0();
        return q8_0;
    }

    /** Q8_0 block scales (the fp16 value, as float), row {@code b} at {@code b * cols / 32}. */
    float[] q8_0Scale() {
        quantizeQ8_0();
        return q8_0Scale;
    }

    /** The Q8_0 block scales times 2^102 (see {@link #SCALE_BIAS}). */
    float[] q8_0ScaleBiased() {
        quantizeQ8_0();
        return q8_0ScaleBiased;
    }

    /** 8 x the sum of each Q8_0 block's quants: Q4_0's offset of 8 taken out of the integer dot. */
    int[] q4_0Correction() {
        quantizeQ8_0();
        return q4_0Correction;
    }

    /** Q8_0 quants as int16 in natural order. */
    short[] q8_0Natural() {
        if (!q8_0NaturalReady) {
            quantizeQ8_0();
            q8_0Natural = grow(q8_0Natural, batch * cols);
            for (int i = 0; i < batch * cols; i++) q8_0Natural[i] = q8_0[i];
            q8_0NaturalReady = true;
        }
        return q8_0Natural;
    }

    /**
     * Q8_0 quants as int16 in the order of the repacked Q8_0 layout: per group of 16 blocks, step {@code j}
     * (0..15) holds 32 values, lane {@code 2i+t} being element {@code 16t+j} of block {@code i}. Blocks after the
     * last whole group stay in natural order.
     */
    short[] q8_0Lanes() {
        if (!q8_0LanesReady) {
            quantizeQ8_0();
            q8_0Lanes = grow(q8_0Lanes, batch * cols);
            int full = cols / GROUP * GROUP;
            for (int b = 0; b < batch; b++) {
                int o = b * cols;
                for (int g = 0; g < full; g += GROUP) {
                    for (int j = 0; j < 16; j++) {
                        for (int lane = 0; lane < 32; lane++) {
                            int block = lane >> 1, t = lane & 1;
                            q8_0Lanes[o + g + j * 32 + lane] = q8_0[o + g + block * QK + 16 * t + j];
                        }
                    }
                }
                for (int i = full; i < cols; i++) q8_0Lanes[o + i] = q8_0[o + i];
            }
            q8_0LanesReady = true;
        }
        return q8_0Lanes;
    }

    /**
     * Coefficients for Q4_0 blocks in the GGUF layout: per block, 16 values {@code A[k] = a[k]} then 16 values
     * {@code A'[k] = a[k+16] - 16 a[k]}, so that for a weight byte {@code v} (low nibble element k, high nibble
     * element k+16) {@code v*A[k] + (v>>4)*A'[k]} is the dot of both nibbles (exact modulo 2^16).
     */
    short[] q4_0Natural() {
        if (!q4_0NaturalReady) {
            quantizeQ8_0();
            q4_0Natural = grow(q4_0Natural, batch * cols);
            for (int blk = 0; blk < batch * cols / QK; blk++) nibbleCoefficients(q8_0, blk * QK, q4_0Natural, blk * QK);
            q4_0NaturalReady = true;
        }
        return q4_0Natural;
    }

    /**
     * Coefficients for the repacked Q4_0 layout: per group of 16 blocks, step {@code j} (0..7) holds 32 values
     * {@code A} then 32 values {@code A'}; lane {@code 2i+t} pairs element {@code 16t+2j} of block i (low nibble)
     * with element {@code 16t+2j+1} (high nibble). Blocks after the last whole group as in {@link #q4_0Natural()}.
     */
    short[] q4_0Lanes() {
        if (!q4_0LanesReady) {
            quantizeQ8_0();
            q4_0Lanes = grow(q4_0Lanes, batch * cols);
            for (int b = 0; b < batch; b++) nibbleLanes(q8_0, b * cols, cols, q4_0Lanes);
            q4_0LanesReady = true;
        }
        return q4_0Lanes;
    }

    // ------------------------------------------------------------------------------------------------ Q8_K

    private void quantizeQ8_K() {
        if (q8_KReady) return;
        if (cols % QK_K != 0) throw new IllegalStateException("Q8_K activations need cols % 256 == 0, cols = " + cols);
        int nsb = cols / QK_K;
        q8_K = grow(q8_K, batch * cols);
        q8_KScale = grow(q8_KScale, batch * nsb);
        q8_KSum32 = grow(q8_KSum32, batch * cols / QK);
        for (int sb = 0; sb < batch * nsb; sb++) {
            if (Simd.FAST) quantizeQ8_KBlockVector(sb);
            else quantizeQ8_KBlock(sb);
        }
        q8_KReady = true;
    }

    /** llama.cpp's quantize_row_q8_K_ref for super-block {@code sb} (and our sums per 32). */
    void quantizeQ8_KBlock(int sb) {
        int o = sb * QK_K;
        float max = 0, amax = 0;
        for (int j = 0; j < QK_K; j++) {
            float ax = Math.abs(values[o + j]);
            if (ax > amax) {
                amax = ax;
                max = values[o + j];
            }
        }
        if (amax == 0) {
            q8_KScale[sb] = 0;
            Arrays.fill(q8_K, o, o + QK_K, (byte) 0);
        } else {
            float iscale = -127f / max;
            for (int j = 0; j < QK_K; j++) {
                int v = (int) Math.rint(iscale * values[o + j]); // nearest_int: half to even
                q8_K[o + j] = (byte) Math.min(127, v);
            }
            q8_KScale[sb] = 1 / iscale;
        }
        for (int s = 0; s < QK_K / QK; s++) {
            int sum = 0;
            for (int j = 0; j < QK; j++) sum += q8_K[o + s * QK + j];
            q8_KSum32[sb * 8 + s] = sum;
        }
    }

    /** {@link #quantizeQ8_KBlock} with vectors, the same values. */
    void quantizeQ8_KBlockVector(int sb) {
        int o = sb * QK_K;
        FloatVector m = FloatVector.zero(Simd.F512);
        for (int j = 0; j < QK_K; j += 16) m = m.max(FloatVector.fromArray(Simd.F512, values, o + j).abs());
        float amax = m.reduceLanes(VectorOperators.MAX);
        if (amax == 0) {
            q8_KScale[sb] = 0;
            Arrays.fill(q8_K, o, o + QK_K, (byte) 0);
            Arrays.fill(q8_KSum32, sb * 8, sb * 8 + 8, 0);
            return;
        }
        int first = o;
        while (Math.abs(values[first]) != amax) first++; // the first value of largest magnitude gives the sign
        float iscale = -127f / values[first];
        for (int s = 0; s < QK_K / QK; s++) {
            int j = o + s * QK;
            IntVector q0 = nearestInt(FloatVector.fromArray(Simd.F512, values, j).mul(iscale));
            IntVector q1 = nearestInt(FloatVector.fromArray(Simd.F512, values, j + 16).mul(iscale));
            q0.convertShape(VectorOperators.I2B, Simd.B128, 0).reinterpretAsBytes().intoArray(q8_K, j);
            q1.convertShape(VectorOperators.I2B, Simd.B128, 0).reinterpretAsBytes().intoArray(q8_K, j + 16);
            q8_KSum32[sb * 8 + s] = q0.add(q1).reduceLanes(VectorOperators.ADD);
        }
        q8_KScale[sb] = 1 / iscale;
    }

    /** ggml's nearest_int (round half to even, via the 1.5*2^23 trick) capped at 127, as quantize_row_q8_K. */
    private static IntVector nearestInt(FloatVector v) {
        FloatVector r = v.add(12582912f).sub(12582912f);
        return ((IntVector) r.convert(VectorOperators.F2I, 0)).min(127);
    }

    /** Q8_K quants, row {@code b} at {@code b * cols}. */
    byte[] q8_K() {
        quantizeQ8_K();
        return q8_K;
    }

    /** Q8_K super-block scales, row {@code b} at {@code b * cols / 256}. */
    float[] q8_KScale() {
        quantizeQ8_K();
        return q8_KScale;
    }

    /** Sums of the Q8_K quants per 32 values, row {@code b} at {@code b * cols / 32}. */
    int[] q8_KSum32() {
        quantizeQ8_K();
        return q8_KSum32;
    }

    /** Q8_K quants as int16 in natural order. */
    short[] q8_KNatural() {
        if (!q8_KNaturalReady) {
            quantizeQ8_K();
            q8_KNatural = grow(q8_KNatural, batch * cols);
            for (int i = 0; i < batch * cols; i++) q8_KNatural[i] = q8_K[i];
            q8_KNaturalReady = true;
        }
        return q8_KNatural;
    }

    /** Coefficients for the repacked Q4_K layout: as {@link #q4_0Lanes()} with sub-blocks of 32 for blocks. */
    short[] q4_KLanes() {
        if (!q4_KLanesReady) {
            quantizeQ8_K();
            q4_KLanes = grow(q4_KLanes, batch * cols);
            for (int b = 0; b < batch; b++) nibbleLanes(q8_K, b * cols, cols, q4_KLanes);
            q4_KLanesReady = true;
        }
        return q4_KLanes;
    }

    /** Shorts per super-block in {@link #q6_KLanes()}. */
    static final int Q6_K_LANES = 544;

    /**
     * Coefficients for the repacked Q6_K layout, {@link #Q6_K_LANES} shorts per super-block, row {@code b} at
     * {@code b * cols/256 * 544}. Lane {@code L = 2i+t} accumulates elements {@code 8t+e} (e = 0..7) of the 16-value
     * sub-block i. Four nibble steps j of 64 shorts: {@code A = a(e=2j)}, {@code A' = a(2j+1) - 16 A}. Two steps k
     * of 128 shorts for the high 2-bit parts {@code c_m} (m = 0..3, element 4k+m) of a byte: with
     * {@code b_m = 16 a(4k+m)}, coefficients {@code b_0, b_1 - 4b_0, b_2 - 4b_1, b_3 - 4b_2} for the byte shifted
     * right by 0, 2, 4, 6. Last, 32 values {@code 32 * sum(a)} over each lane's 8 elements (Q6_K's offset of 32).
     */
    short[] q6_KLanes() {
        if (!q6_KLanesReady) {
            quantizeQ8_K();
            int nsb = cols / QK_K;
            q6_KLanes = grow(q6_KLanes, batch * nsb * Q6_K_LANES);
            for (int sb = 0; sb < batch * nsb; sb++) {
                int src = sb * QK_K, dst = sb * Q6_K_LANES;
                for (int lane = 0; lane < 32; lane++) {
                    int base = src + (lane >> 1) * 16 + (lane & 1) * 8; // element e of this lane is q8_K[base + e]
                    int sum = 0;
                    for (int e = 0; e < 8; e++) sum += q8_K[base + e];
                    for (int j = 0; j < 4; j++) {
                        int a0 = q8_K[base + 2 * j], a1 = q8_K[base + 2 * j + 1];
                        q6_KLanes[dst + j * 64 + lane] = (short) a0;
                        q6_KLanes[dst + j * 64 + 32 + lane] = (short) (a1 - 16 * a0);
                    }
                    for (int k = 0; k < 2; k++) {
                        int prev = 0;
                        for (int m = 0; m < 4; m++) {
                            int bm = 16 * q8_K[base + 4 * k + m];
                            q6_KLanes[dst + 256 + k * 128 + m * 32 + lane] = (short) (bm - 4 * prev);
                            prev = bm;
                        }
                    }
                    q6_KLanes[dst + 512 + lane] = (short) (32 * sum);
                }
            }
            q6_KLanesReady = true;
        }
        return q6_KLanes;
    }

    // ------------------------------------------------------------------------------------------------ shared

    private static void nibbleCoefficients(byte[] q, int src, short[] dst, int at) {
        for (int k = 0; k < 16; k++) {
            int lo = q[src + k], hi = q[src + k + 16];
            dst[at + k] = (short) lo;
            dst[at + 16 + k] = (short) (hi - 16 * lo);
        }
    }

    /** The lane-order nibble coefficients shared by the repacked Q4_0 and Q4_K layouts, for one row. */
    private static void nibbleLanes(byte[] q, int o, int cols, short[] dst) {
        int full = cols / GROUP * GROUP;
        for (int g = 0; g < full; g += GROUP) {
            for (int j = 0; j < 8; j++) {
                for (int lane = 0; lane < 32; lane++) {
                    int e = o + g + (lane >> 1) * QK + 16 * (lane & 1) + 2 * j;
                    int lo = q[e], hi = q[e + 1];
                    dst[o + g + j * 64 + lane] = (short) lo;
                    dst[o + g + j * 64 + 32 + lane] = (short) (hi - 16 * lo);
                }
            }
        }
        for (int i = full; i < cols; i += QK) nibbleCoefficients(q, o + i, dst, o + i);
    }

    /**
     * The input quantized to {@code type}'s GGUF blocks by {@link BlockFormat#quantize}, row {@code b} at
     * {@code b * type.byteSize(cols)}: what the generic (per-row {@link BlockFormat#dot}) path reads.
     */
    MemorySegment blocks(GgmlType type) {
        MemorySegment seg = blocks.get(type);
        long rowBytes = type.byteSize(cols);
        if (blocksReady.get(type) == null) {
            if (seg == null || seg.byteSize() < rowBytes * batch) {
                seg = MemorySegment.ofArray(new long[(int) ((rowBytes * batch + 7) / 8)]);
                blocks.put(type, seg);
            }
            BlockFormat fmt = BlockFormat.of(type);
            for (int b = 0; b < batch; b++) fmt.quantize(values, b * cols, seg, b * rowBytes, cols);
            blocksReady.put(type, Boolean.TRUE);
        }
        return seg;
    }

    private static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    private static short[] grow(short[] a, int n) {
        return a.length >= n ? a : new short[n];
    }

    private static byte[] grow(byte[] a, int n) {
        return a.length >= n ? a : new byte[n];
    }

    private static int[] grow(int[] a, int n) {
        return a.length >= n ? a : new int[n];
    }
}
