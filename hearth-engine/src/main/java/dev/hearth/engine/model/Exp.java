package dev.hearth.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml's vectorized {@code expf} ({@code ggml_v_expf}, AVX-512/AVX2 and NEON share the algorithm): softmax and SiLU
 * use it in llama.cpp, and it differs from a correctly rounded exp by up to ~1.5 ulp. Reproducing it operation for
 * operation (the fused multiply-adds included) makes attention weights and SiLU outputs bit-identical to llama.cpp's,
 * which matters downstream where values get rounded to fp16/bf16 or quantized.
 */
final class Exp {
    private Exp() {}

    private static final float SHIFT = 0x1.8p23f;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    static float exp(float x) {
        float z = Math.fma(x, 0x1.715476p+0f, SHIFT);
        float n = z - SHIFT;
        float b = Math.fma(-n, 0x1.7f7d1cp-20f, Math.fma(-n, 0x1.62e4p-1f, x));
        if (Math.abs(n) > 192) return n <= 0 ? 0.0f : Float.POSITIVE_INFINITY;
        if (Float.isNaN(n)) return Float.NaN;
        float u = b * b;
        float j = Math.fma(
                Math.fma(Math.fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, Math.fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                u,
                Math.fma(0x1.ffffecp-1f, b, 1.0f));
        return Math.scalb(j, (int) n);
    }

    /** ggml's SiLU, {@code x / (1 + exp(−x))} with {@link #exp}. */
    static float silu(float x) {
        return x / (1.0f + exp(0.0f - x));
    }

    /** {@code a[i] = exp(a[i] − shift)} for i in {@code [from, to)}, 16 at a time: the same bits as {@link #exp}. */
    static void expShifted(float[] a, int from, int to, float shift) {
        int i = from;
        for (; i <= to - 16; i += 16) {
            FloatVector x = FloatVector.fromArray(F, a, i).sub(shift);
            FloatVector e = exp(x);
            if (e != null) {
                e.intoArray(a, i);
            } else {
                for (int l = i; l < i + 16; l++) a[l] = exp(a[l] - shift);
            }
        }
        for (; i < to; i++) a[i] = exp(a[i] - shift);
    }

    /** {@code a[i] = silu(a[i])} for i in {@code [from, to)}, 16 at a time: the same bits as {@link #silu(float)}. */
    static void silu(float[] a, int from, int to) {
        int i = from;
        for (; i <= to - 16; i += 16) {
            FloatVector x = FloatVector.fromArray(F, a, i);
            FloatVector e = exp(FloatVector.zero(F).sub(x));
            if (e != null) {
                x.div(e.add(1.0f)).intoArray(a, i);
            } else {
                for (int l = i; l < i + 16; l++) a[l] = silu(a[l]);
            }
        }
        for (; i < to; i++) a[i] = silu(a[i]);
    }

    /**
     * {@link #exp} of 16 values, or null when one of them needs the scalar path: a NaN, or a power of two {@code n}
     * outside the normal range, where {@code 2^n} is not a float (the vector path multiplies by it).
     */
    private static FloatVector exp(FloatVector x) {
        FloatVector n = x.fma(0x1.715476p+0f, SHIFT).sub(SHIFT);
        VectorMask<Float> odd = n.compare(VectorOperators.LT, -126f).or(n.compare(VectorOperators.GT, 127f)).or(x.test(VectorOperators.IS_NAN));
        if (odd.anyTrue()) return null;
        FloatVector m = n.neg();
        FloatVector b = m.fma(FloatVector.broadcast(F, 0x1.7f7d1cp-20f), m.fma(FloatVector.broadcast(F, 0x1.62e4p-1f), x));
        FloatVector u = b.mul(b);
        FloatVector j = b.fma(0x1.0e4020p-7f, 0x1.573e2ep-5f).fma(u, b.fma(0x1.555e66p-3f, 0x1.fffdb6p-2f))
                .fma(u, b.fma(0x1.ffffecp-1f, 1.0f));
        FloatVector pow2 = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return j.mul(pow2);
    }
}
