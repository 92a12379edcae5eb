package dev.hearth.engine.grammar;

/** Writing GBNF text: literals and character classes with the escapes the parser reads back. */
final class Gbnf {
    private Gbnf() {}

    /** A GBNF string literal matching exactly {@code s}. */
    static String literal(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> b.append(escape(cp, "\"\\")));
        return b.append('"').toString();
    }

    /** A GBNF class for sorted disjoint inclusive ranges. */
    static String charClass(int[] ranges) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < ranges.length; i += 2) {
            b.append(escape(ranges[i], "\\]-^["));
            if (ranges[i + 1] != ranges[i]) b.append('-').append(escape(ranges[i + 1], "\\]-^["));
        }
        return b.append(']').toString();
    }

    private static String escape(int cp, String special) {
        if (cp == '\n') return "\\n";
        if (cp == '\r') return "\\r";
        if (cp == '\t') return "\\t";
        if (cp < 0x20 || cp == 0x7F) return String.format("\\x%02X", cp);
        if (cp < 0x80 && special.indexOf(cp) >= 0) return "\\" + (char) cp;
        if (cp >= 0xD800 && cp <= 0xDFFF || cp > 0xFFFF) return String.format("\\U%08X", cp); // not representable raw
        return Character.toString(cp);
    }
}
