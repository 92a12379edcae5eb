package dev.hearth.engine.tokenizer;

import java.util.Arrays;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = gpt2}), as llama.cpp's {@code llm_tokenizer_bpe}: the
 * {@link PreTokenizer} cuts text into words; each word, one symbol per byte, is merged greedily by merge rank
 * ({@code tokenizer.ggml.merges}, lower first, leftmost on ties); the symbols left are looked up as tokens.
 *
 * <p>Vocabulary texts and merges are written in GPT-2's byte-to-unicode alphabet; they are translated to the
 * bytes they stand for once, so merging works on the raw bytes of the text. Every string that takes part in a
 * merge gets a small integer (its "piece"), and a merge is a lookup of the pair of pieces. Words already
 * tokenized are remembered.
 */
public final class BpeTokenizer extends Tokenizer {
    /** Piece ids of every byte string that is a token or a side or result of a merge. */
    private final BytesMap pieces = new BytesMap();
    /** Token id of each piece, or -1 when the piece is only a merge intermediate. */
    private final int[] pieceToken;
    /** (left piece, right piece) -> rank << 32 | merged piece. */
    private final PairMap merges;
    private final int[] bytePiece = new int[256];
    /** Token for a byte when a symbol is not a token: llama.cpp then looks up each byte of its text alone. */
    private final int[] byteFallback = new int[256];
    private final WordCache cache = new WordCache();

    BpeTokenizer(Vocabulary vocab) {
        super(vocab);
        IntList tokenOfPiece = new IntList(vocab.size() * 2);
        for (int id = 0; id < vocab.size(); id++) {
            byte[] raw = ByteLevel.decode(vocab.texts[id]);
            if (raw == null) continue; // texts outside the alphabet can never be looked up
            int p = piece(raw);
            while (tokenOfPiece.size() <= p) tokenOfPiece.add(-1);
            tokenOfPiece.set(p, id); // a repeated text keeps its last id, as in llama.cpp
        }
        merges = new PairMap(vocab.merges.length);
        for (int rank = 0; rank < vocab.merges.length; rank++) {
            String m = vocab.merges[rank];
            int space = m.indexOf(' ', 1);
            if (space < 0) continue;
            byte[] left = ByteLevel.decode(m.substring(0, space));
            byte[] right = ByteLevel.decode(m.substring(space + 1));
            if (left == null || right == null || left.length == 0 || right.length == 0) continue; // cannot apply
            byte[] merged = Arrays.copyOf(left, left.length + right.length);
            System.arraycopy(right, 0, merged, left.length, right.length);
            merges.putIfAbsent(piece(left), piece(right), (long) rank << 32 | piece(merged));
        }
        while (tokenOfPiece.size() < pieces.size()) tokenOfPiece.add(-1);
        pieceToken = tokenOfPiece.toArray();
        for (int b = 0; b < 256; b++) {
            bytePiece[b] = pieces.get(new byte[] {(byte) b});
            char c = ByteLevel.charOf(b);
            byteFallback[b] = c < 0x80 ? vocab.id(String.valueOf(c)) : -1;
        }
    }

    private int piece(byte[] raw) {
        int p = pieces.get(raw);
        if (p >= 0) return p;
        p = pieces.size();
        pieces.put(raw, p);
        return p;
    }

    @Override
    void encode(byte[] text, Fragments fragments, boolean addSpecial, IntList out) {
        if (addSpecial && vocab.addBos) out.add(requireSpecial(vocab.bos, "BOS"));
        Session s = null;
        for (int f = 0; f < fragments.size(); f++) {
            if (fragments.token(f) >= 0) {
                out.add(fragments.token(f));
                continue;
            }
            if (s == null) s = new Session();
            s.tokenizeText(text, fragments.start(f), fragments.end(f), out);
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(vocab.eos, "EOS"));
    }

    /** Scratch space for one encode call. */
    private final class Session {
        private int[] cps = new int[64];
        private byte[] bytes = new byte[256];
        private int[] cpOffset = new int[65];
        private int[] piece = new int[64], len = new int[64], prev = new int[64], next = new int[64];
        private final MergeQueue queue = new MergeQueue();
        private final IntList wordIds = new IntList();

        void tokenizeText(byte[] text, int from, int to, IntList out) {
            int max = to - from;
            if (cps.length < max) cps = new int[max];
            int n = Utf8.decode(text, from, to, cps);
            // re-encode: malformed bytes became U+FFFD, and words are made of these bytes (as in llama.cpp)
            if (bytes.length < n * 4) bytes = new byte[n * 4];
            if (cpOffset.length < n + 1) cpOffset = new int[n + 1];
            int p = 0;
            for (int i = 0; i < n; i++) {
                cpOffset[i] = p;
                p = Utf8.encode(cps[i], bytes, p);
            }
            cpOffset[n] = p;
            IntList words = vocab.preTokenizer.split(cps, n);
            int cp = 0;
            for (int w = 0; w < words.size(); w++) {
                int wordLen = words.get(w);
                cache.tokenize(bytes, cpOffset[cp], cpOffset[cp + wordLen], wordIds, out, this::merge);
                cp += wordLen;
            }
        }

        private void merge(byte[] b, int from, int to, IntList out) {
            int n = to - from;
            if (n == 0) return;
            if (vocab.ignoreMerges) {
                int p = pieces.get(b, from, n);
                if (p >= 0 && pieceToken[p] >= 0) {
                    out.add(pieceToken[p]);
                    return;
                }
            }
            if (piece.length < n) {
                piece = new int[n];
                len = new int[n];
                prev = new int[n];
                next = new int[n];
            }
            for (int i = 0; i < n; i++) {
                piece[i] = bytePiece[b[from + i] & 0xFF];
                len[i] = 1;
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
            }
            queue.clear();
            for (int i = 1; i < n; i++) tryAdd(i - 1, i);
            while (!queue.isEmpty()) {
                queue.poll();
                int l = queue.left, r = queue.right;
                if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != queue.size) continue; // stale
                piece[l] = (int) merges.get(piece[l], piece[r]);
                len[l] += len[r];
                len[r] = 0;
                next[l] = next[r];
                if (next[r] >= 0) prev[next[r]] = l;
                tryAdd(prev[l], l);
                tryAdd(l, next[l]);
            }
            for (int i = 0, start = from; i != -1; start += len[i], i = next[i]) {
                int token = piece[i] >= 0 ? pieceToken[piece[i]] : -1;
                if (token >= 0) {
                    out.add(token);
                } else {
                    for (int k = start; k < start + len[i]; k++) {
                        int t = byteFallback[b[k] & 0xFF];
                        if (t >= 0) out.add(t);
                    }
                }
            }
        }

        private void tryAdd(int l, int r) {
            if (l < 0 || r < 0 || piece[l] < 0 || piece[r] < 0) return;
            long m = merges.get(piece[l], piece[r]);
            if (m < 0) return;
            queue.add(MergeQueue.byRank((int) (m >>> 32), l), r, len[l] + len[r]);
        }
    }
}
