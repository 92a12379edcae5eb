package dev.hearth.engine.model;

import dev.hearth.engine.model.Architecture.Ffn;
import dev.hearth.engine.model.Architecture.QueryScaling;
import dev.hearth.engine.tensor.WorkerPool;

import java.util.Arrays;

/**
 * One forward pass over tokens of several {@link Session}s at once: every weight matrix multiplies all rows of the
 * batch in one product (the weights are read once per pass, whoever the rows belong to), while RoPE, the KV cache
 * and attention work per session. This is how one model serves many sequences; a single session's
 * {@link Session#forward} is the one-entry case of the same code.
 *
 * <p>Usage: {@link #clear}, {@link #add} entries (a session and its next tokens), {@link #run}. An entry asks for the
 * logits of its last token, of all its tokens, or none (a prompt chunk that is not the prompt's end). Each row's
 * arithmetic depends only on its own values (and the batch's row count, as in llama.cpp, for F16/F32 weights), so a
 * sequence gets the same results whether it runs alone or beside others. Holds the working buffers of the pass,
 * sized once for {@code maxRows} rows. Not thread-safe; one session may appear in one entry per pass.
 */
public final class Batch {
    /** Which logits an entry wants. */
    public enum Output { NONE, LAST, ALL }

    private final Model model;
    private final ModelConfig c;
    private final int maxRows;

    // entries
    private Session[] sessions = new Session[8];
    private int[] first = new int[8], count = new int[8], outFirst = new int[8];
    private Output[] outputs = new Output[8];
    private int entries, rows, outRows;
    private final int[] tokens, rowEntry, outRowIndex;

    // activations, row t of the batch at t * width
    private final float[] x, xb, q, k, v, qkv, attn, o, ffA, ffB, ffOut, angles;
    private final Activations actEmbd, actAttn, actFf;

    public Batch(Model model, int maxRows) {
        if (maxRows < 1) throw new IllegalArgumentException("batch size must be positive, got " + maxRows);
        this.model = model;
        this.c = model.config();
        this.maxRows = maxRows;
        int e = c.embeddingLength(), qDim = c.headCount() * c.keyLength();
        int kDim = c.headCountKv() * c.keyLength(), vDim = c.headCountKv() * c.valueLength();
        int aDim = c.headCount() * c.valueLength(), ff = c.feedForwardLength();
        tokens = new int[maxRows];
        rowEntry = new int[maxRows];
        outRowIndex = new int[maxRows];
        x = new float[maxRows * e];
        xb = new float[maxRows * e];
        q = new float[maxRows * qDim];
        k = new float[maxRows * kDim];
        v = new float[maxRows * vDim];
        qkv = model.layer(0).qkv() != null ? new float[maxRows * (qDim + kDim + vDim)] : null;
        attn = new float[maxRows * aDim];
        o = new float[maxRows * e];
        ffA = new float[maxRows * (c.architecture().ffn() == Ffn.FUSED_GATE_UP ? 2 * ff : ff)];
        ffB = new float[maxRows * ff];
        ffOut = new float[maxRows * e];
        angles = new float[Math.max(c.rope().dims(), c.ropeSliding().dims())];
        actEmbd = new Activations(e);
        actAttn = new Activations(aDim);
        actFf = new Activations(ff);
    }

    /** Rows (tokens) one pass takes at most. */
    public int maxRows() {
        return maxRows;
    }

    /** Rows added since {@link #clear}. */
    public int rows() {
        return rows;
    }

    /** Entries (sequences) added since {@link #clear}. */
    public int entries() {
        return entries;
    }

    /** Rows of logits {@link #run} will write. */
    public int outputRows() {
        return outRows;
    }

    public void clear() {
        Arrays.fill(sessions, 0, entries, null);
        entries = rows = outRows = 0;
    }

    /**
     * Adds {@code tokens[offset .. offset+length)} as the next tokens of {@code session}; returns the index of the
     * entry's first logits row in {@link #run}'s output ({@code -1} for {@link Output#NONE}).
     *
     * @throws IllegalArgumentException when the rows do not fit the batch, the session belongs to another model or is
     *                                  already in this batch
     * @throws IllegalStateException    when the tokens do not fit the session's context
     */
    public int add(Session session, int[] tokens, int offset, int length, Output output) {
        if (session.model() != model) throw new IllegalArgumentException("the session belongs to another model");
        if (length < 1) throw new IllegalArgumentException("no tokens to evaluate");
        if (offset < 0 || offset + length > tokens.length) throw new IndexOutOfBoundsException("tokens " + offset + " + " + length);
        if (rows + length > maxRows) {
            throw new IllegalArgumentException(length + " rows do not fit the batch: " + rows + " of " + maxRows + " are taken");
        }
        for (int i = 0; i < entries; i++) {
            if (sessions[i] == session) throw new IllegalArgumentException("the session is already in this batch");
        }
        session.checkFits(length);
        session.cache().ensure(session.position() + length);
        for (int t = 0; t < length; t++) {
            int id = tokens[offset + t];
            if (id < 0 || id >= c.vocabularySize()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + c.vocabularySize());
            }
        }
        if (entries == sessions.length) grow();
        int entry = entries++;
        sessions[entry] = session;
        first[entry] = rows;
        count[entry] = length;
        outputs[entry] = output;
        System.arraycopy(tokens, offset, this.tokens, rows, length);
        Arrays.fill(rowEntry, rows, rows + length, entry);
        rows += length;
        int out = switch (output) {
            case NONE -> -1;
            case LAST -> outRows;
            case ALL -> outRows;
        };
        if (output == Output.LAST) outRowIndex[outRows++] = rows - 1;
        if (output == Output.ALL) for (int t = first[entry]; t < rows; t++) outRowIndex[outRows++] = t;
        outFirst[entry] = out;
        return out;
    }

    private void grow() {
        int n = entries * 2;
        sessions = Arrays.copyOf(sessions, n);
        first = Arrays.copyOf(first, n);
        count = Arrays.copyOf(count, n);
        outFirst = Arrays.copyOf(outFirst, n);
        outputs = Arrays.copyOf(outputs, n);
    }

    /**
     * Runs the pass: appends every entry's tokens to its session and writes the logits rows asked for to {@code out}
     * (row i at {@code i * vocabularySize}, in the order the entries were added), which must hold
     * {@link #outputRows()} rows. Then the batch is empty again.
     */
    public void run(float[] out) {
        if (rows == 0) throw new IllegalStateException("the batch is empty");
        int nVocab = c.vocabularySize();
        if (out.length < (long) outRows * nVocab) {
            throw new IllegalArgumentException("output needs " + (long) outRows * nVocab + " floats, has " + out.length);
        }
        try {
            forward(out);
            for (int i = 0; i < entries; i++) sessions[i].advance(count[i]);
        } finally {
            clear();
        }
    }

    // attention's arguments for the current layer, read by the pool's threads (published by forEachRange)
    private int attnLayer, attnParts;
    private float attnScale;
    private static final WorkerPool.RangeTask<Batch, Object, Object> ATTEND = (b, u, w, from, to) -> b.attend(from, to);

    /** Stores the new keys and values of every entry in its session's cache. */
    private void store(int il) {
        int kDim = c.headCountKv() * c.keyLength(), vDim = c.headCountKv() * c.valueLength();
        for (int i = 0; i < entries; i++) {
            Session s = sessions[i];
            int p0 = s.position(), r0 = first[i];
            for (int t = 0; t < count[i]; t++) s.cache().store(il, p0 + t, k, (r0 + t) * kDim, v, (r0 + t) * vDim);
        }
    }

    /** Attention of units {@code from .. to-1}: unit u is part {@code u % attnParts} of entry {@code u / attnParts}'s heads. */
    private void attend(int from, int to) {
        int il = attnLayer, heads = c.headCount(), parts = attnParts;
        int window = c.isSliding(il) ? c.slidingWindow() : 0;
        for (int u = from; u < to; u++) {
            int i = u / parts, part = u % parts;
            Session s = sessions[i];
            int hFrom = heads * part / parts, hTo = heads * (part + 1) / parts;
            s.attention(part).run(s.cache(), il, q, first[i], count[i], s.position(), window, attnScale, c.attnSoftcap(), attn, hFrom, hTo);
        }
    }

    private void forward(float[] out) {
        int e = c.embeddingLength(), heads = c.headCount(), kvHeads = c.headCountKv();
        int dk = c.keyLength(), dv = c.valueLength();
        int qDim = heads * dk, kDim = kvHeads * dk, vDim = kvHeads * dv, aDim = heads * dv;
        int ff = c.feedForwardLength();
        int n = rows;

        for (int t = 0; t < n; t++) model.embed(tokens[t], x, t * e);
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
                Session s = sessions[rowEntry[t]];
                rope.angles(s.position() + t - first[rowEntry[t]], s.ropeFactors(), angles);
                for (int h = 0; h < heads; h++) rope.rotate(q, t * qDim + h * dk, angles);
                for (int h = 0; h < kvHeads; h++) rope.rotate(k, t * kDim + h * dk, angles);
            }
            float softmaxScale = c.attentionScale();
            if (c.architecture().queryScaling() == QueryScaling.QUERY) {
                scale(q, n * qDim, c.attentionScale());
                softmaxScale = 1.0f;
            }
            attnLayer = il;
            attnScale = softmaxScale;
            store(il);
            // each entry's heads on one thread; fewer entries than threads: the heads of each shared out too
            WorkerPool pool = WorkerPool.shared();
            attnParts = entries < pool.threads() ? Math.min(pool.threads(), heads) : 1;
            for (int i = 0; i < entries; i++) sessions[i].attentionParts(attnParts);
            pool.forEachRange(entries * attnParts, 1, this, null, null, ATTEND);

            if (layer.attnSubNorm() != null) layer.attnSubNorm().apply(attn, 0, attn, 0, n, aDim);
            actAttn.set(attn, 0, n);
            layer.output().apply(actAttn, o);
            if (layer.postAttnNorm() != null) layer.postAttnNorm().apply(o, 0, o, 0, n, e);

            if (il == c.layerCount() - 1 && outRows < n) {
                // only the rows that produce logits go on, from here as in llama.cpp (its get_rows follows the
                // attention output projection, whose batch size decides its summation order)
                if (outRows == 0) return;
                for (int i = 0; i < outRows; i++) {
                    int src = outRowIndex[i];
                    if (src == i) continue;
                    System.arraycopy(o, src * e, o, i * e, e);
                    System.arraycopy(x, src * e, x, i * e, e);
                    System.arraycopy(xb, src * e, xb, i * e, e);
                }
                n = outRows;
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
        if (outRows == 0) return;

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
                WorkerPool.shared().forEachRange(n * ff, 64, act, ffA, ffB, Batch::gated);
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
                WorkerPool.shared().forEachRange(n * ff, 64, act, ffA, null, Batch::gated);
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
        return switch (act) {
            case SILU -> Exp.silu(x);
            case GELU -> Gelu.apply(x);
            case RELU_SQR -> x > 0 ? x * x : 0;
        };
    }

    /** {@code a[i] = act(a[i])·b[i]} (or {@code act(a[i])} when b is null) for i in {@code [from, to)}: elementwise, so shared over the pool. */
    private static void gated(Architecture.Activation act, float[] a, float[] b, int from, int to) {
        if (act == Architecture.Activation.RELU_SQR) {
            for (int i = from; i < to; i++) a[i] = a[i] > 0 ? a[i] * a[i] : 0;
        } else if (act == Architecture.Activation.GELU) {
            Gelu.apply(a, from, to);
        } else {
            Exp.silu(a, from, to);
        }
        if (b != null) for (int i = from; i < to; i++) a[i] *= b[i];
    }

    private static void scale(float[] a, int n, float s) {
        for (int i = 0; i < n; i++) a[i] *= s;
    }

    private static void add(float[] acc, float[] b, int n) {
        for (int i = 0; i < n; i++) acc[i] += b[i];
    }
}
