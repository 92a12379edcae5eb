package dev.hearth.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Turns the tokens of one generation stream into text as they arrive. Text is handed out only when it is final:
 * a character whose UTF-8 bytes are spread over several tokens (byte tokens, split emoji) comes out whole once
 * its last byte has arrived, and the few bytes {@code clean_spaces} may still remove are held back. Concatenating
 * everything {@link #next} and {@link #finish} return gives exactly {@link Tokenizer#decode} of all the tokens.
 * Not thread-safe: one decoder per stream.
 */
public final class StreamDecoder {
    private final ByteList bytes = new ByteList();
    private final Detokenizer detokenizer;

    StreamDecoder(Vocabulary vocab, boolean removeSpecial, boolean unparseSpecial) {
        this.detokenizer = new Detokenizer(vocab, removeSpecial, unparseSpecial, bytes);
    }

    /** Adds a token; returns the text that became final (often empty while a character is incomplete). */
    public String next(int id) {
        detokenizer.add(id);
        return take(Utf8.completePrefix(bytes.array(), bytes.size()));
    }

    /** Ends the stream; returns the rest, with malformed or unfinished UTF-8 replaced by U+FFFD. */
    public String finish() {
        detokenizer.finish();
        return take(bytes.size());
    }

    private String take(int n) {
        if (n == 0) return "";
        String s = new String(bytes.array(), 0, n, StandardCharsets.UTF_8);
        bytes.removeFirst(n);
        return s;
    }
}
