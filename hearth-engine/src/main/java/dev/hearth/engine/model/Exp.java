package dev.hearth.engine.model;

/**
 * ggml's vectorized {@code expf} ({@code ggml_v_expf}, AVX-512/AVX2 and NEON share the algorithm): softmax and SiLU
 * use it in llama.cpp, and it differs from a correctly rounded exp by up to ~1.5 ulp. Reproducing it operation for
 * operation (the fused multiply-adds included) makes attention weights and SiLU outputs bit-identical to llama.cpp's,
 * which matters downstream where values get rounded to fp16/bf16 or quantized.
 */
final class Exp {
    private Exp() {}

    private static final float SHIFT = 0x1.8p23f;

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
}
