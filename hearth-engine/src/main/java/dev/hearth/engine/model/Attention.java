package dev.hearth.engine.model;

import java.util.Arrays;

/**
 * Causal self-attention of a batch of queries against a {@link KvCache}, reproducing llama.cpp's non-flash path
 * ({@code kq = K·q}, optional soft-cap, {@code softmax(kq·scale + mask)}, {@code kqv = V·softmax}) down to the order
 * of its float sums, as computed by the AVX-512 CPU build that produced the fixtures:
 * <ul>
 *   <li>the KV length llama.cpp attends over is padded to a multiple of 32 ({@code kv_self.n}); the padding and the
 *       masked positions get weight 0, and their place still decides which SIMD lane later positions land in;
 *   <li>{@code K·q} and, for one query, {@code V·w} go through ggml's {@code vec_dot}: four 16-lane accumulators
 *       over 64-value steps, a fixed reduction, the tail added one by one (no FMA: ggml's C is built without contraction); for a batch of queries llamafile's
 *       tinyBLAS computes {@code V·w} (and, with an F16 cache, {@code K·q}) with one 16-lane accumulator per output;
 *   <li>softmax uses ggml's vectorized exp ({@link Exp}) and sums it per 16 lanes into a double;
 *   <li>with an F16 cache the second operand of both products is rounded to fp16 too (Q, the softmax weights).
 * </ul>
 * Bit-identical intermediate values matter because later steps round to fp16/bf16 or quantize: a one-ulp
 * difference that crosses a rounding boundary becomes a visible one.
 */
final class Attention {
    private final int heads, kvHeads, keyLength, valueLength, capacity;
    private final float[] scores, query, key, lanes, row;

    Attention(ModelConfig c, int capacity) {
        this.heads = c.headCount();
        this.kvHeads = c.headCountKv();
        this.keyLength = c.keyLength();
        this.valueLength = c.valueLength();
        this.capacity = capacity;
        this.scores = new float[padded(capacity, capacity)];
        this.query = new float[keyLength];
        this.key = new float[keyLength];
        this.lanes = new float[4 * 16 * Math.max(keyLength, valueLength)];
        this.row = new float[Math.max(keyLength, scores.length)];
    }

    /** llama.cpp's {@code kv_self.n}: the cells in use rounded up to 32 (at least 32), capped by the cache size. */
    private static int padded(int used, int capacity) {
        return Math.min(capacity, Math.max(32, (used + 31) / 32 * 32));
    }

    /**
     * For each of {@code batch} queries at positions {@code p0, p0+1, ...} (row t of {@code q}, heads side by side),
     * attends to cache positions {@code 0 .. p0+t} of {@code layer}, or only the last {@code window} of them when
     * {@code window > 0}, and writes the heads' outputs side by side to row t of {@code out}.
     *
     * @param scale   multiplier of the scores inside the softmax
     * @param softcap {@code c·tanh(s/c)} applied to raw scores when positive
     */
    void run(KvCache cache, int layer, float[] q, int batch, int p0, int window, float scale, float softcap, float[] out) {
        int group = heads / kvHeads;
        int qWidth = heads * keyLength, outWidth = heads * valueLength;
        boolean f16 = cache.type == KvCache.Type.F16;
        boolean tiny = batch >= 2; // llamafile_sgemm handles batches of two or more queries (V·w: if head_dim % 4 == 0)
        boolean tinyV = tiny && valueLength % 4 == 0;
        int nKv = padded(p0 + batch, capacity);
        float capInv = softcap > 0 ? 1.0f / softcap : 0;
        for (int t = 0; t < batch; t++) {
            int pos = p0 + t;
            int first = window > 0 ? Math.max(0, pos - window + 1) : 0; // masked when pos - j >= window
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                int qo = t * qWidth + h * keyLength;
                for (int i = 0; i < keyLength; i++) query[i] = f16 ? round16(q[qo + i]) : q[qo + i];

                float max = Float.NEGATIVE_INFINITY;
                for (int j = first; j <= pos; j++) {
                    int ko = j * cache.kWidth + kvh * keyLength;
                    float s;
                    if (f16) {
                        short[] kc = cache.k16[layer];
                        for (int i = 0; i < keyLength; i++) key[i] = Float.float16ToFloat(kc[ko + i]);
                        s = tiny && keyLength % 16 == 0 ? tinyDot(key, 0, query, 0, keyLength)
                                : vecDot(key, 0, 1, query, keyLength, false);
                    } else {
                        s = vecDot(cache.k32[layer], ko, 1, query, keyLength, true);
                    }
                    if (softcap > 0) s = CMath.tanhf(s * capInv) * softcap;
                    s *= scale;
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                Arrays.fill(scores, 0, first, 0.0f);
                Arrays.fill(scores, pos + 1, nKv, 0.0f);
                double sum = 0;
                for (int c = 0; c < nKv; c += 16) {
                    for (int j = Math.max(c, first); j < Math.min(c + 16, pos + 1); j++) scores[j] = Exp.exp(scores[j] - max);
                    sum += reduce16(scores, c);
                }
                float inv = (float) (1.0 / sum);
                for (int j = first; j <= pos; j++) {
                    float w = scores[j] * inv;
                    scores[j] = f16 ? round16(w) : w;
                }

                int oo = t * outWidth + h * valueLength;
                int vo = kvh * valueLength;
                if (tinyV) {
                    weightedSumTiny(cache, layer, vo, first, pos, out, oo);
                } else {
                    for (int d = 0; d < valueLength; d++) {
                        // column d of V over positions 0..nKv-1 (zeros outside first..pos carry weight 0)
                        for (int j = 0; j < nKv; j++) row[j] = j >= first && j <= pos ? value(cache, layer, j, vo + d) : 0.0f;
                        out[oo + d] = vecDot(row, 0, 1, scores, nKv, !f16);
                    }
                }
            }
        }
    }

    private static float value(KvCache cache, int layer, int pos, int i) {
        return cache.type == KvCache.Type.F16
                ? Float.float16ToFloat(cache.v16[layer][pos * cache.vWidth + i])
                : cache.v32[layer][pos * cache.vWidth + i];
    }

    /** tinyBLAS's {@code V·w}: per output, lane l accumulates positions j ≡ l (mod 16) with FMA; then reduced. */
    private void weightedSumTiny(KvCache cache, int layer, int vo, int first, int pos, float[] out, int oo) {
        Arrays.fill(lanes, 0, 16 * valueLength, 0.0f);
        for (int j = first; j <= pos; j++) {
            float w = scores[j];
            int l = (j & 15) * valueLength;
            for (int d = 0; d < valueLength; d++) lanes[l + d] = Math.fma(value(cache, layer, j, vo + d), w, lanes[l + d]);
        }
        float[] lane = new float[16];
        for (int d = 0; d < valueLength; d++) {
            for (int l = 0; l < 16; l++) lane[l] = lanes[l * valueLength + d];
            out[oo + d] = reduce16(lane, 0);
        }
    }

    /** {@code _mm512_reduce_add_ps} of 16 values: halves added pairwise down to one. */
    static float reduce16(float[] a, int o) {
        float t0 = a[o] + a[o + 8], t1 = a[o + 1] + a[o + 9], t2 = a[o + 2] + a[o + 10], t3 = a[o + 3] + a[o + 11];
        float t4 = a[o + 4] + a[o + 12], t5 = a[o + 5] + a[o + 13], t6 = a[o + 6] + a[o + 14], t7 = a[o + 7] + a[o + 15];
        float u0 = t0 + t4, u1 = t1 + t5, u2 = t2 + t6, u3 = t3 + t7;
        return (u0 + u2) + (u1 + u3);
    }

    /** tinyBLAS's dot: one 16-lane FMA accumulator, {@code n} a multiple of 16. */
    static float tinyDot(float[] a, int ao, float[] b, int bo, int n) {
        float[] acc = new float[16];
        for (int l = 0; l < n; l += 16) {
            for (int i = 0; i < 16; i++) acc[i] = Math.fma(a[ao + l + i], b[bo + l + i], acc[i]);
        }
        return reduce16(acc, 0);
    }

    /**
     * ggml's {@code vec_dot_f32} / {@code vec_dot_f16} on AVX-512: four 16-lane FMA accumulators over each 64-value
     * step, reduced (0+2, 1+3, then 0+1, then across lanes); the tail after the last whole step added one value at a
     * time, in float for F32 ({@code floatTail}), in double for F16.
     */
    static float vecDot(float[] a, int ao, int unused, float[] b, int n, boolean floatTail) {
        int np = n & ~63;
        float sumf = 0;
        if (np > 0) {
            float[] acc = new float[64];
            for (int i = 0; i < np; i += 64) {
                for (int k = 0; k < 64; k++) acc[k] = Math.fma(a[ao + i + k], b[i + k], acc[k]);
            }
            for (int k = 0; k < 16; k++) {
                acc[k] += acc[32 + k];
                acc[16 + k] += acc[48 + k];
            }
            for (int k = 0; k < 16; k++) acc[k] += acc[16 + k];
            sumf = reduce16(acc, 0);
        }
        if (floatTail) {
            for (int i = np; i < n; i++) sumf += a[ao + i] * b[i];
            return sumf;
        }
        double sum = sumf;
        for (int i = np; i < n; i++) sum += a[ao + i] * b[i];
        return (float) sum;
    }

    private static float round16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }
}
