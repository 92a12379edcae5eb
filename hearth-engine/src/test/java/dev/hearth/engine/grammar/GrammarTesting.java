package dev.hearth.engine.grammar;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Shared helpers: a small byte-level vocabulary and whole-string matching. */
final class GrammarTesting {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Token i < 256 is byte i; then some multi-byte pieces; the last token ends generation. */
    static final List<byte[]> PIECES = new ArrayList<>();
    static {
        for (int b = 0; b < 256; b++) PIECES.add(new byte[] {(byte) b});
        for (String s : List.of("{\"", "\":", "\": \"", "true", "false", "null", "12", "abc", "\"}", "é", "日本", "\n  ",
                "{", "}", "\",\"", "ab", "a")) {
            PIECES.add(s.getBytes(StandardCharsets.UTF_8));
        }
        PIECES.add(new byte[0]); // a control token: never allowed
        PIECES.add(new byte[0]); // end of generation
    }
    static final int EOS = PIECES.size() - 1;
    static final TokenTrie TRIE = TokenTrie.of(PIECES.size(), PIECES::get, id -> id == EOS);

    private GrammarTesting() {}

    static Object schema(String json) {
        try {
            return JSON.readValue(json, Object.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Whether the whole of text is a sentence of the grammar. */
    static boolean matches(Grammar g, String text) {
        return g.newMatcher(TRIE).acceptsText(text, true);
    }

    /** Whether text is a prefix of some sentence. */
    static boolean prefix(Grammar g, String text) {
        return g.newMatcher(TRIE).acceptsText(text, false);
    }

    static int token(String piece) {
        byte[] b = piece.getBytes(StandardCharsets.UTF_8);
        for (int i = 256; i < PIECES.size(); i++) if (java.util.Arrays.equals(PIECES.get(i), b)) return i;
        if (b.length == 1) return b[0] & 0xFF;
        throw new IllegalArgumentException(piece);
    }
}
