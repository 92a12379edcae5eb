package dev.hearth.engine.tokenizer;

import static dev.hearth.engine.tokenizer.CodepointClass.OUT_OF_RANGE;
import static dev.hearth.engine.tokenizer.CodepointClass.isLetter;
import static dev.hearth.engine.tokenizer.CodepointClass.isNumber;
import static dev.hearth.engine.tokenizer.CodepointClass.isWhitespace;

/**
 * GPT-2's pattern {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} as a
 * hand-written scanner, with llama.cpp's reading of each class: contractions are lower case only, a lone space
 * joins the run that follows it, and a whitespace run before a non-space gives its last space to the next piece.
 */
record Gpt2Split() implements SplitRule {
    @Override
    public void split(SplitText t, int from, int to, IntList out) {
        int start = from;
        int pos = from;
        while (pos < to) {
            int cp = t.cps[pos];
            int cls = t.classes[pos];
            int end;
            int contraction = cp == '\'' ? contraction(t, pos, to) : 0;
            int cls2 = cp == ' ' ? t.cls(pos + 1, to) : cls;
            if (contraction > 0) {
                end = pos + contraction;
            } else if (isLetter(cls2)) {
                end = pos + (cp == ' ' ? 1 : 0);
                while (isLetter(t.cls(end, to))) end++;
            } else if (isNumber(cls2)) {
                end = pos + (cp == ' ' ? 1 : 0);
                while (isNumber(t.cls(end, to))) end++;
            } else if (isOther(cls2)) {
                end = pos + (cp == ' ' ? 1 : 0);
                while (isOther(t.cls(end, to))) end++;
            } else {
                int spaces = 0;
                while (isWhitespace(t.cls(pos + spaces, to))) spaces++;
                if (spaces > 1 && pos + spaces < to) end = pos + spaces - 1; // \s+(?!\S): leave one for the next piece
                else end = pos + Math.max(spaces, 1);
            }
            out.add(end - start);
            start = pos = end;
        }
    }

    /** Not whitespace, letter or number, and inside the fragment. */
    private static boolean isOther(int cls) {
        return cls != OUT_OF_RANGE && !isWhitespace(cls) && !isLetter(cls) && !isNumber(cls);
    }

    /** Length of {@code 's 't 're 've 'm 'll 'd} at pos (which holds an apostrophe), or 0. */
    private static int contraction(SplitText t, int pos, int to) {
        if (pos + 1 >= to) return 0;
        int c1 = t.cps[pos + 1];
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
        if (pos + 2 >= to) return 0;
        int c2 = t.cps[pos + 2];
        return (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') ? 3 : 0;
    }
}
