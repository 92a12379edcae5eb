package dev.hearth.engine.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Attention} (16 keys per vector, one per lane) against a scalar oracle written score by score in llama.cpp's
 * order: the results must be the same bits, for F32 and F16 caches, one query and a batch, head widths with and
 * without a tail after the last 64-value step, GQA, sliding windows, soft-capping and a split of the heads.
 */
class AttentionTest {

    @Test
    void sameBitsAsTheScalarOrderForEveryPath() {
        Random random = new Random(7);
        for (KvCache.Type type : new KvCache.Type[] {KvCache.Type.F32, KvCache.Type.F16}) {
            for (int headDim : new int[] {32, 48, 64, 80, 96, 128}) {
                for (int[] shape : new int[][] {{4, 4}, {6, 2}}) {
                    for (int[] run : new int[][] {{0, 1}, {0, 37}, {37, 1}, {70, 5}, {5, 80}}) { // p0, batch
                        for (int window : new int[] {0, 19}) {
                            float softcap = random.nextBoolean() ? 0 : 30;
                            check(type, shape[0], shape[1], headDim, run[0], run[1], window, softcap, random);
                        }
                    }
                }
            }
        }
    }

    private static void check(KvCache.Type type, int heads, int kvHeads, int dim, int p0, int batch, int window,
                              float softcap, Random random) {
        int capacity = 160, end = p0 + batch;
        KvCache cache = new KvCache(type, 2, capacity, kvHeads * dim, kvHeads * dim);
        cache.ensure(end);
        float[] k = new float[kvHeads * dim], v = new float[kvHeads * dim];
        for (int pos = 0; pos < end; pos++) {
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) random.nextGaussian();
                v[i] = (float) random.nextGaussian();
            }
            cache.store(1, pos, k, 0, v, 0);
        }
        float[] q = new float[batch * heads * dim];
        for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian() * 2;
        float scale = 1 / (float) Math.sqrt(dim);

        float[] expected = new float[batch * heads * dim];
        for (int t = 0; t < batch; t++) {
            for (int h = 0; h < heads; h++) oracle(cache, 1, q, t, batch, p0 + t, h, heads, kvHeads, dim, window, scale, softcap, expected);
        }
        Attention attention = new Attention(config(heads, kvHeads, dim), capacity);
        float[] whole = new float[expected.length], split = new float[expected.length];
        attention.run(cache, 1, q, 0, batch, p0, window, scale, softcap, whole);
        attention.run(cache, 1, q, 0, batch, p0, window, scale, softcap, split, 0, heads / 2 + 1);
        new Attention(config(heads, kvHeads, dim), capacity).run(cache, 1, q, 0, batch, p0, window, scale, softcap, split, heads / 2 + 1, heads);
        String what = type + " dim " + dim + " heads " + heads + "/" + kvHeads + " p0 " + p0 + " batch " + batch
                + " window " + window + " softcap " + softcap;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(whole[i]), what + " at " + i);
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(split[i]), what + " (heads split) at " + i);
        }
    }

    /** One head of one query, scalar: the order of ggml's vec_dot / llamafile's tinyBLAS on AVX-512, as documented. */
    private static void oracle(KvCache cache, int layer, float[] q, int t, int batch, int pos, int h, int heads, int kvHeads,
                               int dim, int window, float scale, float softcap, float[] out) {
        boolean f16 = cache.type == KvCache.Type.F16;
        boolean tinyK = f16 && batch >= 2 && dim % 16 == 0, tinyV = batch >= 2 && dim % 4 == 0;
        int kvh = h / (heads / kvHeads), first = window > 0 ? Math.max(0, pos - window + 1) : 0;
        int nKv = Attention.padded(pos - t + batch, cache.capacity);
        float[] query = new float[dim];
        for (int i = 0; i < dim; i++) {
            float x = q[(t * heads + h) * dim + i];
            query[i] = f16 ? Float.float16ToFloat(Float.floatToFloat16(x)) : x;
        }
        float[] w = new float[nKv];
        float max = Float.NEGATIVE_INFINITY;
        for (int j = first; j <= pos; j++) {
            float[] key = new float[dim];
            for (int i = 0; i < dim; i++) key[i] = value(cache, true, layer, j, kvh * dim + i);
            float s;
            if (tinyK) {
                float[] acc = new float[16];
                for (int i = 0; i < dim; i++) acc[i % 16] = Math.fma(key[i], query[i], acc[i % 16]);
                s = Attention.reduce16(acc, 0);
            } else {
                s = vecDot(key, query, dim, !f16);
            }
            if (softcap > 0) s = CMath.tanhf(s * (1.0f / softcap)) * softcap;
            s *= scale;
            w[j] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < nKv; c += 16) {
            for (int j = Math.max(c, first); j < Math.min(c + 16, pos + 1); j++) w[j] = Exp.exp(w[j] - max);
            sum += Attention.reduce16(w, c);
        }
        float inv = (float) (1.0 / sum);
        for (int j = first; j <= pos; j++) w[j] = f16 ? Float.float16ToFloat(Float.floatToFloat16(w[j] * inv)) : w[j] * inv;
        for (int d = 0; d < dim; d++) {
            float[] column = new float[nKv];
            for (int j = first; j <= pos; j++) column[j] = value(cache, false, layer, j, kvh * dim + d);
            float o;
            if (tinyV) {
                float[] acc = new float[16];
                for (int j = first; j <= pos; j++) acc[j % 16] = Math.fma(column[j], w[j], acc[j % 16]);
                o = Attention.reduce16(acc, 0);
            } else {
                o = vecDot(column, w, nKv, !f16);
            }
            out[(t * heads + h) * dim + d] = o;
        }
    }

    /** ggml's vec_dot: four 16-lane FMA accumulators per 64 values, (0+2)+(1+3), across lanes, then the tail. */
    private static float vecDot(float[] a, float[] b, int n, boolean floatTail) {
        int np = n & ~63;
        float[] acc = new float[64];
        for (int i = 0; i < np; i++) acc[i % 64] = Math.fma(a[i], b[i], acc[i % 64]);
        float[] lanes = new float[16];
        for (int l = 0; l < 16; l++) lanes[l] = (acc[l] + acc[32 + l]) + (acc[16 + l] + acc[48 + l]);
        float sumf = np > 0 ? Attention.reduce16(lanes, 0) : 0;
        if (floatTail) {
            for (int i = np; i < n; i++) sumf += a[i] * b[i];
            return sumf;
        }
        double sum = sumf;
        for (int i = np; i < n; i++) sum += a[i] * b[i];
        return (float) sum;
    }

    private static float value(KvCache cache, boolean key, int layer, int pos, int index) {
        int at = pos * (key ? cache.kWidth : cache.vWidth) + index;
        if (cache.type == KvCache.Type.F16) return Float.float16ToFloat((key ? cache.k16 : cache.v16)[layer][at]);
        return (key ? cache.k32 : cache.v32)[layer][at];
    }

    private static ModelConfig config(int heads, int kvHeads, int dim) {
        return new ModelConfig(null, heads * dim, 2, heads, kvHeads, dim, dim, 4 * heads * dim, 100, 160, 1e-5f, null,
                0, 1, 0, 0, 0, new boolean[2], null, null);
    }
}
