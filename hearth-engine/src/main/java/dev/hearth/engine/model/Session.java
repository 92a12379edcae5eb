package dev.hearth.engine.model;

import dev.hearth.engine.model.Architecture.Ffn;
import dev.hearth.engine.model.Architecture.QueryScaling;

/**
 * One sequence being evaluated: a KV cache, the next position, and the working buffers of the forward pass. Tokens
 * go in as batches (a whole prompt in one call: every weight matrix multiplies up to {@link #maxBatch()} rows at a
 * time); logits come out for the last token or for every token. Buffers are sized once: the forward pass itself
 * allocates nothing apart from {@link #forwardAll}'s result (and small temporaries of the scalar Q3_K/TQ
 * decoders in {@link GgmlDots}). Not thread-safe; sessions of one {@link Model} may run in
 * parallel.
 */
public final class Session {
    static final int DEFAULT_BATCH = 512;

    private final Model model;
    private final ModelConfig c;
    private final KvCache cache;
    private final Attention attention;
    private final int maxBatch;
    private final float[] ropeFactors;
    private int position;
    private final int[] one = new int[1];

    // activations, row t of a batch at t * width
    private final float[] x, xb, q, k, v, qkv, attn, o, ffA, ffB, ffOut, logits, angles;
    private final Activations actEmbd, actAttn, actFf;

    Session(Model model, int contextLength, KvCache.Type kvType, int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("batch size must be positive, got " + maxBatch);
        if (contextLength < 1) throw new IllegalArgumentException("context length must be positive, got " + contextLength);
        // llama.cpp pads the cache to a multiple of 32 cells, and attention reads the cells in groups of 16 and 32.
        contextLength = (contextLength + 31) / 32 * 32;
        this.model = model;
        this.c = model.config();
        this.maxBatch = maxBatch;
        int e = c.embeddingLength(), qDim = c.headCount() * c.keyLength();
        int kDim = c.headCountKv() * c.keyLength(), vDim = c.headCountKv() * c.valueLength();
        int aDim = c.headCount() * c.valueLength(), ff = c.feedForwardLength();
        this.cache = new KvCache(kvType, c.layerCount(), contextLength, kDim, vDim);
        this.attention = new Attention(c, contextLength);
        this.ropeFactors = model.ropeFactors(contextLength);
        x = new float[maxBatch * e];
        xb = new float[maxBatch * e];
        q = new float[maxBatch * qDim];
        k = new float[maxBatch * kDim];
        v = new float[maxBatch * vDim];
        qkv = model.layer(0).qkv() != null ? new float[maxBatch * (qDim + kDim + vDim)] : null;
        attn = new float[maxBatch * aDim];
        o = new float[maxBatch * e];
        ffA = new float[maxBatch * (c.architecture().ffn() == Ffn.FUSED_GATE_UP ? 2 * ff : ff)];
        ffB = new float[maxBatch * ff];
        ffOut = new float[maxBatch * e];
        logits = new float[c.vocabularySize()];
        angles = new float[Math.max(c.rope().dims(), c.ropeSliding().dims())];
        actEmbd = new Activations(e);
        actAttn = new Activations(aDim);
        actFf = new Activations(ff);
    }

    public Model model() {
        return model;
    }

    /** The position the next token will take: the number of tokens in the KV cache. */
    public int position() {
        return position;
    }

    /** The most positions this session can hold. */
    public int contextLength() {
        return cache.capacity();
    }

    /** Rows one matrix product handles at once; longer inputs are processed in batches of this size. */
    public int maxBatch() {
        return maxBatch;
    }

    public KvCache.Type kvType() {
        return cache.type();
    }

    /** Forgets every position from {@code position} on (to reuse a common prefix, or 0 to start over). */
    public void rewind(int position) {
        if (position < 0 || position > this.position) {
            throw new IllegalArgumentException("cannot rewind to " + position + ", the sequence has " + this.position + " positions");
        }
        this.position = position;
    }

    /**
     * Appends {@code tokens[offset .. offset+length)} and returns the logits after the last of them: an internal
     * array of {@code vocabularySize} values, overwritten by the next call.
     */
    public float[] forward(int[] tokens, int offset, int length) {
        checkFits(tokens, offset, length);
        for (int done = 0; done < length; ) {
            int n = Math.min(maxBatch, length - done);
            boolean last = done + n == length;
            run(tokens, offset + done, n, last ? n - 1 : n, logits);
            done += n;
        }
        return logits;
    }

    /** {@link #forward} of one token. */
    public float[] forward(int token) {
        one[0] = token;
        return forward(one, 0, 1);
    }

    /**
     * Appends the tokens and returns the logits after each of them: a new array, token i's logits at
     * {@code i * vocabularySize}.
     */
    public float[] forwardAll(int[] tokens, int offset, int length) {
        checkFits(tokens, offset, length);
        int nVocab = c.vocabularySize();
        float[] all = new float[length * nVocab];
        float[] chunk = length <= maxBatch ? all : new float[maxBatch * nVocab];
        for (int done = 0; done < length; ) {
            int n = Math.min(maxBatch, length - done);
            run(tokens, offset + done, n, 0, chunk);
            if (chunk != all) System.arraycopy(chunk, 0, all, done * nVocab, n * nVocab);
            done += n;
        }
        return all;
    }

    private void checkFits(int[] tokens, int offset, int length) {
        if (length < 1) throw new IllegalArgumentException("no tokens to evaluate");
        if (offset < 0 || offset + length > tokens.length) throw new IndexOutOfBoundsException("tokens " + offset + " + " + length);
        if (position + length > cache.capacity()) {
            throw new IllegalStateException(length + " tokens do not fit: the sequence holds " + position + " of "
                    + cache.capacity() + " positions");
        }
    }

    /**
     * The forward pass of {@code n} tokens at the next positions; logits of rows {@code firstOut .. n-1} go to
     * {@code out} (row i − firstOut at {@code (i − firstOut) · vocabularySize}); none when {@code firstOut == n}.
     */
    private void run(int[] tokens, int offset, int n, int firstOut, float[] out) {
        int e = c.embeddingLength(), heads = c.headCount(), kvHeads = c.headCountKv();
        int dk = c.keyLength(), dv = c.valueLength();
        int qDim = heads * dk, kDim = kvHeads * dk, vDim = kvHeads * dv, aDim = heads * dv;
        int ff = c.feedForwardLength();
        int p0 = position, count = n;

        for (int t = 0; t < n; t++) model.embed(tokens[offset + t], x, t * e);
        if (c.embeddingScale() != 0) scale(x, n * e, c.embeddingScale());

        for (int il = 0; il < c.layerCount(); il++) {
            Layer layer = model.layer(il);

            // attention
            layer.attnNorm().apply(x, 0, xb, 0, n, e);
            actEmbd.set(xb, 0, n);
            if (layer.qkv() != null) {
                layer.qkv().apply(actEmbd, qkv);
                int w = qDim + kDim + vDim;
                for (int t = 0; t < n; t++) {
                    System.arraycopy(qkv, t * w, q, t * qDim, qDim);
                    System.arraycopy(qkv, t * w + qDim, k, t * kDim, kDim);
                    System.arraycopy(qkv, t * w + qDim + kDim, v, t * vDim, vDim);
                }
            } else {
                layer.q().apply(actEmbd, q);
                layer.k().apply(actEmbd, k);
                layer.v().apply(actEmbd, v);
            }
            if (layer.qNorm() != null) layer.qNorm().apply(q, 0, q, 0, n * heads, dk);
            if (layer.kNorm() != null) layer.kNorm().apply(k, 0, k, 0, n * kvHeads, dk);
            Rope rope = c.rope(il);
            for (int t = 0; t < n; t++) {
                rope.angles(p0 + t, ropeFactors, angles);
                for (int h = 0; h < heads; h++) rope.rotate(q, t * qDim + h * dk, angles);
                for (int h = 0; h < kvHeads; h++) rope.rotate(k, t * kDim + h * dk, angles);
            }
            float softmaxScale = c.attentionScale();
            if (c.architecture().queryScaling() == QueryScaling.QUERY) {
                scale(q, n * qDim, c.attentionScale());
                softmaxScale = 1.0f;
            }
            for (int t = 0; t < n; t++) cache.store(il, p0 + t, k, t * kDim, v, t * vDim);
            int window = c.isSliding(il) ? c.slidingWindow() : 0;
            attention.run(cache, il, q, n, p0, window, softmaxScale, c.attnSoftcap(), attn);

            if (layer.attnSubNorm() != null) layer.attnSubNorm().apply(attn, 0, attn, 0, n, aDim);
            actAttn.set(attn, 0, n);
            layer.output().apply(actAttn, o);
            if (layer.postAttnNorm() != null) layer.postAttnNorm().apply(o, 0, o, 0, n, e);

            if (il == c.layerCount() - 1 && firstOut > 0) {
                // only the rows that produce logits go on, from here as in llama.cpp (its get_rows follows the
                // attention output projection, whose batch size decides its summation order)
                int rows = n - firstOut;
                if (rows == 0) {
                    n = 0;
                    break;
                }
                System.arraycopy(o, firstOut * e, o, 0, rows * e);
                System.arraycopy(x, firstOut * e, x, 0, rows * e);
                System.arraycopy(xb, firstOut * e, xb, 0, rows * e);
                n = rows;
            }

            // feed-forward and residuals
            switch (c.residual()) {
                case SEQUENTIAL -> {
                    add(x, o, n * e);
                    layer.ffnNorm().apply(x, 0, xb, 0, n, e);
                    ffn(layer, n, ff);
                    add(x, ffOut, n * e);
                }
                case PARALLEL_SHARED_NORM -> { // x + (attn + ffn), the FFN reading the attention's norm
                    ffn(layer, n, ff);
                    add(o, ffOut, n * e);
                    add(x, o, n * e);
                }
                case PARALLEL -> { // (x + ffn) + attn
                    layer.ffnNorm().apply(x, 0, xb, 0, n, e);
                    ffn(layer, n, ff);
                    add(x, ffOut, n * e);
                    add(x, o, n * e);
                }
            }
        }
        position = p0 + count;
        if (n == 0) return;

        model.outputNorm().apply(x, 0, xb, 0, n, e);
        actEmbd.set(xb, 0, n);
        model.output().apply(actEmbd, out);
        float cap = c.finalSoftcap();
        if (cap > 0) {
            float inv = 1.0f / cap;
            int nVocab = c.vocabularySize();
            for (int i = 0; i < n * nVocab; i++) out[i] = CMath.tanhf(out[i] * inv) * cap;
        }
    }

    /** FFN of rows {@code 0..n-1} of {@link #xb} into {@link #ffOut}. */
    private void ffn(Layer layer, int n, int ff) {
        actEmbd.set(xb, 0, n);
        Architecture.Activation act = c.architecture().activation();
        float[] h;
        switch (c.architecture().ffn()) {
            case GATED -> {
                layer.gate().apply(actEmbd, ffA);
                layer.up().apply(actEmbd, ffB);
                activate(act, ffA, n * ff);
                for (int i = 0; i < n * ff; i++) ffA[i] *= ffB[i];
                h = ffA;
            }
            case FUSED_GATE_UP -> {
                layer.up().apply(actEmbd, ffA);
                for (int t = 0; t < n; t++) {
                    for (int i = 0; i < ff; i++) {
                        ffB[t * ff + i] = activate(act, ffA[t * 2 * ff + i]) * ffA[t * 2 * ff + ff + i];
                    }
                }
                h = ffB;
            }
            case PLAIN -> {
                layer.up().apply(actEmbd, ffA);
                activate(act, ffA, n * ff);
                h = ffA;
            }
            default -> throw new AssertionError();
        }
        if (layer.ffnSubNorm() != null) layer.ffnSubNorm().apply(h, 0, h, 0, n, ff);
        actFf.set(h, 0, n);
        layer.down().apply(actFf, ffOut);
        if (layer.postFfnNorm() != null) layer.postFfnNorm().apply(ffOut, 0, ffOut, 0, n, c.embeddingLength());
    }

    private static float activate(Architecture.Activation act, float x) {
        return act == Architecture.Activation.SILU ? Exp.silu(x) : Gelu.apply(x);
    }

    private static void activate(Architecture.Activation act, float[] a, int n) {
        if (act == Architecture.Activation.GELU) {
            Gelu.apply(a, 0, n);
        } else {
            for (int i = 0; i < n; i++) a[i] = Exp.silu(a[i]);
        }
    }

    private static void scale(float[] a, int n, float s) {
        for (int i = 0; i < n; i++) a[i] *= s;
    }

    private static void add(float[] acc, float[] b, int n) {
        for (int i = 0; i < n; i++) acc[i] += b[i];
    }
}
