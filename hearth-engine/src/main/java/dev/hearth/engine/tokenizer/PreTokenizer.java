package dev.hearth.engine.tokenizer;

import java.util.List;

/**
 * How a byte-level BPE vocabulary cuts text into words before merging, chosen by {@code tokenizer.ggml.pre}, with
 * the flags llama.cpp b4747 sets along with it. The regexes are llama.cpp's, verbatim; {@code gpt-4o} comes from
 * later llama.cpp versions (b4747 rejects it).
 *
 * @param name         the {@code tokenizer.ggml.pre} value
 * @param rules        the split rules, applied one after the other
 * @param ignoreMerges a word that is itself a vocabulary entry becomes that token without merging
 * @param cleanSpaces  the detokenizer removes spaces before {@code ? ! . ,} and some apostrophes
 * @param addBos       forces {@code add_bos} on (before {@code tokenizer.ggml.add_bos_token} is read)
 * @param noBos        there is no BOS token unless {@code tokenizer.ggml.bos_token_id} names one
 */
record PreTokenizer(String name, List<SplitRule> rules, boolean ignoreMerges, boolean cleanSpaces,
                           boolean addBos, boolean noBos) {

    private static final String DEEPSEEK_LLM_LETTERS = "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA"
            + "\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A"
            + "\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5"
            + "\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15"
            + "\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4"
            + "\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4"
            + "\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134"
            + "\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3"
            + "\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06"
            + "\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3"
            + "\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF"
            + "\uD83A\uDD00-\uD83A\uDD43]+";
    private static final String CJK_HANGUL = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
    private static final String NOT_PUNCT_RUN = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";
    /**
     * The pre-tokenizer llama.cpp uses for a {@code tokenizer.ggml.pre} value; an absent or empty value means
     * "default" (the regexes llama.cpp falls back to, with a warning about degraded quality).
     *
     * @throws IllegalArgumentException for a value llama.cpp does not know
     */
    static PreTokenizer forName(String pre) {
        String name = pre == null || pre.isEmpty() ? "default" : pre;
        return switch (name) {
            case "default" -> of(name, true, rules("[\\p{P}\\$\\+<=>\\^~\\|]+", SplitRule.GPT2, "\\p{N}+",
                    "[0-9][0-9][0-9]"));
            case "llama3", "llama-v3", "llama-bpe", "falcon3" ->
                    new PreTokenizer(name, rules(SplitRule.LLAMA3), true, true, true, false);
            case "dbrx", "smaug-bpe" -> of(name, true, rules(SplitRule.LLAMA3));
            case "chatglm-bpe" -> new PreTokenizer(name, rules(SplitRule.LLAMA3), false, true, false, true);
            case "deepseek-llm" -> of(name, false, rules("[\r\n]", DEEPSEEK_LLM_LETTERS,
                    "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", "\\s+$", CJK_HANGUL,
                    "\\p{N}+"));
            case "deepseek-coder" -> of(name, false, rules("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK_HANGUL,
                    "\\p{N}"));
            case "deepseek-v3" -> of(name, false, rules("\\p{N}{1,3}", "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                            + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"));
            case "falcon" -> of(name, true, rules("[\\p{P}\\$\\+<=>\\^~\\|`]+", SplitRule.GPT2, "[0-9][0-9][0-9]"));
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b" ->
                    of(name, true, rules("\\p{N}", SplitRule.GPT2));
            case "command-r", "smollm" -> of(name, false, rules("\\p{N}", SplitRule.GPT2));
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais" -> of(name, true, rules(SplitRule.GPT2));
            case "qwen2", "deepseek-r1-qwen" -> of(name, false, rules(SplitRule.QWEN2));
            case "stablelm2", "megrez" -> of(name, true, rules(SplitRule.QWEN2));
            case "poro-chat" -> of(name, false, rules(NOT_PUNCT_RUN));
            case "bloom", "gpt3-finnish" -> of(name, true, rules(NOT_PUNCT_RUN));
            case "viking" -> of(name, false, rules(NOT_PUNCT_RUN, "\\p{N}"));
            case "tekken" -> new PreTokenizer(name, rules(SplitRule.TEKKEN), true, false, true, false);
            case "chameleon" -> new PreTokenizer(name, rules("<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
                    "([\\t\\n]|    |  )", "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", SplitRule.GPT2), false, false, true, false);
            case "gpt-4o", "llama4" -> of(name, false, rules(SplitRule.GPT4O));
            default -> throw new IllegalArgumentException("unknown pre-tokenizer type: '" + name + "'");
        };
    }

    private static PreTokenizer of(String name, boolean cleanSpaces, List<SplitRule> rules) {
        return new PreTokenizer(name, rules, false, cleanSpaces, false, false);
    }

    private static List<SplitRule> rules(String... llamaRegexes) {
        return SplitRule.of(llamaRegexes);
    }

    /** Cuts {@code cps[0, length)} into words; returns their lengths in code points. */
    IntList split(int[] cps, int length) {
        SplitText text = new SplitText(cps, length);
        IntList pieces = new IntList();
        pieces.add(length);
        for (SplitRule rule : rules) {
            IntList next = new IntList(pieces.size() * 2);
            int start = 0;
            for (int i = 0; i < pieces.size(); i++) {
                int len = pieces.get(i);
                rule.split(text, start, start + len, next);
                start += len;
            }
            pieces = next;
        }
        return pieces;
    }
}
