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
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL -> true;
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
