package dev.hearth.engine.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * A regular expression (the ECMAScript subset JSON Schema patterns use) as a GBNF expression: literals, escapes
 * ({@code \d \w \s}, their negations, hex and unicode escapes), classes, {@code .}, groups (capturing or not),
 * alternation and the quantifiers {@code * + ? {m} {m,} {m,n}} (lazy ones match the same strings). {@code ^} and
 * {@code $} are allowed at the ends only; without them the pattern may match anywhere (JSON Schema semantics).
 * Backreferences, lookaround and word boundaries are refused.
 *
 * <p>For a JSON string ({@code jsonString}) the expression matches the string's JSON-escaped text: a quote or
 * backslash the pattern allows is written escaped, other control characters are left out.
 */
final class RegexCompiler {
    private static final int[] ANY = {0, 0x10FFFF};
    private static final int[] DOT = {0, '\n' - 1, '\n' + 1, '\r' - 1, '\r' + 1, 0x10FFFF};

    private final String regex;
    private final boolean jsonString;
    private int pos;

    RegexCompiler(String regex, boolean jsonString) {
        this.regex = regex;
        this.jsonString = jsonString;
    }

    String compile() {
        String body = regex;
        boolean start = body.startsWith("^");
        if (start) body = body.substring(1);
        boolean end = body.endsWith("$") && !body.endsWith("\\$");
        if (end) body = body.substring(0, body.length() - 1);
        RegexCompiler inner = new RegexCompiler(body, jsonString);
        String expr = inner.alternation();
        if (inner.pos < body.length()) throw error(inner.pos + (start ? 1 : 0), "unexpected ')'");
        String any = charClass(ANY) + "*";
        return "(" + (start ? "" : any + " ") + "(" + expr + ")" + (end ? "" : " " + any) + ")";
    }

    private String alternation() {
        List<String> alts = new ArrayList<>();
        alts.add(sequence());
        while (pos < regex.length() && regex.charAt(pos) == '|') {
            pos++;
            alts.add(sequence());
        }
        return String.join(" | ", alts);
    }

    private String sequence() {
        StringBuilder b = new StringBuilder();
        while (pos < regex.length() && regex.charAt(pos) != '|' && regex.charAt(pos) != ')') {
            String atom = atom();
            atom += quantifier();
            if (!b.isEmpty()) b.append(' ');
            b.append(atom);
        }
        return b.isEmpty() ? "\"\"" : b.toString();
    }

    private String atom() {
        char c = regex.charAt(pos);
        switch (c) {
            case '(' -> {
                pos++;
                if (regex.startsWith("?:", pos)) {
                    pos += 2;
                } else if (regex.startsWith("?<", pos) && !regex.startsWith("?<=", pos) && !regex.startsWith("?<!", pos)) {
                    int close = regex.indexOf('>', pos);
                    if (close < 0) throw error(pos, "unterminated group name");
                    pos = close + 1;
                } else if (regex.startsWith("?", pos)) {
                    throw error(pos, "lookaround and inline flags are not supported");
                }
                String inner = alternation();
                if (pos >= regex.length() || regex.charAt(pos) != ')') throw error(pos, "missing ')'");
                pos++;
                return "(" + inner + ")";
            }
            case '[' -> {
                return charClass(bracket());
            }
            case '.' -> {
                pos++;
                return charClass(DOT);
            }
            case '\\' -> {
                return charClass(escape(false));
            }
            case '^', '$' -> throw error(pos, "anchors are only supported at the start and end of the pattern");
            case '*', '+', '?', '{' -> {
                if (c == '{' && !isQuantifier()) {
                    pos++;
                    return charClass(new int[] {c, c});
                }
                throw error(pos, "'" + c + "' has nothing to repeat");
            }
            default -> {
                int cp = regex.codePointAt(pos);
                pos += Character.charCount(cp);
                return charClass(new int[] {cp, cp});
            }
        }
    }

    private boolean isQuantifier() {
        int close = regex.indexOf('}', pos);
        return close > pos + 1 && regex.substring(pos + 1, close).matches("\\d+(,\\d*)?");
    }

    private String quantifier() {
        if (pos >= regex.length()) return "";
        char c = regex.charAt(pos);
        String q;
        if (c == '*' || c == '+' || c == '?') {
            pos++;
            q = String.valueOf(c);
        } else if (c == '{' && isQuantifier()) {
            int close = regex.indexOf('}', pos);
            q = regex.substring(pos, close + 1);
            pos = close + 1;
        } else {
            return "";
        }
        if (pos < regex.length() && regex.charAt(pos) == '?') pos++; // lazy: the same strings
        if (pos < regex.length() && "*+?".indexOf(regex.charAt(pos)) >= 0) throw error(pos, "nested quantifier");
        return q;
    }

    /** A [...] class as normalized ranges. */
    private int[] bracket() {
        pos++;
        boolean negated = pos < regex.length() && regex.charAt(pos) == '^';
        if (negated) pos++;
        List<int[]> ranges = new ArrayList<>();
        boolean first = true;
        while (true) {
            if (pos >= regex.length()) throw error(pos, "unterminated character class");
            char c = regex.charAt(pos);
            if (c == ']' && !first) break;
            first = false;
            int lo;
            if (c == '\\') {
                int[] e = escape(true);
                if (e.length != 2 || e[0] != e[1]) { // a class escape like \d inside brackets
                    for (int i = 0; i < e.length; i += 2) ranges.add(new int[] {e[i], e[i + 1]});
                    continue;
                }
                lo = e[0];
            } else {
                lo = regex.codePointAt(pos);
                pos += Character.charCount(lo);
            }
            int hi = lo;
            if (pos + 1 < regex.length() && regex.charAt(pos) == '-' && regex.charAt(pos + 1) != ']') {
                pos++;
                if (regex.charAt(pos) == '\\') {
                    int[] e = escape(true);
                    if (e.length != 2 || e[0] != e[1]) throw error(pos, "a class escape cannot end a range");
                    hi = e[0];
                } else {
                    hi = regex.codePointAt(pos);
                    pos += Character.charCount(hi);
                }
                if (hi < lo) throw error(pos, "character range out of order");
            }
            ranges.add(new int[] {lo, hi});
        }
        pos++;
        return GbnfParser.normalize(ranges, negated);
    }

    /** An escape at pos as ranges. */
    private int[] escape(boolean inClass) {
        if (pos + 1 >= regex.length()) throw error(pos, "unfinished escape");
        char e = regex.charAt(pos + 1);
        pos += 2;
        return switch (e) {
            case 'd' -> new int[] {'0', '9'};
            case 'D' -> complement(new int[] {'0', '9'});
            case 'w' -> new int[] {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
            case 'W' -> complement(new int[] {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'});
            case 's' -> new int[] {'\t', '\r', ' ', ' '};
            case 'S' -> complement(new int[] {'\t', '\r', ' ', ' '});
            case 'n' -> single('\n');
            case 'r' -> single('\r');
            case 't' -> single('\t');
            case 'f' -> single('\f');
            case 'v' -> single(0x0B);
            case '0' -> single(0);
            case 'x' -> single(hex(2));
            case 'u' -> single(hex(4));
            case 'b' -> {
                if (inClass) yield single('\b');
                throw error(pos - 2, "word boundaries (\\b) are not supported");
            }
            default -> {
                if (Character.isLetterOrDigit(e)) throw error(pos - 2, "escape '\\" + e + "' is not supported");
                yield single(e);
            }
        };
    }

    private int hex(int digits) {
        if (pos + digits > regex.length()) throw error(pos, "expected " + digits + " hex digits");
        try {
            int v = Integer.parseInt(regex.substring(pos, pos + digits), 16);
            pos += digits;
            return v;
        } catch (NumberFormatException ex) {
            throw error(pos, "expected " + digits + " hex digits");
        }
    }

    private static int[] single(int cp) {
        return new int[] {cp, cp};
    }

    private static int[] complement(int[] ranges) {
        List<int[]> list = new ArrayList<>();
        for (int i = 0; i < ranges.length; i += 2) list.add(new int[] {ranges[i], ranges[i + 1]});
        return GbnfParser.normalize(list, true);
    }

    /** The GBNF for one character of the class (JSON-escaped in string mode). */
    private String charClass(int[] ranges) {
        if (!jsonString) return Gbnf.charClass(ranges);
        List<int[]> plain = new ArrayList<>();
        List<String> escaped = new ArrayList<>();
        for (int i = 0; i < ranges.length; i += 2) {
            int lo = ranges[i], hi = ranges[i + 1];
            for (int special : new int[] {'\t', '\n', '\r', '"', '\\'}) {
                if (special >= lo && special <= hi) {
                    escaped.add(Gbnf.literal(switch (special) {
                        case '\t' -> "\\t";
                        case '\n' -> "\\n";
                        case '\r' -> "\\r";
                        case '"' -> "\\\"";
                        default -> "\\\\";
                    }));
                }
            }
            // plain characters: no controls, quote or backslash
            int a = Math.max(lo, 0x20);
            for (int cut : new int[] {'"', '\\'}) {
                if (cut >= a && cut <= hi) {
                    if (cut > a) plain.add(new int[] {a, cut - 1});
                    a = cut + 1;
                }
            }
            if (a <= hi) plain.add(new int[] {a, hi});
        }
        List<String> alts = new ArrayList<>();
        if (!plain.isEmpty()) alts.add(Gbnf.charClass(GbnfParser.normalize(plain, false)));
        alts.addAll(escaped);
        if (alts.isEmpty()) throw new GrammarException("pattern '" + regex + "' needs control characters a JSON string cannot hold");
        return alts.size() == 1 ? alts.getFirst() : "(" + String.join(" | ", alts) + ")";
    }

    private GrammarException error(int at, String message) {
        return new GrammarException("pattern '" + regex + "' at " + at + ": " + message);
    }
}
