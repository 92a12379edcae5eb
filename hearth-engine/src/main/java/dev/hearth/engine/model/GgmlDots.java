package dev.hearth.engine.model;

import dev.hearth.engine.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
    private GgmlDots() {}

    private static final byte[] IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

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

    /**
     * Dot of one weight row ({@code n} values of {@code type} at {@code w[wo..]}) with one activation row in the
     * type's vec_dot format (Q8_0 or Q8_1 blocks at {@code x[xo..]}).
     */
    static float dot(GgmlType type, Kernel kernel, MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        if (type.blockSize == 256) return superBlockDot(type, w, wo, x, xo, n);
        int nb = n / 32;
        int wBytes = type.typeSize, xBytes = type == GgmlType.Q4_1 || type == GgmlType.Q5_1 ? 36 : 34;
        int xq = xBytes == 36 ? 4 : 2; // offset of the int8 values in a Q8_1 / Q8_0 block
        int[] v = new int[32];
        float[] acc = new float[8], acc2 = new float[8];
        float single = 0, summs = 0;
        for (int b = 0; b < nb; b++) {
            long wb = wo + (long) b * wBytes, xb = xo + (long) b * xBytes;
            float dw = fp16(w, wb), dx = fp16(x, xb);
            values(type, w, wb, v);
            if (type == GgmlType.Q4_1 || type == GgmlType.Q5_1) summs += fp16(w, wb + 2) * fp16(x, xb + 2);
            float d = dw * dx;
            if (kernel == Kernel.REPACKED_Q4_0) {
                int sum = 0;
                for (int j = 0; j < 32; j++) sum += v[j] * x.get(ValueLayout.JAVA_BYTE, xb + xq + j);
                single = Math.fma(sum, d, single);
                continue;
            }
            float[] target = type == GgmlType.IQ4_NL && kernel == Kernel.VEC_DOT && (b & 1) == 1 ? acc2 : acc;
            for (int k = 0; k < 8; k++) {
                int sum = 0;
                for (int j = 4 * k; j < 4 * k + 4; j++) sum += v[j] * x.get(ValueLayout.JAVA_BYTE, xb + xq + j);
                target[k] = Math.fma(d, sum, target[k]);
            }
        }
        if (kernel == Kernel.REPACKED_Q4_0) return single;
        if (type == GgmlType.IQ4_NL && kernel == Kernel.VEC_DOT) {
            if (nb % 2 != 0) throw new UnsupportedOperationException("IQ4_NL rows of an odd number of blocks");
            for (int k = 0; k < 8; k++) acc[k] += acc2[k];
        }
        float sum = hsum8(acc);
        return type == GgmlType.Q4_1 || type == GgmlType.Q5_1 ? sum + summs : sum;
    }

    // ---------------------------------------------------------------------------------------- 256-value types

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final int Q8K_BYTES = 292, Q8K_QS = 4, Q8K_BSUMS = 260;

    /**
     * The AVX2 {@code vec_dot} of the K-quants, IQ4_XS and TQ1_0/TQ2_0 against Q8_K: per 256-value block, 8 integer
     * lanes, lane m summing (scale·q·y) over the values v with {@code (v mod 32)/4 == m}, then
     * {@code acc[m] = fma(d, lane[m], acc[m])}; the min terms ({@code dmin·Σ m·bsum}) and the TQ offsets (−bsums)
     * each the way their kernel combines them.
     */
    private static float superBlockDot(GgmlType type, MemorySegment w, long wo, MemorySegment x, long xo, int n) {
        int[] q = new int[256], sc = new int[256], mins = new int[16];
        long[] lane = new long[8];
        float[] acc = new float[8], accm = new float[4];
        float summs = 0;
        for (int b = 0; b < n / 256; b++) {
            long wb = wo + (long) b * type.typeSize, xb = xo + (long) b * Q8K_BYTES;
            float yd = x.get(F32, xb);
            decode(type, w, wb, q, sc, mins);
            java.util.Arrays.fill(lane, 0);
            for (int v = 0; v < 256; v++) lane[(v & 31) >> 2] += (long) sc[v] * q[v] * x.get(ValueLayout.JAVA_BYTE, xb + Q8K_QS + v);
            int[] bsum = new int[16];
            for (int j = 0; j < 16; j++) bsum[j] = x.get(I16, xb + Q8K_BSUMS + 2L * j);
            switch (type) {
                case Q2_K -> {
                    float d = yd * fp16(w, wb + 80), dmin = -yd * fp16(w, wb + 82);
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(dmin, mins[2 * k] * bsum[2 * k] + mins[2 * k + 1] * bsum[2 * k + 1], acc[k]);
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(d, lane[k], acc[k]);
                }
                case Q4_K, Q5_K -> {
                    float d = yd * fp16(w, wb), dmin = -yd * fp16(w, wb + 2);
                    int[] prod = new int[4];
                    for (int k = 0; k < 4; k++) {
                        prod[k] = mins[2 * k] * (bsum[4 * k] + bsum[4 * k + 1]) + mins[2 * k + 1] * (bsum[4 * k + 2] + bsum[4 * k + 3]);
                    }
                    if (type == GgmlType.Q4_K) {
                        for (int k = 0; k < 4; k++) accm[k] = Math.fma(dmin, prod[k], accm[k]);
                    } else {
                        summs += dmin * ((prod[0] + prod[1]) + (prod[2] + prod[3]));
                    }
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(d, lane[k], acc[k]);
                }
                case Q3_K -> {
                    float d = yd * fp16(w, wb + 108);
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(d, lane[k], acc[k]);
                }
                case Q6_K -> {
                    float d = yd * fp16(w, wb + 208);
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(d, lane[k], acc[k]);
                }
                case IQ4_XS -> {
                    float d = fp16(w, wb) * yd;
                    for (int k = 0; k < 8; k++) acc[k] = Math.fma(d, lane[k], acc[k]);
                }
                case TQ1_0, TQ2_0 -> { // q holds the digit 0..2; the −1 comes from the 16-value bsums, pairwise per lane
                    float d = yd * fp16(w, wb + (type == GgmlType.TQ1_0 ? 52 : 64));
                    for (int k = 0; k < 8; k++) acc[k] = (float) (lane[k] - bsum[2 * k] - bsum[2 * k + 1]) * d + acc[k];
                }
                default -> throw new IllegalArgumentException(type.name());
            }
        }
        float sum = hsum8(acc);
        if (type == GgmlType.Q4_K) return sum + ((accm[0] + accm[2]) + (accm[1] + accm[3]));
        if (type == GgmlType.Q5_K) return sum + summs;
        return sum;
    }

    private static final int KMASK1 = 0x03030303, KMASK2 = 0x0f0f0f0f;

    /** Integer weights {@code q[v]}, their scales {@code sc[v]} and the sub-block mins of one 256-value block. */
    private static void decode(GgmlType type, MemorySegment w, long wb, int[] q, int[] sc, int[] mins) {
        switch (type) {
            case Q2_K -> { // scales[16] (low: scale, high: min), qs[64]
                for (int v = 0; v < 256; v++) {
                    int n = v / 128, j = (v % 128) / 32, l = v % 32;
                    q[v] = (u8(w, wb + 16 + n * 32 + l) >> (2 * j)) & 3;
                    sc[v] = u8(w, wb + v / 16) & 0xf;
                }
                for (int j = 0; j < 16; j++) mins[j] = u8(w, wb + j) >> 4;
            }
            case Q3_K -> { // hmask[32], qs[64], scales[12]
                int[] aux = new int[3];
                for (int i = 0; i < 3; i++) aux[i] = w.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), wb + 96 + 4L * i);
                int[] s16 = new int[4];
                s16[0] = (aux[0] & KMASK2) | (((aux[2] >>> 0) & KMASK1) << 4);
                s16[1] = (aux[1] & KMASK2) | (((aux[2] >>> 2) & KMASK1) << 4);
                s16[2] = ((aux[0] >>> 4) & KMASK2) | (((aux[2] >>> 4) & KMASK1) << 4);
                s16[3] = ((aux[1] >>> 4) & KMASK2) | (((aux[2] >>> 6) & KMASK1) << 4);
                for (int v = 0; v < 256; v++) {
                    int n = v / 128, j = (v % 128) / 32, l = v % 32;
                    int low = (u8(w, wb + 32 + n * 32 + l) >> (2 * j)) & 3;
                    boolean high = (u8(w, wb + l) & (1 << (4 * n + j))) != 0;
                    q[v] = low - (high ? 0 : 4);
                    int is = v / 16;
                    sc[v] = ((s16[is / 4] >>> (8 * (is % 4))) & 0xff) - 32;
                }
            }
            case Q4_K, Q5_K -> { // d, dmin, scales[12], (Q5_K: qh[32]), qs[128]
                boolean five = type == GgmlType.Q5_K;
                long qs = wb + (five ? 48 : 16);
                int[] scale = new int[8];
                for (int j = 0; j < 8; j++) {
                    long s = wb + 4;
                    if (j < 4) {
                        scale[j] = u8(w, s + j) & 63;
                        mins[j] = u8(w, s + j + 4) & 63;
                    } else {
                        scale[j] = (u8(w, s + j + 4) & 0xf) | ((u8(w, s + j - 4) >> 6) << 4);
                        mins[j] = (u8(w, s + j + 4) >> 4) | ((u8(w, s + j) >> 6) << 4);
                    }
                }
                for (int v = 0; v < 256; v++) {
                    int c = v / 64, h = (v % 64) / 32, l = v % 32;
                    q[v] = (u8(w, qs + c * 32 + l) >> (4 * h)) & 0xf;
                    if (five) q[v] += ((u8(w, wb + 16 + l) >> (2 * c + h)) & 1) << 4;
                    sc[v] = scale[v / 32];
                }
            }
            case Q6_K -> { // ql[128], qh[64], scales[16] int8
                for (int v = 0; v < 256; v++) {
                    int n = v / 128, k = (v % 128) / 32, l = v % 32;
                    int low = (u8(w, wb + n * 64 + l + 32 * (k & 1)) >> (4 * (k >> 1))) & 0xf;
                    int high = (u8(w, wb + 128 + n * 32 + l) >> (2 * k)) & 3;
                    q[v] = (low | high << 4) - 32;
                    sc[v] = w.get(ValueLayout.JAVA_BYTE, wb + 192 + v / 16);
                }
            }
            case IQ4_XS -> { // d, scales_h (u16), scales_l[4], qs[128]
                int sh = w.get(I16, wb + 2) & 0xffff;
                for (int v = 0; v < 256; v++) {
                    int ib = v / 32, l = v % 32;
                    int nib = (u8(w, wb + 8 + 16 * ib + (l & 15)) >> (l < 16 ? 0 : 4)) & 0xf;
                    q[v] = IQ4NL[nib];
                    sc[v] = (((u8(w, wb + 4 + ib / 2) >> (4 * (ib % 2))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4)) - 32;
                }
            }
            case TQ1_0, TQ2_0 -> { // the ternary digit 0..2 of each value, read back from the exact dequantization
                float[] deq = new float[256];
                dev.hearth.engine.tensor.BlockFormat.of(type).dequantize(w, wb, deq, 0, 256);
                float d = fp16(w, wb + (type == GgmlType.TQ1_0 ? 52 : 64));
                for (int v = 0; v < 256; v++) {
                    q[v] = d == 0 ? 1 : Math.round(deq[v] / d) + 1;
                    sc[v] = 1;
                }
            }
            default -> throw new IllegalArgumentException(type.name());
        }
    }

    private static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xff;
    }

    /** The 32 integer weights of the block at {@code wb}, in value order. */
    private static void values(GgmlType type, MemorySegment w, long wb, int[] v) {
        switch (type) {
            case Q8_0 -> {
                for (int j = 0; j < 32; j++) v[j] = w.get(ValueLayout.JAVA_BYTE, wb + 2 + j);
            }
            case Q4_0 -> nibbles(w, wb + 2, v, -8);
            case Q4_1 -> nibbles(w, wb + 4, v, 0);
            case Q5_0, Q5_1 -> {
                boolean one = type == GgmlType.Q5_1;
                long qh = wb + (one ? 4 : 2);
                int bits = w.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), qh);
                nibbles(w, qh + 4, v, 0);
                for (int j = 0; j < 32; j++) v[j] = (v[j] | ((bits >>> j) & 1) << 4) - (one ? 0 : 16);
            }
            case IQ4_NL -> {
                nibbles(w, wb + 2, v, 0);
                for (int j = 0; j < 32; j++) v[j] = IQ4NL[v[j]];
            }
            default -> throw new IllegalArgumentException(type.name());
        }
    }

    /** Low nibbles of the 16 bytes are values 0..15, high nibbles 16..31. */
    private static void nibbles(MemorySegment w, long qs, int[] v, int offset) {
        for (int j = 0; j < 16; j++) {
            int b = w.get(ValueLayout.JAVA_BYTE, qs + j) & 0xff;
            v[j] = (b & 0x0f) + offset;
            v[j + 16] = (b >>> 4) + offset;
        }
    }

    private static float fp16(MemorySegment s, long o) {
        return Float.float16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), o));
    }
}
