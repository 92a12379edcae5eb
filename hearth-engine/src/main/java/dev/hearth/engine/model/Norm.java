package dev.hearth.engine.model;

/**
 * RMSNorm or LayerNorm over rows of {@code n} values, then {@code · weight + bias} (either may be absent), with
 * ggml's arithmetic: sums in double, the mean and the scale in float, the scale applied before the weight.
 * Weights and bias hold a whole number of rows and are used cyclically: a per-head q/k norm has one head's weights
 * (Qwen3, Gemma 3: the same for every head) or one set per head (StableLM 2), and rows are heads.
 */
record Norm(Architecture.Norm kind, float eps, float[] weight, float[] bias) {

    Norm {
        if (weight != null && bias != null && weight.length != bias.length) {
            throw new IllegalArgumentException("norm weight of " + weight.length + " values, bias of " + bias.length);
        }
    }

    /**
     * Normalizes {@code rows} rows of {@code n} values from {@code src} into {@code dst} (may be the same array);
     * {@code n} divides the weight length.
     */
    void apply(float[] src, int srcOff, float[] dst, int dstOff, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            int s = srcOff + r * n, d = dstOff + r * n;
            if (kind == Architecture.Norm.RMS) {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += src[s + i] * src[s + i];
                float mean = (float) (sum / n);
                float scale = 1.0f / (float) Math.sqrt(mean + eps);
                for (int i = 0; i < n; i++) dst[d + i] = src[s + i] * scale;
            } else {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += src[s + i];
                float mean = (float) (sum / n);
                double sum2 = 0;
                for (int i = 0; i < n; i++) {
                    float v = src[s + i] - mean;
                    dst[d + i] = v;
                    sum2 += v * v;
                }
                float variance = (float) (sum2 / n);
                float scale = 1.0f / (float) Math.sqrt(variance + eps);
                for (int i = 0; i < n; i++) dst[d + i] *= scale;
            }
            if (weight != null) {
                int w = (r * n) % weight.length;
                for (int i = 0; i < n; i++) dst[d + i] *= weight[w + i];
            }
            if (bias != null) {
                int b = (r * n) % bias.length;
                for (int i = 0; i < n; i++) dst[d + i] += bias[b + i];
            }
        }
    }
}
