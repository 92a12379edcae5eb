package dev.hearth.engine.tokenizer;

import static dev.hearth.engine.tokenizer.CodepointClass.OUT_OF_RANGE;
import static dev.hearth.engine.tokenizer.CodepointClass.isLetter;
import static dev.hearth.engine.tokenizer.CodepointClass.isNumber;
import static dev.hearth.engine.tokenizer.CodepointClass.isWhitespace;

/**
 * The case-splitting patterns of Tekken (Mistral) and GPT-4o/Llama 4 as a hand-written scanner:
 * <pre>
 * [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+C?
 * |[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*C?
 * |\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 * where C is the optional contraction group of GPT-4o ({@code contractions}). llama.cpp runs these through
 * std::regex on its collapsed text, where every non-ASCII letter is the same stand-in character: such a letter
 * counts as both "not a-z" and "not A-Z". This scanner reproduces that, including the regex's backtracking
 * (checked against llama.cpp on the inputs of PreTokenizerTest).
 */
record CaseSplit(int maxDigits, boolean contractions) implements SplitRule {
    @Override
    public void split(SplitText t, int from, int to, IntList out) {
        int start = from;
        int pos = from;
        while (pos < to) {
            int end = letters(t, pos, to);
            if (end < 0 && isNumber(t.classes[pos])) {
                end = pos;
                while (end - pos < maxDigits && isNumber(t.cls(end, to))) end++;
            }
            if (end < 0) end = punctuation(t, pos, to);
            if (end < 0) end = whitespace(t, pos, to);
            out.add(end - start);
            start = pos = end;
        }
    }

    /** The two letter alternatives with their optional leading character; -1 when neither matches. */
    private int letters(SplitText t, int p, int to) {
        int cp = t.cps[p];
        int cls = t.classes[p];
        int q0 = cp != '\r' && cp != '\n' && !isLetter(cls) && !isNumber(cls) ? p + 1 : p; // optional lead
        // 1: "upper"* "lower"+ -- the greedy upper run gives back characters until a lower one can start
        int q = q0;
        while (upper(t, q, to)) q++;
        int end = -1;
        if (lower(t, q, to)) {
            end = lowerRunEnd(t, q, to);
        } else {
            for (int r = q - 1; r >= q0; r--) {
                if (lower(t, r, to)) {
                    end = lowerRunEnd(t, r, to);
                    break;
                }
            }
        }
        // 2: "upper"+ "lower"*
        if (end < 0 && q > q0) end = lowerRunEnd(t, q, to);
        if (end < 0) return -1;
        return contractions ? end + contraction(t, end, to) : end;
    }

    /** A letter other than a-z (any non-ASCII letter qualifies). */
    private static boolean upper(SplitText t, int i, int to) {
        return i < to && isLetter(t.classes[i]) && !(t.cps[i] >= 'a' && t.cps[i] <= 'z');
    }

    /** A letter other than A-Z (any non-ASCII letter qualifies). */
    private static boolean lower(SplitText t, int i, int to) {
        return i < to && isLetter(t.classes[i]) && !(t.cps[i] >= 'A' && t.cps[i] <= 'Z');
    }

    private static int lowerRunEnd(SplitText t, int i, int to) {
        while (lower(t, i, to)) i++;
        return i;
    }

    /** {@code  ?[^\s\p{L}\p{N}]+[\r\n/]*}, or -1. */
    private static int punctuation(SplitText t, int p, int to) {
        int e;
        if (isOther(t.cls(p, to))) e = p;
        else if (t.cps[p] == ' ' && isOther(t.cls(p + 1, to))) e = p + 1;
        else return -1;
        while (isOther(t.cls(e, to))) e++;
        while (t.cp(e, to) == '\r' || t.cp(e, to) == '\n' || t.cp(e, to) == '/') e++;
        return e;
    }

    /** {@code \s*[\r\n]+|\s+(?!\S)|\s+}, or a single code point when nothing matched. */
    private static int whitespace(SplitText t, int p, int to) {
        int spaces = 0;
        int afterLastNewline = -1;
        while (isWhitespace(t.cls(p + spaces, to))) {
            int c = t.cps[p + spaces];
            if (c == '\r' || c == '\n') afterLastNewline = p + spaces + 1;
            spaces++;
        }
        if (afterLastNewline >= 0) return afterLastNewline;
        if (spaces > 1 && p + spaces < to) return p + spaces - 1;
        return p + Math.max(spaces, 1);
    }

    private static boolean isOther(int cls) {
        return cls != OUT_OF_RANGE && !isWhitespace(cls) && !isLetter(cls) && !isNumber(cls);
    }

    /** Length of {@code 's 't 're 've 'm 'll 'd} (ASCII letters in either case) at i, or 0. */
    private static int contraction(SplitText t, int i, int to) {
        if (t.cp(i, to) != '\'' || i + 1 >= to) return 0;
        int c1 = lower(t.cps[i + 1]);
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
        if (i + 2 >= to) return 0;
        int c2 = lower(t.cps[i + 2]);
        return (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') ? 3 : 0;
    }

    private static int lower(int cp) {
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }
}
