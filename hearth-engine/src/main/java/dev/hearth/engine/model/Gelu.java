package dev.hearth.engine.model;

/**
 * ggml's CPU GELU: the tanh approximation {@code 0.5x(1 + tanh(sqrt(2/π)(x + 0.044715x³)))}, evaluated through a
 * table over every fp16 value (x rounded to fp16, the fp16-rounded result looked up), with x ≤ −10 → 0 and
 * x ≥ 10 → x. Computing it exactly in float instead differs from llama.cpp by up to ~1e-3 relative per element.
 */
final class Gelu {
    private Gelu() {}

    private static final float COEF_A = 0.044715f;
    private static final float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;

    /** Indexed by fp16 bits; the fp16 result widened to float. */
    private static final float[] TABLE = new float[1 << 16];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            float x = Float.float16ToFloat((short) i);
            // ggml's table is computed by C compiled for an FMA target: 1 + a·x·x is fused
            float g = 0.5f * x * (1.0f + CMath.tanhf(SQRT_2_OVER_PI * x * Math.fma(COEF_A * x, x, 1.0f)));
            TABLE[i] = Float.float16ToFloat(Float.floatToFloat16(g));
        }
    }

    static float apply(float x) {
        if (x <= -10.0f) return 0.0f;
        if (x >= 10.0f) return x;
        return TABLE[Float.floatToFloat16(x) & 0xffff];
    }

    static void apply(float[] x, int from, int to) {
        for (int i = from; i < to; i++) x[i] = apply(x[i]);
    }
}
