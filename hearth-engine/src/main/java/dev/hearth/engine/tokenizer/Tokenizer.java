package dev.hearth.engine.tokenizer;

import dev.hearth.engine.gguf.GgufFile;

import java.nio.charset.StandardCharsets;

/**
 * A model's tokenizer, read from the {@code tokenizer.ggml.*} metadata of its GGUF file, producing exactly the
 * token ids and text llama.cpp (b4747) produces: {@link SpmTokenizer} for {@code tokenizer.ggml.model = llama}
 * (SentencePiece-style BPE over scores), {@link BpeTokenizer} for {@code gpt2} (byte-level BPE over merge ranks).
 * Instances are immutable and safe to share between threads.
 */
public sealed abstract class Tokenizer permits SpmTokenizer, BpeTokenizer {
    /** The id methods return when a vocabulary has no such token. */
    public static final int NO_TOKEN = -1;

    final Vocabulary vocab;

    Tokenizer(Vocabulary vocab) {
        this.vocab = vocab;
    }

    /**
     * The tokenizer described by a GGUF file's metadata.
     *
     * @throws UnsupportedOperationException for tokenizer models other than {@code llama} and {@code gpt2}
     * @throws IllegalArgumentException      for a {@code tokenizer.ggml.pre} llama.cpp does not know, or bad metadata
     */
    public static Tokenizer fromGguf(GgufFile gguf) {
        Vocabulary v = Vocabulary.fromGguf(gguf);
        return switch (v.model) {
            case SPM -> new SpmTokenizer(v);
            case BPE -> new BpeTokenizer(v);
        };
    }

    /** {@link #encode(byte[], boolean, boolean)} of the text's UTF-8 (lone surrogates become '?'). */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return encode(text.getBytes(StandardCharsets.UTF_8), addSpecial, parseSpecial);
    }

    /**
     * llama_tokenize: the token ids of UTF-8 text.
     *
     * @param addSpecial   add BOS/EOS where the vocabulary asks for them ({@link #addsBos()}, {@link #addsEos()})
     * @param parseSpecial turn the texts of CONTROL and UNKNOWN tokens (such as {@code <|im_start|>}) into those
     *                     tokens; USER_DEFINED tokens are always turned into themselves
     */
    public int[] encode(byte[] utf8, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(utf8.length / 3 + 8);
        encode(utf8, Fragments.split(vocab, utf8, parseSpecial), addSpecial, out);
        return out.toArray();
    }

    abstract void encode(byte[] text, Fragments fragments, boolean addSpecial, IntList out);

    /** llama.cpp asserts here; a vocabulary that adds BOS/EOS without having one is broken. */
    static int requireSpecial(int id, String what) {
        if (id < 0) throw new IllegalStateException("the vocabulary asks for a " + what + " token but has none");
        return id;
    }

    /** {@link #decode(int[], boolean, boolean)} keeping special tokens, control tokens rendered as nothing. */
    public String decode(int[] ids) {
        return decode(ids, false, false);
    }

    /**
     * llama_detokenize as text (malformed UTF-8, e.g. an incomplete byte sequence, becomes U+FFFD).
     *
     * @param removeSpecial  drop a leading BOS and a trailing EOS when the vocabulary adds them
     * @param unparseSpecial render CONTROL and UNKNOWN tokens as their text (otherwise they produce nothing)
     */
    public String decode(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        return new String(decodeBytes(ids, removeSpecial, unparseSpecial), StandardCharsets.UTF_8);
    }

    /** llama_detokenize: the exact bytes. */
    public byte[] decodeBytes(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        ByteList out = new ByteList();
        Detokenizer d = new Detokenizer(vocab, removeSpecial, unparseSpecial, out);
        for (int id : ids) d.add(id);
        d.finish();
        return out.toArray();
    }

    /** A decoder for one stream of generated tokens; see {@link StreamDecoder}. */
    public StreamDecoder newDecoder(boolean removeSpecial, boolean unparseSpecial) {
        return new StreamDecoder(vocab, removeSpecial, unparseSpecial);
    }

    /** llama_token_to_piece(id, lstrip = 0, special = true): the bytes of one token, control tokens included. */
    public byte[] piece(int id) {
        return piece(id, true);
    }

    /** llama_token_to_piece(id, lstrip = 0, special): with {@code special = false} CONTROL/UNKNOWN give nothing. */
    public byte[] piece(int id, boolean special) {
        checkId(id);
        if (!special && (vocab.attrs[id] & (Vocabulary.ATTR_CONTROL | Vocabulary.ATTR_UNKNOWN)) != 0) return new byte[0];
        return vocab.pieces[id].clone();
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** The token's text as stored in the vocabulary (with {@code ▁} or byte-level characters, not decoded). */
    public String tokenText(int id) {
        checkId(id);
        return vocab.texts[id];
    }

    /** The token's type, after llama.cpp's adjustments (end-of-generation lookalikes become CONTROL). */
    public TokenType tokenType(int id) {
        checkId(id);
        return vocab.type(id);
    }

    public float tokenScore(int id) {
        checkId(id);
        return vocab.scores[id];
    }

    /** The id of the token with exactly this text, or {@link #NO_TOKEN}. */
    public int tokenId(String text) {
        return vocab.id(text);
    }

    public int bos() { return vocab.bos; }
    public int eos() { return vocab.eos; }
    /** End of turn ({@code <|eot_id|>}, {@code <|im_end|>}...), or {@link #NO_TOKEN}. */
    public int eot() { return vocab.eot; }
    public int eom() { return vocab.eom; }
    public int unk() { return vocab.unk; }
    public int pad() { return vocab.pad; }
    public int sep() { return vocab.sep; }
    public int fimPrefix() { return vocab.fimPre; }
    public int fimSuffix() { return vocab.fimSuf; }
    public int fimMiddle() { return vocab.fimMid; }

    /** Whether encode(…, addSpecial = true, …) starts with BOS. */
    public boolean addsBos() { return vocab.addBos; }
    /** Whether encode(…, addSpecial = true, …) ends with EOS. */
    public boolean addsEos() { return vocab.addEos; }

    /** Whether generating this token ends generation (EOS, EOT, EOM, {@code <|im_end|>}, FIM pad/repo/sep...). */
    public boolean isEog(int id) {
        return java.util.Arrays.binarySearch(vocab.eog, id) >= 0;
    }

    /** All end-of-generation tokens, ascending. */
    public int[] eogTokens() {
        return vocab.eog.clone();
    }

    /** The {@code tokenizer.ggml.pre} pre-tokenizer in use, or null for SPM. */
    public String preTokenizer() {
        return vocab.preTokenizer == null ? null : vocab.preTokenizer.name();
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) throw new IllegalArgumentException("token id " + id + " is out of range [0, " + vocab.size() + ")");
    }
}
