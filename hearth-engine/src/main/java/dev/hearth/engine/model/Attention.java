package dev.hearth.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
 * difference that crosses a rounding boundary becomes a visible one.
 *
 * <p>Each score is a dot product with its own fixed reduction order, so the scores of 16 keys are computed side by
 * side, one key per vector lane: per call and KV head, the keys are copied (as floats) into tiles of 16 positions,
 * dimension-major ({@code keyTiles[tile][d][lane]}), so every step of the dot product, including the final
 * reduction across its 16 lanes, is one lane-wise vector operation for 16 keys. The values are converted to float
 * once per call and KV head too, not once per query head. Scratch grows with the positions used, then allocates
 * nothing.
 *
 * <p>A {@link KvCache.Type#Q8_0} cache follows the arithmetic of llama.cpp's CPU flash attention (which llama.cpp
 * needs for a quantized V cache), not its operation order, and no fixture checks it: each head of q is quantized to
 * Q8_0 like the keys ({@link KvCache#quantize}), and {@code K·q} is, per block of 32, the integer sum of the quant
 * products times {@code d_k·d_q}, summed in float ({@code ggml_vec_dot_q8_0_q8_0}); the softmax is the F32 one; and
 * {@code V·w} dequantizes each value ({@code q·d} in float) and accumulates {@code v·w} with FMA in float, position
 * after position.
 */
final class Attention {
    private static final VectorSpecies<Float> KEYS = FloatVector.SPECIES_512;
    private static final int TILE = 16; // keys per tile: one per lane of KEYS
    private final int heads, kvHeads, keyLength, valueLength, capacity;
    private final float[] scores, query, lanes;
    private final float[] dotLanes = new float[TILE * TILE]; // [dot lane i][key]: each key's 16 accumulators before the reduction
    private float[] keyTiles = new float[0], values = new float[0];
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
        int lo = window > 0 ? Math.max(0, p0 - window + 1) : 0, hi = p0 + batch - 1; // positions any query sees
        for (int kvh = hFrom / group; kvh <= (hTo - 1) / group; kvh++) {
            if (!q8) load(cache, layer, kvh, lo, hi);
            for (int h = Math.max(hFrom, kvh * group); h < Math.min(hTo, (kvh + 1) * group); h++) {
                for (int t = 0; t < batch; t++) {
                    int pos = p0 + t;
                    int first = window > 0 ? Math.max(0, pos - window + 1) : 0; // masked when pos - j >= window
                    int qo = (row0 + t) * qWidth + h * keyLength;
                    if (q8) {
                        KvCache.quantize(q, qo, keyLength, queryQuants, 0, queryScales, 0);
                        for (int j = first; j <= pos; j++) {
                            scores[j] = dotQ8_0(cache.k8[layer], cache.kScale[layer], j * cache.kWidth + kvh * keyLength);
                        }
                    } else {
                        for (int i = 0; i < keyLength; i++) query[i] = f16 ? round16(q[qo + i]) : q[qo + i];
                        for (int tile = first / TILE; tile <= pos / TILE; tile++) {
                            if (tinyK) scoreTileTiny(tile);
                            else scoreTileVecDot(tile, !f16);
                        }
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = first; j <= pos; j++) {
                        float s = scores[j];
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
                        weightedSumTiny(first, pos, out, oo);
                    } else {
                        weightedSumVecDot(first, pos, nKv, !f16, out, oo);
                    }
                }
            }
        }
    }

    /**
     * Keys of KV head {@code kvh} at positions {@code lo..hi} into {@link #keyTiles} (the rest of their first and
     * last tiles zero), their values into {@link #values} ({@code [pos][valueLength]}), as floats.
     */
    private void load(KvCache cache, int layer, int kvh, int lo, int hi) {
        int tiles = hi / TILE + 1;
        if (keyTiles.length < tiles * TILE * keyLength) keyTiles = new float[Math.min(padded(capacity, capacity), 2 * tiles * TILE) * keyLength];
        if (values.length < (hi + 1) * valueLength) values = new float[Math.min(capacity, 2 * (hi + 1)) * valueLength];
        boolean f16 = cache.type == KvCache.Type.F16;
        for (int j = lo / TILE * TILE; j < tiles * TILE; j++) {
            int dst = j / TILE * TILE * keyLength + j % TILE, src = j * cache.kWidth + kvh * keyLength;
            if (j < lo || j > hi) {
                for (int d = 0; d < keyLength; d++) keyTiles[dst + d * TILE] = 0;
            } else if (f16) {
                short[] kc = cache.k16[layer];
                for (int d = 0; d < keyLength; d++) keyTiles[dst + d * TILE] = Float.float16ToFloat(kc[src + d]);
            } else {
                float[] kc = cache.k32[layer];
                for (int d = 0; d < keyLength; d++) keyTiles[dst + d * TILE] = kc[src + d];
            }
        }
        for (int j = lo; j <= hi; j++) {
            int src = j * cache.vWidth + kvh * valueLength, dst = j * valueLength;
            if (f16) {
                short[] vc = cache.v16[layer];
                for (int d = 0; d < valueLength; d++) values[dst + d] = Float.float16ToFloat(vc[src + d]);
            } else {
                System.arraycopy(cache.v32[layer], src, values, dst, valueLength);
            }
        }
    }

    /** tinyBLAS's dot ({@code K·q} for a batch with an F16 cache): one 16-lane FMA accumulator, then {@link #reduce16}. */
    private void scoreTileTiny(int tile) {
        int base = tile * TILE * keyLength;
        for (int i = 0; i < TILE; i++) {
            FloatVector a = FloatVector.zero(KEYS);
            for (int d = i; d < keyLength; d += TILE) {
                a = FloatVector.fromArray(KEYS, keyTiles, base + d * TILE).fma(FloatVector.broadcast(KEYS, query[d]), a);
            }
            a.intoArray(dotLanes, i * TILE);
        }
        reduceDotLanes().intoArray(scores, tile * TILE);
    }

    /**
     * ggml's {@code vec_dot_f32} / {@code vec_dot_f16} on AVX-512: four 16-lane FMA accumulators over each 64-value
     * step, reduced (0+2, 1+3, then 0+1, then across lanes); the tail after the last whole step added one value at a
     * time, in float for F32 ({@code floatTail}), in double for F16.
     */
    private void scoreTileVecDot(int tile, boolean floatTail) {
        int base = tile * TILE * keyLength, np = keyLength & ~63;
        FloatVector sum = FloatVector.zero(KEYS);
        if (np > 0) {
            for (int i = 0; i < TILE; i++) {
                FloatVector a0 = FloatVector.zero(KEYS), a1 = a0, a2 = a0, a3 = a0;
                for (int d = i; d < np; d += 64) {
                    a0 = key(base, d).fma(FloatVector.broadcast(KEYS, query[d]), a0);
                    a1 = key(base, d + 16).fma(FloatVector.broadcast(KEYS, query[d + 16]), a1);
                    a2 = key(base, d + 32).fma(FloatVector.broadcast(KEYS, query[d + 32]), a2);
                    a3 = key(base, d + 48).fma(FloatVector.broadcast(KEYS, query[d + 48]), a3);
                }
                a0.add(a2).add(a1.add(a3)).intoArray(dotLanes, i * TILE);
            }
            sum = reduceDotLanes();
        }
        if (floatTail) {
            for (int d = np; d < keyLength; d++) sum = sum.add(key(base, d).mul(query[d]));
            sum.intoArray(scores, tile * TILE);
        } else {
            sum.intoArray(scores, tile * TILE);
            for (int l = 0; l < TILE && np < keyLength; l++) {
                double s = scores[tile * TILE + l];
                for (int d = np; d < keyLength; d++) s += keyTiles[base + d * TILE + l] * query[d];
                scores[tile * TILE + l] = (float) s;
            }
        }
    }

    private FloatVector key(int base, int d) {
        return FloatVector.fromArray(KEYS, keyTiles, base + d * TILE);
    }

    /** {@link #reduce16} of each key's 16 accumulators in {@link #dotLanes}, for the 16 keys at once. */
    private FloatVector reduceDotLanes() {
        FloatVector t0 = dot(0).add(dot(8)), t1 = dot(1).add(dot(9)), t2 = dot(2).add(dot(10)), t3 = dot(3).add(dot(11));
        FloatVector t4 = dot(4).add(dot(12)), t5 = dot(5).add(dot(13)), t6 = dot(6).add(dot(14)), t7 = dot(7).add(dot(15));
        FloatVector u0 = t0.add(t4), u1 = t1.add(t5), u2 = t2.add(t6), u3 = t3.add(t7);
        return u0.add(u2).add(u1.add(u3));
    }

    private FloatVector dot(int lane) {
        return FloatVector.fromArray(KEYS, dotLanes, lane * TILE);
    }

    /**
     * {@code scores[first..pos]} become softmax weights, zeros elsewhere up to {@code nKv}: ggml's exp per 16 lanes,
     * each group of 16 summed ({@link #reduce16}) into a double, scaled by {@code (float) (1/sum)}.
     */
    private void softmax(int first, int pos, int nKv, float max, boolean f16) {
        Arrays.fill(scores, 0, first, 0.0f);
        Arrays.fill(scores, pos + 1, nKv, 0.0f);
        Exp.expShifted(scores, first, pos + 1, max);
        double sum = 0;
        for (int c = 0; c < nKv; c += 16) sum += reduce16(scores, c);
        float inv = (float) (1.0 / sum);
        for (int j = first; j <= pos; j++) {
            float w = scores[j] * inv;
            scores[j] = f16 ? round16(w) : w;
        }
    }

    /** tinyBLAS's {@code V·w}: per output, lane l accumulates positions j ≡ l (mod 16) with FMA; then reduced. */
    private void weightedSumTiny(int first, int pos, float[] out, int oo) {
        int dv = valueLength;
        Arrays.fill(lanes, 0, 16 * dv, 0.0f);
        for (int j = first; j <= pos; j++) {
            float w = scores[j];
            accumulate((j & 15) * dv, j * dv, w);
        }
        reduceLanes(lanes, out, oo);
    }

    /** {@code lanes[l + d] = fma(values[src + d], w, lanes[l + d])} for every d of a value row. */
    private void accumulate(int l, int src, float w) {
        int d = 0;
        for (FloatVector wv = FloatVector.broadcast(KEYS, w); d <= valueLength - TILE; d += TILE) {
            FloatVector.fromArray(KEYS, values, src + d).fma(wv, FloatVector.fromArray(KEYS, lanes, l + d)).intoArray(lanes, l + d);
        }
        for (; d < valueLength; d++) lanes[l + d] = Math.fma(values[src + d], w, lanes[l + d]);
    }

    /**
     * ggml's {@code vec_dot} of each column of V with the weights, over {@code nKv} positions: position j of each
     * whole 64-step goes to accumulator {@code (j/16) % 4}, lane {@code j % 16}; the tail after the last whole step is
     * added one position at a time (in float for F32, in double for F16).
     */
    private void weightedSumVecDot(int first, int pos, int nKv, boolean floatTail, float[] out, int oo) {
        int dv = valueLength, np = nKv & ~63;
        if (np > 0) {
            Arrays.fill(lanes, 0, 64 * dv, 0.0f);
            for (int j = first; j <= Math.min(pos, np - 1); j++) {
                float w = scores[j];
                accumulate((j & 63) * dv, j * dv, w);
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
        for (int d = 0; d < dv; d++) {
            if (floatTail) {
                float sum = out[oo + d];
                for (int j = from; j <= pos; j++) sum += values[j * dv + d] * scores[j];
                out[oo + d] = sum;
            } else { // F16's vec_dot adds its tail in double
                double sum = out[oo + d];
                for (int j = from; j <= pos; j++) sum += values[j * dv + d] * scores[j];
                out[oo + d] = (float) sum;
            }
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

    private static float round16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }
}
