package dev.hearth.engine.model;

import dev.hearth.engine.model.Architecture.RopeStyle;

/**
 * Rotary position embedding with ggml's arithmetic ({@code ggml_compute_forward_rope_f32}): the angle of pair i is
 * {@code p · base^(−2i/dims)}, computed as a running float product like ggml (not with pow per pair, which rounds
 * differently), divided by a per-pair frequency factor when the model has one (llama3 {@code rope_freqs}, Phi-3
 * long/short factors), then scaled and blended by YaRN when {@code extFactor != 0}.
 *
 * @param dims            rotated dimensions per head (the rest pass through)
 * @param freqScale       1 / linear scaling factor
 * @param extFactor       YaRN extrapolation mix (0 off)
 * @param attnFactor      magnitude scale of cos and sin
 * @param originalContext context the model was trained with (YaRN correction dims)
 */
public record Rope(RopeStyle style, int dims, float base, float freqScale, float extFactor, float attnFactor,
                   int originalContext, float betaFast, float betaSlow) {

    public Rope {
        if (dims <= 0 || dims % 2 != 0) throw new IllegalArgumentException("rope dimension count must be even and positive, got " + dims);
    }

    /** {@code cs[2i] = cos θ_i}, {@code cs[2i+1] = sin θ_i} at position {@code pos}; {@code factors} may be null. */
    void angles(int pos, float[] factors, float[] cs) {
        float thetaScale = CMath.powf(base, -2.0f / dims);
        float corr0 = 0, corr1 = 0;
        if (extFactor != 0) {
            corr0 = Math.max(0, (float) Math.floor(corrDim(betaFast)));
            corr1 = Math.min(dims - 1, (float) Math.ceil(corrDim(betaSlow)));
        }
        float theta = pos;
        for (int i0 = 0; i0 < dims; i0 += 2) {
            float ff = factors != null ? factors[i0 / 2] : 1.0f;
            float extrap = theta / ff;
            float interp = freqScale * extrap;
            float t = interp, mscale = attnFactor;
            if (extFactor != 0) {
                float y = (i0 / 2 - corr0) / Math.max(0.001f, corr1 - corr0);
                float rampMix = (1 - Math.min(1, Math.max(0, y))) * extFactor;
                t = interp * (1 - rampMix) + extrap * rampMix;
                mscale *= 1.0f + 0.1f * CMath.logf(1.0f / freqScale);
            }
            cs[i0] = CMath.cosf(t) * mscale;
            cs[i0 + 1] = CMath.sinf(t) * mscale;
            theta *= thetaScale;
        }
    }

    private float corrDim(float nRot) {
        return dims * CMath.logf(originalContext / (nRot * 2 * (float) Math.PI)) / (2 * CMath.logf(base));
    }

    /**
     * Rotates the head at {@code x[off .. off + headDim)} in place with angles from {@link #angles}. The first product
     * of each rotated value is fused with the sum, as GCC compiles ggml's {@code x0*cos - x1*sin} for an FMA target
     * (the fixtures' F16/BF16 models match bit for bit only this way).
     */
    void rotate(float[] x, int off, float[] cs) {
        if (style == RopeStyle.NEOX) {
            int half = dims / 2;
            for (int i = 0; i < half; i++) {
                float c = cs[2 * i], s = cs[2 * i + 1];
                float x0 = x[off + i], x1 = x[off + i + half];
                x[off + i] = Math.fma(x0, c, -(x1 * s));
                x[off + i + half] = Math.fma(x0, s, x1 * c);
            }
        } else {
            for (int i = 0; i < dims; i += 2) {
                float c = cs[i], s = cs[i + 1];
                float x0 = x[off + i], x1 = x[off + i + 1];
                x[off + i] = Math.fma(x0, c, -(x1 * s));
                x[off + i + 1] = Math.fma(x0, s, x1 * c);
            }
        }
    }
}
