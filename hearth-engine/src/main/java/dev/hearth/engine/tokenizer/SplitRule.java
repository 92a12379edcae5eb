package dev.hearth.engine.tokenizer;

import java.util.List;

/**
 * One step of a BPE pre-tokenizer: it cuts a run of code points into pieces. llama.cpp applies a list of such
 * regexes one after the other, each inside the pieces the previous one produced ({@code unicode_regex_split}),
 * and runs two of them (the GPT-2 and Llama 3 patterns) with hand-written matchers instead of a regex engine.
 */
sealed interface SplitRule permits Gpt2Split, Llama3Split, CaseSplit, ClassRunSplit, RegexSplit {
    /** llama.cpp's GPT-2 pattern, run by {@link Gpt2Split}. */
    String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    /** The Llama 3 pattern as llama.cpp rewrites it (no inline case-insensitive group), run by {@link Llama3Split}. */
    String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** The Llama 3 pattern as written in tokenizer.json; llama.cpp also runs it with its Llama 3 matcher. */
    String LLAMA3_ORIGINAL = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /**
     * Qwen2's pattern: Llama 3's with single digits. llama.cpp runs it through std::regex; {@link Llama3Split} with
     * one-digit numbers gives the same pieces (checked against llama.cpp on the inputs of PreTokenizerTest).
     */
    String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    String CONTRACTION = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    /** Tekken's pattern (llama.cpp's rewrite without \p{Lu}/\p{Ll}), run by {@link CaseSplit}. */
    String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
            + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*"
            + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** GPT-4o's pattern as later llama.cpp versions write it (Llama 4 uses it too), run by {@link CaseSplit}. */
    String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+" + CONTRACTION
            + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" + CONTRACTION
            + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * Cuts {@code cps[from, to)} (with {@code classes} from {@link CodepointClass#of}) and appends the piece lengths
     * in code points to {@code out}; the lengths add up to {@code to - from}. {@code text} gives rules that run a
     * regex the converted text they need.
     */
    void split(SplitText text, int from, int to, IntList out);

    /** The rule for one of llama.cpp's pre-tokenizer regexes (as written in llama-vocab.cpp). */
    static SplitRule of(String llamaRegex) {
        return switch (llamaRegex) {
            case GPT2 -> new Gpt2Split();
            case LLAMA3, LLAMA3_ORIGINAL -> new Llama3Split(3);
            case QWEN2 -> new Llama3Split(1);
            case TEKKEN -> new CaseSplit(1, false);
            case GPT4O -> new CaseSplit(3, true);
            default -> {
                ClassRunSplit sets = ClassRunSplit.parse(llamaRegex);
                yield sets != null ? sets : RegexSplit.compile(llamaRegex);
            }
        };
    }

    static List<SplitRule> of(String... llamaRegexes) {
        return java.util.Arrays.stream(llamaRegexes).map(SplitRule::of).toList();
    }
}
