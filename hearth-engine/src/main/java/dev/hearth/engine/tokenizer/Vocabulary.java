package dev.hearth.engine.tokenizer;

import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The tokens of a GGUF file and everything llama.cpp b4747 derives from {@code tokenizer.ggml.*} while loading
 * ({@code llama_vocab::impl::load}): special token ids, the end-of-generation set, the flags, the special-token
 * order used to split them out of text, and the text of every token as the detokenizer emits it.
 */
final class Vocabulary {
    /** llama_token_attr bits. */
    static final int ATTR_UNKNOWN = 1, ATTR_UNUSED = 2, ATTR_NORMAL = 4, ATTR_CONTROL = 8, ATTR_USER_DEFINED = 16,
            ATTR_BYTE = 32, ATTR_LSTRIP = 128, ATTR_RSTRIP = 256;
    static final int NONE = -1;

    enum Model { SPM, BPE }

    final Model model;
    final PreTokenizer preTokenizer; // null for SPM
    final String[] texts;
    final byte[][] textBytes;
    final float[] scores;
    final int[] attrs;
    final BytesMap byText = new BytesMap();
    final String[] merges; // BPE only

    int bos, eos, eot = NONE, eom = NONE, unk, sep = NONE, pad = NONE, mask = NONE;
    int fimPre = NONE, fimSuf = NONE, fimMid = NONE, fimPad = NONE, fimRep = NONE, fimSep = NONE;
    final boolean addSpacePrefix;
    boolean addBos, addEos;
    final boolean ignoreMerges, cleanSpaces;
    final int[] eog;
    /** CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first, in llama.cpp's order. */
    final int[] specialTokens;
    final SpecialIndex specialIndex;
    /** llama_token_to_piece(id, special = true) for every token. */
    final byte[][] pieces;

    private Vocabulary(GgufFile gguf) {
        String modelName = gguf.getString("tokenizer.ggml.model");
        String pre = gguf.getString("tokenizer.ggml.pre", "");
        switch (modelName) {
            case "llama" -> {
                model = Model.SPM;
                preTokenizer = null;
                bos = 1;
                eos = 2;
                unk = 0;
                merges = null;
            }
            case "gpt2" -> {
                model = Model.BPE;
                if (!gguf.has("tokenizer.ggml.merges")) throw new IllegalArgumentException("cannot find tokenizer merges in model file");
                merges = strings(gguf.getArray("tokenizer.ggml.merges"));
                preTokenizer = PreTokenizer.forName(pre);
                bos = 11;
                eos = 11;
                unk = NONE;
            }
            default -> throw new UnsupportedOperationException(
                    "tokenizer model '" + modelName + "' is not supported (only 'llama' (SPM) and 'gpt2' (BPE))");
        }
        boolean spacePrefix;
        if (model == Model.SPM) {
            spacePrefix = true;
            cleanSpaces = false;
            ignoreMerges = false;
            addBos = true;
            addEos = false;
        } else {
            spacePrefix = false;
            cleanSpaces = preTokenizer.cleanSpaces();
            ignoreMerges = preTokenizer.ignoreMerges();
            addBos = preTokenizer.addBos();
            addEos = false;
            if (preTokenizer.noBos()) bos = NONE;
        }
        addSpacePrefix = gguf.getBool("tokenizer.ggml.add_space_prefix", spacePrefix);

        String[] tokens = strings(gguf.getArray("tokenizer.ggml.tokens"));
        int n = tokens.length;
        texts = new String[n];
        textBytes = new byte[n][];
        scores = new float[n];
        attrs = new int[n];
        float[] scoreArray = gguf.has("tokenizer.ggml.scores") ? floats(gguf.getArray("tokenizer.ggml.scores"), n) : null;
        int[] typeArray = gguf.has("tokenizer.ggml.token_type") ? ints(gguf.getArray("tokenizer.ggml.token_type"), n) : null;
        for (int i = 0; i < n; i++) {
            String t = tokens[i].isEmpty() ? "[EMPTY_" + i + "]" : tokens[i];
            texts[i] = t;
            textBytes[i] = t.getBytes(StandardCharsets.UTF_8);
            byText.put(textBytes[i], i); // a repeated text maps to its last id, as in llama.cpp's token_to_id
            scores[i] = scoreArray != null ? scoreArray[i] : 0f;
            attrs[i] = typeArray != null ? attrOf(TokenType.ofCode(typeArray[i])) : ATTR_NORMAL;
        }

        bos = specialId(gguf, "bos_token_id", bos);
        eos = specialId(gguf, "eos_token_id", eos);
        eot = specialId(gguf, "eot_token_id", eot);
        eom = specialId(gguf, "eom_token_id", eom);
        unk = specialId(gguf, "unknown_token_id", unk);
        sep = specialId(gguf, "seperator_token_id", sep); // sic: llama.cpp's key name
        pad = specialId(gguf, "padding_token_id", pad);
        mask = specialId(gguf, "mask_token_id", mask);
        fimPre = specialId(gguf, "fim_pre_token_id", fimPre);
        fimSuf = specialId(gguf, "fim_suf_token_id", fimSuf);
        fimMid = specialId(gguf, "fim_mid_token_id", fimMid);
        fimPad = specialId(gguf, "fim_pad_token_id", fimPad);
        fimRep = specialId(gguf, "fim_rep_token_id", fimRep);
        fimSep = specialId(gguf, "fim_sep_token_id", fimSep);
        fimPre = specialId(gguf, "prefix_token_id", fimPre); // deprecated names, read last as in llama.cpp
        fimSuf = specialId(gguf, "suffix_token_id", fimSuf);
        fimMid = specialId(gguf, "middle_token_id", fimMid);
        addBos = gguf.getBool("tokenizer.ggml.add_bos_token", addBos);
        addEos = gguf.getBool("tokenizer.ggml.add_eos_token", addEos);

        eog = detectEndOfGeneration();
        specialTokens = specialTokenOrder();
        specialIndex = new SpecialIndex(specialTokens, textBytes);
        pieces = new byte[n][];
        for (int i = 0; i < n; i++) pieces[i] = computePiece(i);
        applyModelSpecificAttributes(gguf.getString("general.name", ""), pre);
    }

    static Vocabulary fromGguf(GgufFile gguf) {
        return new Vocabulary(gguf);
    }

    int size() {
        return texts.length;
    }

    private int specialId(GgufFile gguf, String key, int current) {
        String k = "tokenizer.ggml." + key;
        if (!gguf.has(k)) return current;
        long id = gguf.getLong(k);
        return id >= 0 && id < texts.length ? (int) id : current; // llama.cpp warns and keeps the default
    }

    static int attrOf(TokenType type) {
        return switch (type) {
            case UNKNOWN -> ATTR_UNKNOWN;
            case UNUSED -> ATTR_UNUSED;
            case NORMAL -> ATTR_NORMAL;
            case CONTROL -> ATTR_CONTROL;
            case USER_DEFINED -> ATTR_USER_DEFINED;
            case BYTE -> ATTR_BYTE;
            case UNDEFINED -> 0;
        };
    }

    TokenType type(int id) {
        int a = attrs[id];
        if ((a & ATTR_UNKNOWN) != 0) return TokenType.UNKNOWN;
        if ((a & ATTR_UNUSED) != 0) return TokenType.UNUSED;
        if ((a & ATTR_NORMAL) != 0) return TokenType.NORMAL;
        if ((a & ATTR_CONTROL) != 0) return TokenType.CONTROL;
        if ((a & ATTR_USER_DEFINED) != 0) return TokenType.USER_DEFINED;
        if ((a & ATTR_BYTE) != 0) return TokenType.BYTE;
        return TokenType.UNDEFINED;
    }

    int id(String text) {
        return byText.get(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Finds EOT/EOM/FIM tokens the file does not name by their usual texts, forces every end-of-generation
     * lookalike to CONTROL, and collects the end-of-generation set. llama.cpp walks its hash map here, so when a
     * vocabulary holds two candidates (say {@code <|im_end|>} and {@code <|endoftext|>}) the one it picks as EOT is
     * hash-order dependent; this walks ids in order. Either way both end generation.
     */
    private int[] detectEndOfGeneration() {
        for (int id = 0; id < texts.length; id++) {
            String t = texts[id];
            if (eot == NONE && isOneOf(t, "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                    "<EOT>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>")) {
                eot = forceControl(id);
            }
            if (eom == NONE && t.equals("<|eom_id|>")) eom = forceControl(id);
            if (fimPre == NONE && isOneOf(t, "<|fim_prefix|>", "<fim-prefix>", "<\uFF5Cfim\u2581begin\uFF5C>", "<PRE>")) {
                fimPre = forceControl(id);
            }
            if (fimSuf == NONE && isOneOf(t, "<|fim_suffix|>", "<fim-suffix>", "<\uFF5Cfim\u2581hole\uFF5C>", "<SUF>")) {
                fimSuf = forceControl(id);
            }
            if (fimMid == NONE && isOneOf(t, "<|fim_middle|>", "<fim-middle>", "<\uFF5Cfim\u2581end\uFF5C>", "<MID>")) {
                fimMid = forceControl(id);
            }
            if (fimPad == NONE && isOneOf(t, "<|fim_pad|>", "<fim-pad>", "<PAD>")) fimPad = forceControl(id);
            if (fimRep == NONE && isOneOf(t, "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>")) {
                fimRep = forceControl(id);
            }
            if (fimSep == NONE && t.equals("<|file_sep|>")) fimSep = forceControl(id);
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (int id : new int[] {fimPad, fimRep, fimSep}) if (id != NONE) set.add(id);
        for (int id = 0; id < texts.length; id++) {
            if (isOneOf(texts[id], "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                    "<|eom_id|>", "<EOT>")) {
                set.add(forceControl(id));
            }
        }
        for (int id : new int[] {eos, eot, eom}) if (id != NONE) set.add(id);
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    private int forceControl(int id) {
        if ((attrs[id] & ATTR_CONTROL) == 0) attrs[id] = ATTR_CONTROL;
        return id;
    }

    private static boolean isOneOf(String s, String... options) {
        for (String o : options) if (s.equals(o)) return true;
        return false;
    }

    /** llama.cpp sorts by text length with std::sort, which is not stable; {@link StdSort} reproduces its order. */
    private int[] specialTokenOrder() {
        IntList ids = new IntList();
        for (int id = 0; id < texts.length; id++) {
            if ((attrs[id] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) ids.add(id);
        }
        int[] order = ids.toArray();
        StdSort.sort(order, (a, b) -> textBytes[a].length > textBytes[b].length);
        return order;
    }

    private byte[] computePiece(int id) {
        int a = attrs[id];
        if ((a & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER_DEFINED)) != 0) return textBytes[id];
        if (model == Model.SPM) {
            if ((a & ATTR_NORMAL) != 0) return texts[id].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            if ((a & ATTR_BYTE) != 0) return new byte[] {(byte) hexByte(texts[id])};
            return new byte[0];
        }
        if ((a & ATTR_NORMAL) != 0) return byteLevelDecode(texts[id]);
        return new byte[0]; // byte-level BPE renders BYTE, UNUSED and UNDEFINED tokens as nothing
    }

    /** The NN of {@code <0xNN>}, read like llama.cpp's strtol: hex digits until the first other character. */
    private static int hexByte(String text) {
        int v = 0;
        for (int i = 3; i < Math.min(5, text.length()); i++) {
            int d = Character.digit(text.charAt(i), 16);
            if (d < 0) break;
            v = v * 16 + d;
        }
        return v;
    }

    /**
     * The bytes a byte-level token stands for. A character outside the byte mapping becomes llama.cpp's
     * {@code [UNK_BYTE_0x..<token text>]} marker (it appends the whole token text, not the character).
     */
    private static byte[] byteLevelDecode(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = ByteLevel.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
                for (byte x : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    sb.append(String.format(Locale.ROOT, "%02x", x & 0xFF));
                }
                sb.append(text).append(']');
                out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    /** llama.cpp's per-model attribute tweaks, done after the piece cache (so they only affect special splitting). */
    private void applyModelSpecificAttributes(String generalName, String pre) {
        String name = generalName.toLowerCase(Locale.ROOT);
        if (pre.contains("jina-v2-de") || pre.contains("jina-v2-es") || pre.contains("jina-v2-code")) {
            int m = id("<mask>");
            if (m >= 0) attrs[m] |= ATTR_LSTRIP;
        } else if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specialTokens) attrs[id] |= ATTR_RSTRIP;
            setStrip("</s>", true);
            for (String t : new String[] {"<unk>", "<s>", "<|endoftext|>"}) setStrip(t, false);
        }
    }

    private void setStrip(String text, boolean on) {
        int id = id(text);
        if (id < 0) return; // llama.cpp fails to load such a file (token_to_id.at); we just skip it
        attrs[id] = on ? attrs[id] | ATTR_RSTRIP : attrs[id] & ~ATTR_RSTRIP;
    }

    private static String[] strings(GgufArray a) {
        if (!(a.values() instanceof String[] s)) throw new IllegalArgumentException("expected an array of strings, got " + a.elementType());
        return s;
    }

    private static float[] floats(GgufArray a, int n) {
        float[] f = switch (a.values()) {
            case float[] v -> v;
            case double[] v -> {
                float[] r = new float[v.length];
                for (int i = 0; i < v.length; i++) r[i] = (float) v[i];
                yield r;
            }
            default -> throw new IllegalArgumentException("tokenizer.ggml.scores must be floats, got " + a.elementType());
        };
        if (f.length < n) throw new IllegalArgumentException("tokenizer.ggml.scores has " + f.length + " entries for " + n + " tokens");
        return f;
    }

    private static int[] ints(GgufArray a, int n) {
        int[] r = switch (a.values()) {
            case int[] v -> v;
            case long[] v -> Arrays.stream(v).mapToInt(x -> (int) x).toArray();
            case short[] v -> { int[] x = new int[v.length]; for (int i = 0; i < v.length; i++) x[i] = v[i]; yield x; }
            case byte[] v -> { int[] x = new int[v.length]; for (int i = 0; i < v.length; i++) x[i] = v[i]; yield x; }
            default -> throw new IllegalArgumentException("tokenizer.ggml.token_type must be integers, got " + a.elementType());
        };
        if (r.length < n) throw new IllegalArgumentException("tokenizer.ggml.token_type has " + r.length + " entries for " + n + " tokens");
        return r;
    }
}
