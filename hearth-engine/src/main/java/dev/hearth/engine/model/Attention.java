package dev.hearth.engine.model;

import java.util.Arrays;

/**
 * Causal self-attention of a batch of queries against a {@link KvCache}, reproducing llama.cpp's non-flash path
 * ({@code kq = K·q}, optional soft-cap, {@code softmax(kq·scale + mask)}, {@code kqv = V·softmax}) down to the order
 * of its float operations, as computed by the AVX-512 CPU build that produced the fixtures:
 * <ul>
 *   <li>the KV length llama.cpp attends over is padded to a multiple of 32 ({@code kv_self.n}); the padding and the
 *       masked positions get weight 0, and their place still decides which SIMD lane later positions land in;
 *   <li>{@code K·q} and, for one query, {@code V·w} go through ggml's {@code vec_dot}: four 16-lane accumulators
 *       over 64-value steps, a fixed reduction, the tail added one by one (no FMA); for a batch of queries
 *       llamafile's tinyBLAS computes {@code V·w} (and, with an F16 cache, {@code K·q}) with one 16-lane FMA
 *       accumulator per output;
 *   <li>softmax uses ggml's vectorized exp ({@link Exp}) and sums it per 16 lanes into a double;
 *   <li>with an F16 cache the second operand of both products is rounded to fp16 too (Q, the softmax weights).
 * </ul>
 * Bit-identical intermediate values matter because later steps round to fp16/bf16 or quantize: a one-ulp
 * difference that crosses a rounding boundary becomes a visible one. The per-lane loops run over the head
 * dimension, which the JIT vectorizes. Allocates nothing after construction.
 *
 * <p>A {@link KvCache.Type#Q8_0} cache follows the arithmetic of llama.cpp's CPU flash attention (which llama.cpp
 * needs for a quantized V cache), not its operation order, and no fixture checks it: each head of q is quantized to
 * Q8_0 like the keys ({@link KvCache#quantize}), and {@code K·q} is, per block of 32, the integer sum of the quant
 * products times {@code d_k·d_q}, summed in float ({@code ggml_vec_dot_q8_0_q8_0}); the softmax is the F32 one; and
 * {@code V·w} dequantizes each value ({@code q·d} in float) and accumulates {@code v·w} with FMA in float, position
 * after position.
 */
final class Attention {
    private final int heads, kvHeads, keyLength, valueLength, capacity;
    private final float[] scores, query, key, acc64, lanes;
    private final byte[] queryQuants; // q of one head as Q8_0, for a Q8_0 cache
    private final short[] queryScales;

    Attention(ModelConfig c, int capacity) {
        this.heads = c.headCount();
        this.kvHeads = c.headCountKv();
        this.keyLength = c.keyLength();
        this.valueLength = c.valueLength();
        this.capacity = capacity;
        this.scores = new float[padded(capacity, capacity)];
        this.query = new float[keyLength];
        this.key = new float[keyLength];
        this.acc64 = new float[64];
        this.lanes = new float[64 * valueLength];
        this.queryQuants = new byte[keyLength];
        this.queryScales = new short[keyLength / KvCache.QK];
    }

    /**
     * llama.cpp's {@code kv_self.n}: the cells in use rounded up to 32 (at least 32), capped by the cache size, which
     * llama.cpp itself rounds up to a multiple of 32.
     */
    static int padded(int used, int capacity) {
        return Math.min((capacity + 31) / 32 * 32, Math.max(32, (used + 31) / 32 * 32));
    }

    /**
     * For each of {@code batch} queries at positions {@code p0, p0+1, ...} (row {@code row0+t} of {@code q}, heads side by side),
     * attends to cache positions {@code 0 .. p0+t} of {@code layer}, or only the last {@code window} of them when
     * {@code window > 0}, and writes the heads' outputs side by side to row {@code row0+t} of {@code out}.
     *
     * @param scale   multiplier of the scores inside the softmax
     * @param softcap {@code c·tanh(s/c)} applied to raw scores when positive
     */
    void run(KvCache cache, int layer, float[] q, int row0, int batch, int p0, int window, float scale, float softcap, float[] out) {
        run(cache, layer, q, row0, batch, p0, window, scale, softcap, out, 0, heads);
    }

    /** As above for heads {@code hFrom .. hTo-1} only (each head is computed on its own: the same results). */
    void run(KvCache cache, int layer, float[] q, int row0, int batch, int p0, int window, float scale, float softcap, float[] out,
             int hFrom, int hTo) {
        int group = heads / kvHeads;
        int qWidth = heads * keyLength, outWidth = heads * valueLength;
        boolean f16 = cache.type == KvCache.Type.F16, q8 = cache.type == KvCache.Type.Q8_0;
        boolean tiny = batch >= 2; // llamafile_sgemm takes batches of two or more queries ...
        boolean tinyK = f16 && tiny && keyLength % 16 == 0; // ... for K·q only once Q is fp16, k a multiple of 16
        boolean tinyV = tiny && valueLength % 4 == 0; // ... for V·w when head_dim (its row count) is a multiple of 4
        int nKv = padded(p0 + batch, capacity);
        float capInv = softcap > 0 ? 1.0f / softcap : 0;
        for (int t = 0; t < batch; t++) {
            int pos = p0 + t;
            int first = window > 0 ? Math.max(0, pos - window + 1) : 0; // masked when pos - j >= window
            for (int h = hFrom; h < hTo; h++) {
                int kvh = h / group;
                int qo = (row0 + t) * qWidth + h * keyLength;
                if (q8) {
                    KvCache.quantize(q, qo, keyLength, queryQuants, 0, queryScales, 0);
                } else {
                    for (int i = 0; i < keyLength; i++) query[i] = f16 ? round16(q[qo + i]) : q[qo + i];
                }

                float max = Float.NEGATIVE_INFINITY;
                for (int j = first; j <= pos; j++) {
                    int ko = j * cache.kWidth + kvh * keyLength;
                    float s;
                    if (q8) {
                        s = dotQ8_0(cache.k8[layer], cache.kScale[layer], ko);
                    } else if (f16) {
                        short[] kc = cache.k16[layer];
                        for (int i = 0; i < keyLength; i++) key[i] = Float.float16ToFloat(kc[ko + i]);
                        s = tinyK ? tinyDot(key, query, keyLength) : vecDot(key, 0, query, keyLength, false);
                    } else {
                        s = vecDot(cache.k32[layer], ko, query, keyLength, true);
                    }
                    if (softcap > 0) s = CMath.tanhf(s * capInv) * softcap;
                    s *= scale;
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                softmax(first, pos, nKv, max, f16);

                int oo = (row0 + t) * outWidth + h * valueLength, vo = kvh * valueLength;
                if (q8) {
                    weightedSumQ8_0(cache.v8[layer], cache.vScale[layer], cache.vWidth, vo, first, pos, out, oo);
                } else if (tinyV) {
                    weightedSumTiny(cache, layer, vo, first, pos, out, oo);
                } else {
                    weightedSumVecDot(cache, layer, vo, first, pos, nKv, !f16, out, oo);
                }
            }
        }
    }

    /**
     * {@code scores[first..pos]} become softmax weights, zeros elsewhere up to {@code nKv}: ggml's exp per 16 lanes,
     * each group of 16 summed ({@link #reduce16}) into a double, scaled by {@code (float) (1/sum)}.
     */
    private void softmax(int first, int pos, int nKv, float max, boolean f16) {
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
    }

    private float value(KvCache cache, int layer, int index) {
        return cache.type == KvCache.Type.F16 ? Float.float16ToFloat(cache.v16[layer][index]) : cache.v32[layer][index];
    }

    /** tinyBLAS's {@code V·w}: per output, lane l accumulates positions j ≡ l (mod 16) with FMA; then reduced. */
    private void weightedSumTiny(KvCache cache, int layer, int vo, int first, int pos, float[] out, int oo) {
        int dv = valueLength;
        Arrays.fill(lanes, 0, 16 * dv, 0.0f);
        for (int j = first; j <= pos; j++) {
            float w = scores[j];
            int l = (j & 15) * dv, src = j * cache.vWidth + vo;
            if (cache.type == KvCache.Type.F16) {
                short[] vc = cache.v16[layer];
                for (int d = 0; d < dv; d++) lanes[l + d] = Math.fma(Float.float16ToFloat(vc[src + d]), w, lanes[l + d]);
            } else {
                float[] vc = cache.v32[layer];
                for (int d = 0; d < dv; d++) lanes[l + d] = Math.fma(vc[src + d], w, lanes[l + d]);
            }
        }
        reduceLanes(lanes, out, oo);
    }

    /**
     * ggml's {@code vec_dot} of each column of V with the weights, over {@code nKv} positions: position j of each
     * whole 64-step goes to accumulator {@code (j/16) % 4}, lane {@code j % 16}; the tail after the last whole step is
     * added one position at a time (in float for F32, in double for F16).
     */
    private void weightedSumVecDot(KvCache cache, int layer, int vo, int first, int pos, int nKv, boolean floatTail,
                                   float[] out, int oo) {
        int dv = valueLength, np = nKv & ~63;
        if (np > 0) {
            Arrays.fill(lanes, 0, 64 * dv, 0.0f);
            for (int j = first; j <= Math.min(pos, np - 1); j++) {
                float w = scores[j];
                int l = (j & 63) * dv, src = j * cache.vWidth + vo;
                for (int d = 0; d < dv; d++) lanes[l + d] = Math.fma(value(cache, layer, src + d), w, lanes[l + d]);
            }
            // accumulators a (rows 16a..16a+15): a0 += a2, a1 += a3, a0 += a1, then across the 16 lanes
            for (int i = 0; i < 16 * dv; i++) {
                lanes[i] += lanes[32 * dv + i];
                lanes[16 * dv + i] += lanes[48 * dv + i];
            }
            for (int i = 0; i < 16 * dv; i++) lanes[i] += lanes[16 * dv + i];
            reduceLanes(lanes, out, oo);
        } else {
            Arrays.fill(out, oo, oo + dv, 0.0f);
        }
        // the tail, positions np..nKv-1 one after the other (those outside first..pos would add zero products)
        int from = Math.max(np, first);
        if (floatTail) {
            float[] vc = cache.v32[layer];
            for (int j = from; j <= pos; j++) {
                float w = scores[j];
                int src = j * cache.vWidth + vo;
                for (int d = 0; d < dv; d++) out[oo + d] += vc[src + d] * w;
            }
        } else {
            tailF16(cache, layer, vo, from, pos, out, oo);
        }
    }

    /** F16 {@code vec_dot} tail: {@code out[d] = (float) ((double) out[d] + Σ_j v·w)}, summed in double. */
    private void tailF16(KvCache cache, int layer, int vo, int from, int pos, float[] out, int oo) {
        for (int d = 0; d < valueLength; d++) {
            double sum = out[oo + d];
            for (int j = from; j <= pos; j++) {
                sum += Float.float16ToFloat(cache.v16[layer][j * cache.vWidth + vo + d]) * scores[j];
            }
            out[oo + d] = (float) sum;
        }
    }

    /**
     * {@code ggml_vec_dot_q8_0_q8_0} of the key at {@code ko} (a block boundary) with the quantized query: per block
     * the exact integer sum of the quant products, scaled by {@code d_k·d_q}, added up in float.
     */
    private float dotQ8_0(byte[] quants, short[] scales, int ko) {
        float sum = 0;
        for (int b = 0; b < keyLength / KvCache.QK; b++) {
            int k = ko + b * KvCache.QK, x = b * KvCache.QK;
            int dot = 0;
            for (int i = 0; i < KvCache.QK; i++) dot += quants[k + i] * queryQuants[x + i];
            sum += dot * (Float.float16ToFloat(scales[ko / KvCache.QK + b]) * Float.float16ToFloat(queryScales[b]));
        }
        return sum;
    }

    /** {@code V·w} from a Q8_0 cache: each value dequantized ({@code q·d}) and accumulated with FMA, in float. */
    private void weightedSumQ8_0(byte[] quants, short[] scales, int width, int vo, int first, int pos, float[] out, int oo) {
        Arrays.fill(out, oo, oo + valueLength, 0.0f);
        for (int j = first; j <= pos; j++) {
            float w = scores[j];
            int src = j * width + vo;
            for (int b = 0; b < valueLength / KvCache.QK; b++) {
                int v = src + b * KvCache.QK, o = oo + b * KvCache.QK;
                float d = Float.float16ToFloat(scales[v / KvCache.QK]);
                for (int i = 0; i < KvCache.QK; i++) out[o + i] = Math.fma(quants[v + i] * d, w, out[o + i]);
            }
        }
    }

    /** Rows 0..15 of {@code lanes} (each {@code valueLength} wide) reduced like {@link #reduce16}, per column. */
    private void reduceLanes(float[] lanes, float[] out, int oo) {
        int dv = valueLength;
        for (int i = 0; i < 8 * dv; i++) lanes[i] += lanes[8 * dv + i];
        for (int i = 0; i < 4 * dv; i++) lanes[i] += lanes[4 * dv + i];
        for (int d = 0; d < dv; d++) out[oo + d] = (lanes[d] + lanes[2 * dv + d]) + (lanes[dv + d] + lanes[3 * dv + d]);
    }

    /** {@code _mm512_reduce_add_ps} of 16 values: halves added pairwise down to one. */
    static float reduce16(float[] a, int o) {
        float t0 = a[o] + a[o + 8], t1 = a[o + 1] + a[o + 9], t2 = a[o + 2] + a[o + 10], t3 = a[o + 3] + a[o + 11];
        float t4 = a[o + 4] + a[o + 12], t5 = a[o + 5] + a[o + 13], t6 = a[o + 6] + a[o + 14], t7 = a[o + 7] + a[o + 15];
        float u0 = t0 + t4, u1 = t1 + t5, u2 = t2 + t6, u3 = t3 + t7;
        return (u0 + u2) + (u1 + u3);
    }

    /** tinyBLAS's dot: one 16-lane FMA accumulator, {@code n} a multiple of 16. */
    private float tinyDot(float[] a, float[] b, int n) {
        Arrays.fill(acc64, 0, 16, 0.0f);
        for (int l = 0; l < n; l += 16) {
            for (int i = 0; i < 16; i++) acc64[i] = Math.fma(a[l + i], b[l + i], acc64[i]);
        }
        return reduce16(acc64, 0);
    }

    /**
     * ggml's {@code vec_dot_f32} / {@code vec_dot_f16} on AVX-512: four 16-lane FMA accumulators over each 64-value
     * step, reduced (0+2, 1+3, then 0+1, then across lanes); the tail after the last whole step added one value at a
     * time, in float for F32 ({@code floatTail}), in double for F16.
     */
    private float vecDot(float[] a, int ao, float[] b, int n, boolean floatTail) {
        int np = n & ~63;
        float sumf = 0;
        if (np > 0) {
            Arrays.fill(acc64, 0.0f);
            for (int i = 0; i < np; i += 64) {
                for (int k = 0; k < 64; k++) acc64[k] = Math.fma(a[ao + i + k], b[i + k], acc64[k]);
            }
            for (int k = 0; k < 16; k++) {
                acc64[k] += acc64[32 + k];
                acc64[16 + k] += acc64[48 + k];
            }
            for (int k = 0; k < 16; k++) acc64[k] += acc64[16 + k];
            sumf = reduce16(acc64, 0);
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
