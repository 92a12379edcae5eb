package dev.hearth.engine.model;

/**
 * One sequence being evaluated: a KV cache and the next position. Tokens
 * go in as batches (a whole prompt in one call: every weight matrix multiplies up to {@link #maxBatch()} rows at a
 * time); logits come out for the last token or for every token. The forward pass allocates nothing after the first
 * call apart from {@link #forwardAll}'s result (and small temporaries of the scalar Q3_K/TQ decoders in
 * {@link GgmlDots}). Several sessions advance together in one pass through a {@link Batch}. Not thread-safe;
 * sessions of one {@link Model} may run in parallel.
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

    private Batch own; // for forward(): made on first use, so sessions driven by a shared Batch carry no buffers
    private float[] logits;

    Session(Model model, int contextLength, KvCache.Type kvType, int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("batch size must be positive, got " + maxBatch);
        if (contextLength < 1) throw new IllegalArgumentException("context length must be positive, got " + contextLength);
        // llama.cpp pads the cache to a multiple of 32 cells, and attention reads the cells in groups of 16 and 32.
        contextLength = (contextLength + 31) / 32 * 32;
        this.model = model;
        this.c = model.config();
        this.maxBatch = maxBatch;
        if (kvType == KvCache.Type.Q8_0 && (c.keyLength() % KvCache.QK != 0 || c.valueLength() % KvCache.QK != 0)) {
            // as in llama.cpp: a Q8_0 block must not straddle two heads
            throw new IllegalArgumentException("a Q8_0 KV cache needs head dimensions that are multiples of " + KvCache.QK
                    + ", this model's are " + c.keyLength() + " (K) and " + c.valueLength() + " (V); use F16 or F32");
        }
        int kDim = c.headCountKv() * c.keyLength(), vDim = c.headCountKv() * c.valueLength();
        this.cache = new KvCache(kvType, c.layerCount(), contextLength, kDim, vDim);
        this.attention = new Attention(c, contextLength);
        this.parts = new Attention[0];
        this.ropeFactors = model.ropeFactors(contextLength);
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
        Batch batch = ownBatch();
        if (logits == null) logits = new float[c.vocabularySize()];
        for (int done = 0; done < length; ) {
            int n = Math.min(maxBatch, length - done);
            boolean last = done + n == length;
            batch.add(this, tokens, offset + done, n, last ? Batch.Output.LAST : Batch.Output.NONE);
            batch.run(logits);
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
        Batch batch = ownBatch();
        int nVocab = c.vocabularySize();
        float[] all = new float[length * nVocab];
        float[] chunk = length <= maxBatch ? all : new float[maxBatch * nVocab];
        for (int done = 0; done < length; ) {
            int n = Math.min(maxBatch, length - done);
            batch.add(this, tokens, offset + done, n, Batch.Output.ALL);
            batch.run(chunk);
            if (chunk != all) System.arraycopy(chunk, 0, all, done * nVocab, n * nVocab);
            done += n;
        }
        return all;
    }

    /**
     * Makes this session hold the first {@code length} positions of {@code other} (same model, KV type and at least
     * that capacity): how a new sequence starts from another's cached prefix without evaluating it again.
     */
    public void copyPrefix(Session other, int length) {
        if (other.model != model) throw new IllegalArgumentException("the session belongs to another model");
        if (length < 0 || length > other.position) {
            throw new IllegalArgumentException("cannot copy " + length + " positions of a sequence of " + other.position);
        }
        if (length > cache.capacity()) throw new IllegalArgumentException(length + " positions do not fit a context of " + cache.capacity());
        cache.copyFrom(other.cache, length);
        position = length;
    }

    private Batch ownBatch() {
        if (own == null) own = new Batch(model, maxBatch);
        return own;
    }

    private void checkFits(int[] tokens, int offset, int length) {
        if (offset < 0 || offset + length > tokens.length) throw new IndexOutOfBoundsException("tokens " + offset + " + " + length);
        checkFits(length);
    }

    void checkFits(int length) {
        if (length < 1) throw new IllegalArgumentException("no tokens to evaluate");
        if (position + length > cache.capacity()) {
            throw new IllegalStateException(length + " tokens do not fit: the sequence holds " + position + " of "
                    + cache.capacity() + " positions");
        }
    }

    void advance(int tokens) {
        position += tokens;
    }

    KvCache cache() {
        return cache;
    }

    Attention attention() {
        return attention;
    }

    /**
     * Makes the scratch of attention parts {@code 1 .. count-1} exist: when one session's heads are shared out over
     * the pool's threads, each part computes with its own. Called on the calling thread before the parts run (they
     * were once created lazily by the pool's threads themselves: with three or more threads two of them could grow
     * the array at once and one got null).
     */
    void attentionParts(int count) {
        if (parts.length < count - 1) parts = java.util.Arrays.copyOf(parts, count - 1);
        for (int p = 0; p < count - 1; p++) if (parts[p] == null) parts[p] = new Attention(c, cache.capacity);
    }

    /** The scratch of attention part {@code part} (0: {@link #attention()}; others made by {@link #attentionParts}). */
    Attention attention(int part) {
        return part == 0 ? attention : parts[part - 1];
    }

    private Attention[] parts;

    float[] ropeFactors() {
        return ropeFactors;
    }
}
