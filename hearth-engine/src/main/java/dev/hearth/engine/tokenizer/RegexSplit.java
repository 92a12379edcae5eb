package dev.hearth.engine.tokenizer;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pre-tokenizer regex run the way llama.cpp runs the ones it has no hand-written matcher for: through an
 * ECMAScript regex engine (std::regex) that knows no Unicode classes. A pattern that uses {@code \p{N} \p{L}
 * \p{P} \p{M} \p{S}} is rewritten to match the {@link SplitText#collapsed() collapsed} text, in which every
 * non-ASCII code point is replaced by a stand-in for its category; other patterns run on the code points with
 * non-ASCII whitespace turned into U+000B. Text the regex does not match becomes pieces of its own.
 *
 * <p>java.util.regex behaves like ECMAScript for everything these patterns use (ordered alternation, greedy
 * backtracking, lookahead, ASCII-only {@code \s}) except {@code $}, which is rewritten to {@code \z}.
 */
record RegexSplit(Pattern pattern, boolean collapsed) implements SplitRule {
    /** What each class becomes in a collapsed pattern: its stand-in plus the ASCII members llama.cpp lists. */
    private static final Map<Character, String> CLASSES = Map.of(
            'N', "\u00D10-9",
            'L', "\u00D2A-Za-z",
            'P', "\u00D3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
            'M', "\u00D4",
            'S', "\u00D5\\$\\+<->^`\\|"); // no '~': llama.cpp leaves it out of \p{S}

    static RegexSplit compile(String llamaRegex) {
        boolean collapsed = false;
        for (char c : CLASSES.keySet()) collapsed |= llamaRegex.contains("\\p{" + c + "}");
        String java = toJava(collapsed ? collapse(llamaRegex) : llamaRegex);
        return new RegexSplit(Pattern.compile(java), collapsed);
    }

    /** Replaces each Unicode class by a bracket expression over the collapsed alphabet (as llama.cpp does). */
    static String collapse(String re) {
        StringBuilder sb = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '[' && (i == 0 || re.charAt(i - 1) != '\\')) {
                inside = true;
            } else if (inside && c == ']' && re.charAt(i - 1) != '\\') {
                inside = false;
            } else if (c == '\\' && i + 4 < re.length() && re.charAt(i + 1) == 'p' && re.charAt(i + 2) == '{'
                    && re.charAt(i + 4) == '}' && CLASSES.containsKey(re.charAt(i + 3))) {
                String members = CLASSES.get(re.charAt(i + 3));
                sb.append(inside ? members : "[" + members + "]");
                i += 4;
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** ECMAScript's {@code $} (end of input only) is Java's {@code \z}. */
    private static String toJava(String re) {
        StringBuilder sb = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                sb.append(c).append(re.charAt(++i));
                continue;
            }
            if (c == '[') inside = true;
            else if (c == ']') inside = false;
            sb.append(!inside && c == '$' ? "\\z" : String.valueOf(c));
        }
        return sb.toString();
    }

    @Override
    public void split(SplitText t, int from, int to, IntList out) {
        String s = collapsed ? t.collapsed() : t.wide();
        int begin = collapsed ? from : t.wideIndex(from);
        int end = collapsed ? to : t.wideIndex(to);
        Matcher m = t.matcher(pattern, s);
        m.region(begin, end); // opaque bounds: lookahead cannot see past the piece, as with std::regex on a range
        int last = from;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            int ms = collapsed ? m.start() : t.cpIndexOfWide(m.start());
            int me = collapsed ? m.end() : t.cpIndexOfWide(m.end());
            if (ms > last) out.add(ms - last);
            out.add(me - ms);
            last = me;
        }
        if (last < to) out.add(to - last);
    }
}
