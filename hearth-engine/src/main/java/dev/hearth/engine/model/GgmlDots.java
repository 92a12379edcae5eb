package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * The quantized dot products of llama.cpp's x86 CPU backend (b4747, the build that produced the fixtures), in their
 * exact order of float operations: part of the {@link Matrix} stand-in, and the specification a fast kernel must
 * follow to reproduce llama.cpp bit for bit.
 *
 * <p>Per 32-value block the integer products are summed exactly; how the float terms are combined is what differs:
 * <ul>
 *   <li>{@code vec_dot} (one input row; Q4_1 and Q5_1 always) and llamafile's {@code tinyBLAS_Q0} (two or more input
 *       rows; Q8_0, Q4_0, Q5_0, IQ4_NL): 8 float lanes, lane k holding the integer sum of values 4k..4k+3 of each
 *       block, accumulated as {@code acc[k] = fma(d_w·d_x, lane[k], acc[k])}, then summed by {@link #hsum8};
 *       Q4_1/Q5_1 add their {@code Σ m·s} (a separate float sum) at the end;
 *   <li>IQ4_NL's {@code vec_dot} alternates two such accumulators between even and odd blocks and adds them
 *       lane-wise before the final sum;
 *   <li>Q4_0 matrices whose row count is a multiple of 8 (except {@code token_embd}) are repacked to Q4_0x8 and
 *       multiplied by the AVX2/AVX-512 GEMV/GEMM: one float per output, {@code acc = fma(Σ block, d_w·d_x, acc)}.
 * </ul>
 * The activations are quantized by ggml's SIMD {@code quantize_row_q8_0}/{@code _q8_1} (see {@link Activations}).
 */
final class GgmlDots {
    private static final byte[] IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final int KMASK1 = 0x03030303, KMASK2 = 0x0f0f0f0f;
    private static final int Q8K_BYTES = 292, Q8K_QS = 4, Q8K_BSUMS = 260;

    /** Which kernel llama.cpp runs for this multiplication. */
    enum Kernel { VEC_DOT, TINY_BLAS, REPACKED_Q4_0 }

    static boolean supports(GgmlType type) {
        return switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS, TQ1_0, TQ2_0 -> true;
            default -> false;
        };
    }

    static Kernel kernel(GgmlType type, int rows, boolean tokenEmbedding, int batch) {
        if (type == GgmlType.Q4_0 && rows % 8 == 0 && !tokenEmbedding) return Kernel.REPACKED_Q4_0;
        boolean tinyType = type == GgmlType.Q8_0 || type == GgmlType.Q4_0 || type == GgmlType.Q5_0 || type == GgmlType.IQ4_NL;
        return batch >= 2 && tinyType ? Kernel.TINY_BLAS : Kernel.VEC_DOT;
    }

    /** {@code hsum_float_8}: lanes i and i+4 added, then (0+2) + (1+3). */
    static float hsum8(float[] a) {
        float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
        return (r0 + r2) + (r1 + r3);
    }

    // One decoded weight row: integer weights, per-value scales (1 for the 32-blocks), per-block floats.
    private final GgmlType type;
    private final int n, blocks;
    private final int[] q, sc, mins;
    private final float[] d, d2;
    private final float[] acc = new float[8], acc2 = new float[8], accm = new float[4];
    private final long[] lane = new long[8];

    GgmlDots(GgmlType type, int n) {
        this.type = type;
        this.n = n;
        this.blocks = n / type.blockSize;
        this.q = new int[n];
        this.sc = new int[n];
        this.mins = new int[n / 16];
        this.d = new float[blocks];
        this.d2 = new float[blocks];
    }

    /** Whether this decoder is for rows of {@code n} values of {@code type}. */
    boolean fits(GgmlType type, int n) {
        return this.type == type && this.n == n;
    }

    /** Decodes the weight row {@code w[wo .. wo + rowBytes)} (GGUF blocks of {@link #type}). */
    void load(byte[] w, int wo) {
        int bytes = type.typeSize;
        for (int b = 0; b < blocks; b++) {
            int wb = wo + b * bytes;
            if (type.blockSize == 32) {
                d[b] = fp16(w, wb);
                if (type == GgmlType.Q4_1 || type == GgmlType.Q5_1) d2[b] = fp16(w, wb + 2);
                values(w, wb, b * 32);
            } else {
                superBlock(w, wb, b);
            }
        }
    }

    /**
     * Dot of the loaded row with one activation row in the type's vec_dot format (Q8_0, Q8_1 or Q8_K blocks at
     * {@code x[xo..]}).
     */
    float dot(Kernel kernel, byte[] x, int xo) {
        return type.blockSize == 256 ? superBlockDot(x, xo) : blockDot(kernel, x, xo);
    }

    private float blockDot(Kernel kernel, byte[] x, int xo) {
        boolean one = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
        int xBytes = one ? 36 : 34, xq = one ? 4 : 2; // Q8_1 / Q8_0 block size and offset of its int8 values
        java.util.Arrays.fill(acc, 0);
        java.util.Arrays.fill(acc2, 0);
        float single = 0, summs = 0;
        for (int b = 0; b < blocks; b++) {
            int xb = xo + b * xBytes, v0 = b * 32;
            float dx = fp16(x, xb);
            if (one) summs += d2[b] * fp16(x, xb + 2);
            float dd = d[b] * dx;
            if (kernel == Kernel.REPACKED_Q4_0) {
                int sum = 0;
                for (int j = 0; j < 32; j++) sum += q[v0 + j] * x[xb + xq + j];
                single = Math.fma(sum, dd, single);
                continue;
            }
            float[] target = type == GgmlType.IQ4_NL && kernel == Kernel.VEC_DOT && (b & 1) == 1 ? acc2 : acc;
            for (int k = 0; k < 8; k++) {
                int sum = 0;
                for (int j = 4 * k; j < 4 * k + 4; j++) sum += q[v0 + j] * x[xb + xq + j];
                target[k] = Math.fma(dd, sum, target[k]);
            }
        }
        if (kernel == Kernel.REPACKED_Q4_0) return single;
        if (type == GgmlType.IQ4_NL && kernel == Kernel.VEC_DOT) {
            if (blocks % 2 != 0) throw new UnsupportedOperationException("IQ4_NL rows of an odd number of blocks");
            for (int k = 0; k < 8; k++) acc[k] += acc2[k];
        }
        float sum = hsum8(acc);
        return one ? sum + summs : sum;
    }

    /** The 32 integer weights of the block at {@code wb} into {@code q[v0..]}, in value order. */
    private void values(byte[] w, int wb, int v0) {
        switch (type) {
            case Q8_0 -> {
                for (int j = 0; j < 32; j++) q[v0 + j] = w[wb + 2 + j];
            }
            case Q4_0 -> nibbles(w, wb + 2, v0, -8);
            case Q4_1 -> nibbles(w, wb + 4, v0, 0);
            case Q5_0, Q5_1 -> {
                boolean one = type == GgmlType.Q5_1;
                int qh = wb + (one ? 4 : 2);
                int bits = (w[qh] & 0xff) | (w[qh + 1] & 0xff) << 8 | (w[qh + 2] & 0xff) << 16 | (w[qh + 3] & 0xff) << 24;
                nibbles(w, qh + 4, v0, 0);
                for (int j = 0; j < 32; j++) q[v0 + j] = (q[v0 + j] | ((bits >>> j) & 1) << 4) - (one ? 0 : 16);
            }
            case IQ4_NL -> {
                nibbles(w, wb + 2, v0, 0);
                for (int j = 0; j < 32; j++) q[v0 + j] = IQ4NL[q[v0 + j]];
            }
            default -> throw new IllegalArgumentException(type.name());
        }
        for (int j = 0; j < 32; j++) sc[v0 + j] = 1;
    }

    /** Low nibbles of the 16 bytes are values 0..15, high nibbles 16..31. */
    private void nibbles(byte[] w, int qs, int v0, int offset) {
        for (int j = 0; j < 16; j++) {
            int b = w[qs + j] & 0xff;
            q[v0 + j] = (b & 0x0f) + offset;
            q[v0 + j + 16] = (b >>> 4) + offset;
        }
    }

    // ---------------------------------------------------------------------------------------- 256-value types

    /**
     * The AVX2 {@code vec_dot} of the K-quants, IQ4_XS and TQ1_0/TQ2_0 against Q8_K: per 256-value block, 8 integer
     * lanes, lane m summing (scale·q·y) over the values v with {@code (v mod 32)/4 == m}, then
     * {@code acc[m] = fma(d, lane[m], acc[m])}; the min terms ({@code dmin·Σ m·bsum}) and the TQ offsets (−bsums)
     * each the way their kernel combines them.
     */
    private float superBlockDot(byte[] x, int xo) {
        java.util.Arrays.fill(acc, 0);
        java.util.Arrays.fill(accm, 0);
        float summs = 0;
        for (int b = 0; b < blocks; b++) {
            int xb = xo + b * Q8K_BYTES, v0 = b * 256, m0 = b * 16;
            float yd = Float.intBitsToFloat(i32(x, xb));
            java.util.Arrays.fill(lane, 0);
            for (int v = 0; v < 256; v++) lane[(v & 31) >> 2] += (long) sc[v0 + v] * q[v0 + v] * x[xb + Q8K_QS + v];
            switch (type) {
                case Q2_K -> {
                    float dd = yd * d[b], dmin = -yd * d2[b];
                    for (int k = 0; k < 8; k++) {
                        int prod = mins[m0 + 2 * k] * bsum(x, xb, 2 * k) + mins[m0 + 2 * k + 1] * bsum(x, xb, 2 * k + 1);
                        acc[k] = Math.fma(dmin, prod, acc[k]);
                    }
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(dd, lane[k], acc[k]);
                }
                case Q4_K, Q5_K -> {
                    float dd = yd * d[b], dmin = -yd * d2[b];
                    int p0 = prod45(x, xb, m0, 0), p1 = prod45(x, xb, m0, 1), p2 = prod45(x, xb, m0, 2), p3 = prod45(x, xb, m0, 3);
                    if (type == GgmlType.Q4_K) {
                        accm[0] = Math.fma(dmin, p0, accm[0]);
                        accm[1] = Math.fma(dmin, p1, accm[1]);
                        accm[2] = Math.fma(dmin, p2, accm[2]);
                        accm[3] = Math.fma(dmin, p3, accm[3]);
                    } else {
                        summs += dmin * ((p0 + p1) + (p2 + p3));
                    }
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(dd, lane[k], acc[k]);
                }
                case Q3_K, Q6_K -> {
                    float dd = yd * d[b];
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(dd, lane[k], acc[k]);
                }
                case IQ4_XS -> {
                    float dd = d[b] * yd;
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(dd, lane[k], acc[k]);
                }
                case TQ1_0, TQ2_0 -> { // q holds the digit 0..2; the −1 comes from the 16-value bsums, pairwise per lane
                    float dd = yd * d[b];
                    for (int k = 0; k < 8; k++) acc[k] = (float) (lane[k] - bsum(x, xb, 2 * k) - bsum(x, xb, 2 * k + 1)) * dd + acc[k];
                }
                default -> throw new IllegalArgumentException(type.name());
            }
        }
        float sum = hsum8(acc);
        if (type == GgmlType.Q4_K) return sum + ((accm[0] + accm[2]) + (accm[1] + accm[3]));
        if (type == GgmlType.Q5_K) return sum + summs;
        return sum;
    }

    /** Q4_K/Q5_K min product k: mins of sub-blocks 2k, 2k+1 times the activation sums of those 32 values. */
    private int prod45(byte[] x, int xb, int m0, int k) {
        return mins[m0 + 2 * k] * (bsum(x, xb, 4 * k) + bsum(x, xb, 4 * k + 1))
                + mins[m0 + 2 * k + 1] * (bsum(x, xb, 4 * k + 2) + bsum(x, xb, 4 * k + 3));
    }

    private static int bsum(byte[] x, int xb, int j) {
        return (short) ((x[xb + Q8K_BSUMS + 2 * j] & 0xff) | x[xb + Q8K_BSUMS + 2 * j + 1] << 8);
    }

    /** Integer weights, their scales, block scales and sub-block mins of the 256-value block {@code b}. */
    private void superBlock(byte[] w, int wb, int b) {
        int v0 = b * 256, m0 = b * 16;
        switch (type) {
            case Q2_K -> { // scales[16] (low: scale, high: min), qs[64], d, dmin
                for (int v = 0; v < 256; v++) {
                    int h = v / 128, j = (v % 128) / 32, l = v % 32;
                    q[v0 + v] = (u8(w, wb + 16 + h * 32 + l) >> (2 * j)) & 3;
                    sc[v0 + v] = u8(w, wb + v / 16) & 0xf;
                }
                for (int j = 0; j < 16; j++) mins[m0 + j] = u8(w, wb + j) >> 4;
                d[b] = fp16(w, wb + 80);
                d2[b] = fp16(w, wb + 82);
            }
            case Q3_K -> { // hmask[32], qs[64], scales[12], d
                int a0 = i32(w, wb + 96), a1 = i32(w, wb + 100), a2 = i32(w, wb + 104);
                int[] s16 = {
                        (a0 & KMASK2) | ((a2 & KMASK1) << 4),
                        (a1 & KMASK2) | (((a2 >>> 2) & KMASK1) << 4),
                        ((a0 >>> 4) & KMASK2) | (((a2 >>> 4) & KMASK1) << 4),
                        ((a1 >>> 4) & KMASK2) | (((a2 >>> 6) & KMASK1) << 4)};
                for (int v = 0; v < 256; v++) {
                    int h = v / 128, j = (v % 128) / 32, l = v % 32;
                    int low = (u8(w, wb + 32 + h * 32 + l) >> (2 * j)) & 3;
                    boolean high = (u8(w, wb + l) & (1 << (4 * h + j))) != 0;
                    q[v0 + v] = low - (high ? 0 : 4);
                    int is = v / 16;
                    sc[v0 + v] = ((s16[is / 4] >>> (8 * (is % 4))) & 0xff) - 32;
                }
                d[b] = fp16(w, wb + 108);
            }
            case Q4_K, Q5_K -> { // d, dmin, scales[12], (Q5_K: qh[32]), qs[128]
                boolean five = type == GgmlType.Q5_K;
                int qs = wb + (five ? 48 : 16), s = wb + 4;
                int[] scale = new int[8];
                for (int j = 0; j < 8; j++) {
                    if (j < 4) {
                        scale[j] = u8(w, s + j) & 63;
                        mins[m0 + j] = u8(w, s + j + 4) & 63;
                    } else {
                        scale[j] = (u8(w, s + j + 4) & 0xf) | ((u8(w, s + j - 4) >> 6) << 4);
                        mins[m0 + j] = (u8(w, s + j + 4) >> 4) | ((u8(w, s + j) >> 6) << 4);
                    }
                }
                for (int v = 0; v < 256; v++) {
                    int c = v / 64, h = (v % 64) / 32, l = v % 32;
                    int value = (u8(w, qs + c * 32 + l) >> (4 * h)) & 0xf;
                    if (five) value += ((u8(w, wb + 16 + l) >> (2 * c + h)) & 1) << 4;
                    q[v0 + v] = value;
                    sc[v0 + v] = scale[v / 32];
                }
                d[b] = fp16(w, wb);
                d2[b] = fp16(w, wb + 2);
            }
            case Q6_K -> { // ql[128], qh[64], scales[16] int8, d
                for (int v = 0; v < 256; v++) {
                    int h = v / 128, k = (v % 128) / 32, l = v % 32;
                    int low = (u8(w, wb + h * 64 + l + 32 * (k & 1)) >> (4 * (k >> 1))) & 0xf;
                    int high = (u8(w, wb + 128 + h * 32 + l) >> (2 * k)) & 3;
                    q[v0 + v] = (low | high << 4) - 32;
                    sc[v0 + v] = w[wb + 192 + v / 16];
                }
                d[b] = fp16(w, wb + 208);
            }
            case IQ4_XS -> { // d, scales_h (u16), scales_l[4], qs[128]
                int sh = u8(w, wb + 2) | u8(w, wb + 3) << 8;
                for (int v = 0; v < 256; v++) {
                    int ib = v / 32, l = v % 32;
                    int nib = (u8(w, wb + 8 + 16 * ib + (l & 15)) >> (l < 16 ? 0 : 4)) & 0xf;
                    q[v0 + v] = IQ4NL[nib];
                    sc[v0 + v] = (((u8(w, wb + 4 + ib / 2) >> (4 * (ib % 2))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4)) - 32;
                }
                d[b] = fp16(w, wb);
            }
            case TQ1_0, TQ2_0 -> { // the ternary digit 0..2 of each value, read back from the exact dequantization
                float[] deq = new float[256];
                dev.hearth.engine.tensor.BlockFormat.of(type).dequantize(MemorySegment.ofArray(w), wb, deq, 0, 256);
                float scale = fp16(w, wb + (type == GgmlType.TQ1_0 ? 52 : 64));
                for (int v = 0; v < 256; v++) {
                    q[v0 + v] = scale == 0 ? 1 : Math.round(deq[v] / scale) + 1;
                    sc[v0 + v] = 1;
                }
                d[b] = scale;
            }
            default -> throw new IllegalArgumentException(type.name());
        }
    }

    private static int u8(byte[] a, int o) {
        return a[o] & 0xff;
    }

    private static int i32(byte[] a, int o) {
        return u8(a, o) | u8(a, o + 1) << 8 | u8(a, o + 2) << 16 | u8(a, o + 3) << 24;
    }

    private static float fp16(byte[] a, int o) {
        return Float.float16ToFloat((short) (u8(a, o) | u8(a, o + 1) << 8));
    }
}
