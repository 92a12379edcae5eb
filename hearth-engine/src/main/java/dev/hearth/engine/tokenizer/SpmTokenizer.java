package dev.hearth.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece-style BPE ({@code tokenizer.ggml.model = llama}), as llama.cpp's {@code llm_tokenizer_spm}:
 * spaces become {@code ▁}, a space is put before text that starts the input or follows a special token
 * ({@code add_space_prefix}), then the text, one symbol per UTF-8 character, is merged greedily: always the
 * adjacent pair whose concatenation is the vocabulary entry with the highest score (leftmost on ties). Symbols
 * that end up outside the vocabulary are spelled with byte tokens {@code <0xNN>}.
 */
public final class SpmTokenizer extends Tokenizer {
    private static final byte[] ESCAPED_SPACE = "\u2581".getBytes(StandardCharsets.UTF_8);

    /** Token for each byte value ({@code <0xNN>}, else the one-byte text), or -1. */
    private final int[] byteTokens = new int[256];
    /** Bit (a << 8 | b) is set when bytes a, b are adjacent somewhere in a token's text. */
    private final long[] innerPairs = new long[1024];
    private final WordCache cache = new WordCache();

    SpmTokenizer(Vocabulary vocab) {
        super(vocab);
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.byText.get(new byte[] {(byte) b});
            byteTokens[b] = id;
        }
        for (byte[] t : vocab.textBytes) {
            for (int k = 1; k < t.length; k++) {
                int pair = (t[k - 1] & 0xFF) << 8 | (t[k] & 0xFF);
                innerPairs[pair >>> 6] |= 1L << pair;
            }
        }
    }

    @Override
    void encode(byte[] text, Fragments fragments, boolean addSpecial, IntList out) {
        boolean prevSpecial = true; // the first text gets the space prefix too
        if (addSpecial && vocab.addBos) out.add(requireSpecial(vocab.bos, "BOS"));
        Session s = new Session();
        for (int f = 0; f < fragments.size(); f++) {
            if (fragments.token(f) >= 0) {
                out.add(fragments.token(f));
                prevSpecial = true;
            } else {
                s.tokenize(escape(text, fragments.start(f), fragments.end(f), vocab.addSpacePrefix && prevSpecial), out);
                prevSpecial = false;
            }
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(vocab.eos, "EOS"));
    }

    /** The fragment with every space written as ▁, after an optional leading one. */
    private static byte[] escape(byte[] text, int from, int to, boolean prefix) {
        int spaces = 0;
        for (int i = from; i < to; i++) if (text[i] == ' ') spaces++;
        byte[] r = new byte[to - from + spaces * (ESCAPED_SPACE.length - 1) + (prefix ? ESCAPED_SPACE.length : 0)];
        int p = 0;
        if (prefix) p = put(r, p, ESCAPED_SPACE);
        for (int i = from; i < to; i++) {
            if (text[i] == ' ') p = put(r, p, ESCAPED_SPACE);
            else r[p++] = text[i];
        }
        return r;
    }

    private static int put(byte[] dst, int p, byte[] src) {
        System.arraycopy(src, 0, dst, p, src.length);
        return p + src.length;
    }

    /**
     * The merge state for one piece of text: a doubly linked list of symbols over its bytes.
     *
     * <p>llama.cpp merges the whole piece at once. Here it is first cut where no merge can ever reach across: at a
     * symbol boundary whose two neighbouring bytes are never adjacent inside any vocabulary entry (typically
     * before each {@code ▁word}). A merge joins two symbols into a vocabulary entry, so it cannot join across such a
     * cut; each chunk then merges exactly as it would inside the whole, and chunks (mostly words) can be cached.
     */
    private final class Session {
        private int[] start = new int[64], len = new int[64], prev = new int[64], next = new int[64];
        private final MergeQueue queue = new MergeQueue();
        private final IntList scratch = new IntList();
        private byte[] text;

        void tokenize(byte[] t, IntList out) {
            int chunk = 0;
            for (int off = 0; off < t.length; ) {
                if (off > chunk && !adjacentInVocab(t[off - 1], t[off])) {
                    cache.tokenize(t, chunk, off, scratch, out, this::merge);
                    chunk = off;
                }
                off += Math.min(Utf8.sequenceLength(t[off]), t.length - off);
            }
            if (t.length > chunk) cache.tokenize(t, chunk, t.length, scratch, out, this::merge);
        }

        private void merge(byte[] t, int from, int to, IntList out) {
            text = t;
            int n = 0;
            for (int off = from; off < to; n++) {
                int l = Math.min(Utf8.sequenceLength(t[off]), to - off);
                if (n == start.length) grow();
                start[n] = off;
                len[n] = l;
                prev[n] = n - 1;
                off += l;
                next[n] = off == to ? -1 : n + 1;
            }
            if (n == 0) return;
            queue.clear();
            for (int i = 1; i < n; i++) tryAdd(i - 1, i);
            while (!queue.isEmpty()) {
                queue.poll();
                int l = queue.left, r = queue.right;
                if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != queue.size) continue; // stale
                len[l] += len[r];
                len[r] = 0;
                next[l] = next[r];
                if (next[r] >= 0) prev[next[r]] = l;
                tryAdd(prev[l], l);
                tryAdd(l, next[l]);
            }
            for (int i = 0; i != -1; i = next[i]) {
                int id = vocab.byText.get(text, start[i], len[i]);
                if (id >= 0) {
                    out.add(id);
                } else {
                    for (int k = start[i]; k < start[i] + len[i]; k++) out.add(byteToken(text[k]));
                }
            }
        }

        private void tryAdd(int l, int r) {
            if (l < 0 || r < 0) return;
            int id = vocab.byText.get(text, start[l], len[l] + len[r]);
            if (id < 0) return;
            queue.add(MergeQueue.byScore(vocab.scores[id], l), r, len[l] + len[r]);
        }

        private void grow() {
            int c = start.length * 2;
            start = java.util.Arrays.copyOf(start, c);
            len = java.util.Arrays.copyOf(len, c);
            prev = java.util.Arrays.copyOf(prev, c);
            next = java.util.Arrays.copyOf(next, c);
        }
    }

    /** Whether bytes a, b occur next to each other in the text of some token (of any type). */
    private boolean adjacentInVocab(byte a, byte b) {
        int pair = (a & 0xFF) << 8 | (b & 0xFF);
        return (innerPairs[pair >>> 6] & 1L << pair) != 0;
    }

    /** llama.cpp aborts when a byte has no token; we fall back to UNK, and fail only without one. */
    private int byteToken(byte b) {
        int id = byteTokens[b & 0xFF];
        if (id >= 0) return id;
        if (vocab.unk >= 0) return vocab.unk;
        throw new IllegalStateException(String.format("the vocabulary has no token for byte 0x%02X", b & 0xFF));
    }
}
