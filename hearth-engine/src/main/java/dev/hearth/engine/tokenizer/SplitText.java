package dev.hearth.engine.tokenizer;

/**
 * The text a pre-tokenizer works on: its code points, their classes, and (built on first use) the two forms in
 * which llama.cpp hands text to std::regex.
 */
final class SplitText {
    final int[] cps;
    final int[] classes;
    final int length;
    private String collapsed;
    private String wide;
    private int[] wideToCp; // char index in wide -> code point index; null when every code point is one char
    private final java.util.Map<java.util.regex.Pattern, java.util.regex.Matcher> matchers = new java.util.IdentityHashMap<>();

    SplitText(int[] cps, int length) {
        this.cps = cps;
        this.length = length;
        this.classes = new int[length];
        for (int i = 0; i < length; i++) classes[i] = CodepointClass.of(cps[i]);
    }

    int cp(int i, int to) {
        return i < to ? cps[i] : -1;
    }

    int cls(int i, int to) {
        return i < to ? classes[i] : CodepointClass.OUT_OF_RANGE;
    }

    /**
     * One char per code point: ASCII stays, other whitespace becomes U+000B and everything else a stand-in for
     * its category (U+00D1 number, U+00D2 letter, U+00D3 punctuation, U+00D4 mark, U+00D5 symbol, U+00D0 other).
     * This is how llama.cpp feeds regexes that use {@code \p{..}} to std::regex, which knows no Unicode classes.
     */
    String collapsed() {
        if (collapsed == null) {
            char[] c = new char[length];
            for (int i = 0; i < length; i++) {
                int cp = cps[i];
                if (cp < 128) {
                    c[i] = (char) cp;
                } else if (CodepointClass.isWhitespace(classes[i])) {
                    c[i] = 0x0B;
                } else {
                    c[i] = switch (classes[i] & 7) {
                        case CodepointClass.NUMBER -> 0xD1;
                        case CodepointClass.LETTER -> 0xD2;
                        case CodepointClass.PUNCTUATION -> 0xD3;
                        case CodepointClass.MARK -> 0xD4;
                        case CodepointClass.SYMBOL -> 0xD5;
                        default -> 0xD0;
                    };
                }
            }
            collapsed = new String(c);
        }
        return collapsed;
    }

    /** The code points as they are, except non-ASCII whitespace, which becomes U+000B (std::wregex's \s is ASCII). */
    String wide() {
        if (wide == null) {
            StringBuilder sb = new StringBuilder(length);
            boolean supplementary = false;
            for (int i = 0; i < length; i++) {
                int cp = cps[i];
                if (cp >= 128 && CodepointClass.isWhitespace(classes[i])) cp = 0x0B;
                if (cp > 0xFFFF) supplementary = true;
                // surrogates and code points beyond U+10FFFF (llama.cpp decodes both from malformed UTF-8) cannot
                // stand alone in a Java string; U+FFFF is in no range of any pattern either
                boolean representable = cp <= CodepointClass.MAX_CODEPOINT && (cp < 0xD800 || cp > 0xDFFF);
                sb.appendCodePoint(representable ? cp : 0xFFFF);
            }
            wide = sb.toString();
            if (supplementary) {
                wideToCp = new int[wide.length() + 1];
                int ci = 0;
                for (int i = 0; i < wide.length(); ci++) {
                    wideToCp[i] = ci;
                    if (Character.isHighSurrogate(wide.charAt(i)) && i + 1 < wide.length()) {
                        wideToCp[i + 1] = ci;
                        i += 2;
                    } else {
                        i++;
                    }
                }
                wideToCp[wide.length()] = ci;
            }
        }
        return wide;
    }

    /** A matcher of the pattern over {@code s}, reused across the pieces of this text. */
    java.util.regex.Matcher matcher(java.util.regex.Pattern pattern, String s) {
        java.util.regex.Matcher m = matchers.get(pattern);
        if (m == null) matchers.put(pattern, m = pattern.matcher(s));
        return m;
    }

    /** Char index in {@link #wide()} of code point i. */
    int wideIndex(int cpIndex) {
        wide();
        if (wideToCp == null) return cpIndex;
        int lo = 0, hi = wideToCp.length - 1;
        while (lo < hi) { // first char index whose code point index is >= cpIndex
            int mid = (lo + hi) >>> 1;
            if (wideToCp[mid] < cpIndex) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /** Code point index of char index i in {@link #wide()}. */
    int cpIndexOfWide(int charIndex) {
        return wideToCp == null ? charIndex : wideToCp[charIndex];
    }
}
