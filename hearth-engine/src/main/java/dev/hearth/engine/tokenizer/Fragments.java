package dev.hearth.engine.tokenizer;

/**
 * Text cut at special tokens before the model's tokenizer sees it ({@code tokenizer_st_partition}): each special
 * token, longest first, is searched in every piece of text still unsplit, and every occurrence becomes that token.
 * Without parse_special only USER_DEFINED tokens are split out; CONTROL and UNKNOWN texts stay plain text.
 * Tokens marked LSTRIP/RSTRIP also eat the ASCII whitespace next to them.
 *
 * <p>Fragment i is either token {@code token(i) >= 0}, or raw text {@code [start(i), end(i))} of the input.
 */
final class Fragments {
    private int[] token = new int[8];
    private int[] start = new int[8];
    private int[] end = new int[8];
    private int n;

    int size() { return n; }
    int token(int i) { return token[i]; }
    int start(int i) { return start[i]; }
    int end(int i) { return end[i]; }

    private void add(int tok, int s, int e) {
        if (n == token.length) {
            token = java.util.Arrays.copyOf(token, n * 2);
            start = java.util.Arrays.copyOf(start, n * 2);
            end = java.util.Arrays.copyOf(end, n * 2);
        }
        token[n] = tok;
        start[n] = s;
        end[n] = e;
        n++;
    }

    static Fragments split(Vocabulary vocab, byte[] text, boolean parseSpecial) {
        Fragments current = new Fragments();
        if (text.length == 0) return current;
        current.add(-1, 0, text.length);
        boolean[] present = vocab.specialIndex.occurring(text);
        if (present == null) return current;
        for (int k = 0; k < vocab.specialTokens.length; k++) {
            if (!present[k]) continue; // a token absent from the text is absent from every piece of it
            int id = vocab.specialTokens[k];
            int attr = vocab.attrs[id];
            if (!parseSpecial && (attr & (Vocabulary.ATTR_CONTROL | Vocabulary.ATTR_UNKNOWN)) != 0) continue;
            byte[] pattern = vocab.textBytes[id];
            if (!current.containsText(text, pattern)) continue;
            Fragments next = new Fragments();
            for (int i = 0; i < current.n; i++) {
                if (current.token[i] >= 0) next.add(current.token[i], 0, 0);
                else next.splitAt(text, current.start[i], current.end[i], id, pattern, attr);
            }
            current = next;
        }
        return current;
    }

    /** Whether any raw fragment holds the pattern (most special tokens never occur; skip rebuilding then). */
    private boolean containsText(byte[] text, byte[] pattern) {
        for (int i = 0; i < n; i++) {
            if (token[i] < 0 && indexOf(text, pattern, start[i], end[i]) >= 0) return true;
        }
        return false;
    }

    private void splitAt(byte[] text, int from, int to, int id, byte[] pattern, int attr) {
        int base = from;
        while (true) {
            int match = indexOf(text, pattern, base, to);
            if (match < 0) break;
            int leftEnd = match;
            if ((attr & Vocabulary.ATTR_LSTRIP) != 0) {
                while (leftEnd > base && isSpace(text[leftEnd - 1])) leftEnd--;
            }
            if (leftEnd > base) add(-1, base, leftEnd);
            add(id, 0, 0);
            base = match + pattern.length;
            if ((attr & Vocabulary.ATTR_RSTRIP) != 0) {
                while (base < to && isSpace(text[base])) base++;
            }
        }
        if (base < to) add(-1, base, to);
    }

    /** C isspace in the "C" locale. */
    private static boolean isSpace(byte b) {
        return b == ' ' || (b >= 0x09 && b <= 0x0D);
    }

    /** First occurrence of the pattern lying wholly inside {@code text[from, to)}, or -1. */
    static int indexOf(byte[] text, byte[] pattern, int from, int to) {
        int m = pattern.length;
        if (m == 0) return -1;
        byte first = pattern[0];
        for (int i = from, last = to - m; i <= last; i++) {
            if (text[i] != first) continue;
            int k = 1;
            while (k < m && text[i + k] == pattern[k]) k++;
            if (k == m) return i;
        }
        return -1;
    }
}
