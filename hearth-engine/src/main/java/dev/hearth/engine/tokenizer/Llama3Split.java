package dev.hearth.engine.tokenizer;

import static dev.hearth.engine.tokenizer.CodepointClass.OUT_OF_RANGE;
import static dev.hearth.engine.tokenizer.CodepointClass.isLetter;
import static dev.hearth.engine.tokenizer.CodepointClass.isNumber;
import static dev.hearth.engine.tokenizer.CodepointClass.isWhitespace;

/**
 * The Llama 3 pattern {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
 * |\s*[\r\n]+|\s+(?!\S)|\s+} as a hand-written scanner, following llama.cpp's own matcher. With
 * {@code maxDigits = 1} it is Qwen2's pattern ({@code \p{N}} instead of {@code \p{N}{1,3}}).
 */
record Llama3Split(int maxDigits) implements SplitRule {
    @Override
    public void split(SplitText t, int from, int to, IntList out) {
        int start = from;
        int pos = from;
        while (pos < to) {
            int cp = t.cps[pos];
            int cls = t.classes[pos];
            int end = -1;
            if (cp == '\'') {
                int n = contraction(t, pos, to);
                if (n > 0) end = pos + n;
            }
            if (end < 0 && cp != '\r' && cp != '\n' && !isNumber(cls)
                    && (isLetter(cls) || isLetter(t.cls(pos + 1, to)))) {
                // [^\r\n\p{L}\p{N}]?\p{L}+: one leading non-letter is allowed
                end = pos + 1;
                while (isLetter(t.cls(end, to))) end++;
            }
            if (end < 0 && isNumber(cls)) {
                // \p{N}{1,maxDigits}: a run of digits is cut into groups from its start
                end = pos;
                int groupStart = pos;
                while (isNumber(t.cls(end, to))) {
                    if (++end - groupStart >= maxDigits) {
                        out.add(end - start);
                        start = groupStart = end;
                    }
                }
                if (end > start) out.add(end - start);
                start = pos = end;
                continue;
            }
            if (end < 0) {
                int cls2 = cp == ' ' ? t.cls(pos + 1, to) : cls;
                if (!isWhitespace(cls2) && !isLetter(cls2) && !isNumber(cls2)) {
                    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
                    end = pos + (cp == ' ' ? 1 : 0);
                    while (isOther(t.cls(end, to))) end++;
                    while (t.cp(end, to) == '\r' || t.cp(end, to) == '\n') end++;
                }
            }
            if (end < 0) {
                int spaces = 0;
                int afterLastNewline = -1;
                while (isWhitespace(t.cls(pos + spaces, to))) {
                    int c = t.cps[pos + spaces];
                    if (c == '\r' || c == '\n') afterLastNewline = pos + spaces + 1;
                    spaces++;
                }
                if (afterLastNewline >= 0) end = afterLastNewline; // \s*[\r\n]+
                else if (spaces > 1 && pos + spaces < to) end = pos + spaces - 1; // \s+(?!\S)
                else end = pos + Math.max(spaces, 1); // \s+, or a lone code point nothing matched
            }
            out.add(end - start);
            start = pos = end;
        }
    }

    private static boolean isOther(int cls) {
        return cls != OUT_OF_RANGE && !isWhitespace(cls) && !isLetter(cls) && !isNumber(cls);
    }

    /** Length of a case-insensitive {@code 's 't 're 've 'm 'll 'd} at pos, or 0. */
    private static int contraction(SplitText t, int pos, int to) {
        if (pos + 1 >= to) return 0;
        int c1 = lower(t.cps[pos + 1]);
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
        if (pos + 2 >= to) return 0;
        int c2 = lower(t.cps[pos + 2]);
        return (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') ? 3 : 0;
    }

    /** Only ASCII letters can lower-case to the letters above (U+0130 and U+212A become i and k). */
    private static int lower(int cp) {
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }
}
