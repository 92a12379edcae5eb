package dev.hearth.engine.tokenizer;

/** UTF-8 helpers that reproduce llama.cpp's lenient handling of malformed input. */
final class Utf8 {
    static final int REPLACEMENT = 0xFFFD;

    private Utf8() {}

    /** Length of the sequence a lead byte announces, by its high nibble (continuation bytes count as 1). */
    static int sequenceLength(byte lead) {
        int hi = (lead & 0xFF) >>> 4;
        return hi < 0xC ? 1 : hi < 0xE ? 2 : hi == 0xE ? 3 : 4;
    }

    /**
     * Decodes {@code b[from, to)} to code points the way llama.cpp's {@code unicode_cpts_from_utf8} does: every byte
     * that does not start a structurally valid sequence becomes one U+FFFD; overlong forms and surrogates pass.
     * Returns the number of code points written to {@code out}, which must hold {@code to - from} entries.
     */
    static int decode(byte[] b, int from, int to, int[] out) {
        int n = 0;
        int i = from;
        while (i < to) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                out[n++] = c;
                i++;
            } else if ((c & 0x40) == 0) {
                out[n++] = REPLACEMENT;
                i++;
            } else if ((c & 0x20) == 0) {
                if (i + 1 < to && cont(b[i + 1])) {
                    out[n++] = (c & 0x1F) << 6 | (b[i + 1] & 0x3F);
                    i += 2;
                } else {
                    out[n++] = REPLACEMENT;
                    i++;
                }
            } else if ((c & 0x10) == 0) {
                if (i + 2 < to && cont(b[i + 1]) && cont(b[i + 2])) {
                    out[n++] = (c & 0x0F) << 12 | (b[i + 1] & 0x3F) << 6 | (b[i + 2] & 0x3F);
                    i += 3;
                } else {
                    out[n++] = REPLACEMENT;
                    i++;
                }
            } else if ((c & 0x08) == 0) {
                if (i + 3 < to && cont(b[i + 1]) && cont(b[i + 2]) && cont(b[i + 3])) {
                    out[n++] = (c & 0x07) << 18 | (b[i + 1] & 0x3F) << 12 | (b[i + 2] & 0x3F) << 6 | (b[i + 3] & 0x3F);
                    i += 4;
                } else {
                    out[n++] = REPLACEMENT;
                    i++;
                }
            } else {
                out[n++] = REPLACEMENT;
                i++;
            }
        }
        return n;
    }

    private static boolean cont(byte b) {
        return (b & 0xC0) == 0x80;
    }

    /** Appends the UTF-8 encoding of a code point (up to 0x1FFFFF, as llama.cpp's decoder can produce). */
    static int encode(int cp, byte[] out, int pos) {
        if (cp < 0x80) {
            out[pos] = (byte) cp;
            return pos + 1;
        }
        if (cp < 0x800) {
            out[pos] = (byte) (0xC0 | cp >>> 6);
            out[pos + 1] = (byte) (0x80 | cp & 0x3F);
            return pos + 2;
        }
        if (cp < 0x10000) {
            out[pos] = (byte) (0xE0 | cp >>> 12);
            out[pos + 1] = (byte) (0x80 | cp >>> 6 & 0x3F);
            out[pos + 2] = (byte) (0x80 | cp & 0x3F);
            return pos + 3;
        }
        out[pos] = (byte) (0xF0 | cp >>> 18 & 0x07);
        out[pos + 1] = (byte) (0x80 | cp >>> 12 & 0x3F);
        out[pos + 2] = (byte) (0x80 | cp >>> 6 & 0x3F);
        out[pos + 3] = (byte) (0x80 | cp & 0x3F);
        return pos + 4;
    }

    /**
     * How many of the first {@code len} bytes can be turned into text now: all of them except a trailing sequence
     * that is still incomplete but could become valid UTF-8 with more bytes. Decoding the prefix and, later, the
     * rest gives the same characters as decoding everything at once.
     */
    static int completePrefix(byte[] b, int len) {
        for (int back = 1; back <= 3 && back <= len; back++) {
            int c = b[len - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: keep looking for its lead
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            if (c >= 0xF5) need = 1;
            if (need > back && validSoFar(b, len - back, len)) return len - back;
            return len;
        }
        return len;
    }

    /** Whether the bytes of an incomplete sequence are a prefix of some valid UTF-8 sequence. */
    private static boolean validSoFar(byte[] b, int from, int to) {
        int lead = b[from] & 0xFF;
        if (to - from < 2) return true;
        int second = b[from + 1] & 0xFF;
        int lo = 0x80, hi = 0xBF;
        if (lead == 0xE0) lo = 0xA0;
        else if (lead == 0xED) hi = 0x9F;
        else if (lead == 0xF0) lo = 0x90;
        else if (lead == 0xF4) hi = 0x8F;
        return second >= lo && second <= hi; // later bytes were checked to be continuation bytes by the caller
    }
}
