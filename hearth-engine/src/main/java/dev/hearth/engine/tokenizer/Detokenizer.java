package dev.hearth.engine.tokenizer;

/**
 * llama_detokenize, one token at a time: drops a leading BOS and a trailing EOS when asked to remove special
 * tokens (and the vocabulary adds them), strips the space the SPM prefix put before the first word, renders
 * control tokens only when asked to, and runs {@link SpaceCleaner} for vocabularies with {@code clean_spaces}.
 * Bytes go to {@code out} as soon as they are final.
 */
final class Detokenizer {
    private final Vocabulary vocab;
    private final boolean removeSpecial;
    private final boolean unparseSpecial;
    private final ByteList out;
    private final SpaceCleaner cleaner;
    private boolean first = true;
    private boolean stripSpace;
    private boolean eosHeld;

    Detokenizer(Vocabulary vocab, boolean removeSpecial, boolean unparseSpecial, ByteList out) {
        this.vocab = vocab;
        this.removeSpecial = removeSpecial;
        this.unparseSpecial = unparseSpecial;
        this.out = out;
        this.cleaner = vocab.cleanSpaces ? new SpaceCleaner(out) : null;
        this.stripSpace = vocab.addSpacePrefix;
    }

    void add(int id) {
        if (id < 0 || id >= vocab.size()) throw new IllegalArgumentException("token id " + id + " is out of range [0, " + vocab.size() + ")");
        if (first) {
            first = false;
            if (removeSpecial && vocab.addBos && id == vocab.bos) {
                stripSpace = false; // the word after a removed BOS keeps its space
                return;
            }
        }
        if (eosHeld) {
            eosHeld = false;
            emit(vocab.eos); // it was not the last token after all
        }
        if (removeSpecial && vocab.addEos && id == vocab.eos) {
            eosHeld = true; // removed only if nothing follows
            return;
        }
        emit(id);
    }

    void finish() {
        eosHeld = false;
        if (cleaner != null) cleaner.finish();
    }

    private void emit(int id) {
        boolean strip = stripSpace;
        stripSpace = false;
        if (!unparseSpecial && (vocab.attrs[id] & (Vocabulary.ATTR_CONTROL | Vocabulary.ATTR_UNKNOWN)) != 0) return;
        byte[] piece = vocab.pieces[id];
        int off = strip && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
        if (cleaner != null) cleaner.push(piece, off, piece.length - off);
        else out.add(piece, off, piece.length - off);
    }
}
