package dev.hearth.engine.grammar;

import java.util.Arrays;

/**
 * A compiled context-free grammar over Unicode code points, from GBNF (llama.cpp's grammar format) or a JSON
 * schema. Immutable and shareable between requests; per-request state lives in a {@link GrammarMatcher}.
 *
 * <p>The rules are flattened into one array of elements: each alternative of each rule is a run of elements
 * ended by {@link #END}. An element is a character class ({@link #CHAR}) or a reference to a rule ({@link #RULE});
 * a matcher position is an index into that array, so a parse stack is a list of such indices.
 */
public final class Grammar {
    static final int CHAR = 0, RULE = 1, END = 2;

    final int[] code;          // (id << 2) | kind
    final int[][] alternatives; // per rule: start positions of its alternatives in code
    final int[][] classes;     // per class: sorted disjoint inclusive ranges lo0, hi0, lo1, hi1, ...
    final String[] names;
    final int root;
    private final String source;

    Grammar(int[] code, int[][] alternatives, int[][] classes, String[] names, int root, String source) {
        this.code = code;
        this.alternatives = alternatives;
        this.classes = classes;
        this.names = names;
        this.root = root;
        this.source = source;
    }

    /**
     * Compiles a GBNF grammar; generation starts at its {@code root} rule.
     *
     * @throws GrammarException naming the problem and its line and column
     */
    public static Grammar parse(String gbnf) {
        return new GbnfParser(gbnf).parse();
    }

    /**
     * Compiles a JSON schema, given as the tree a JSON parser produces (Map, List, String, Number, Boolean, null).
     *
     * @throws GrammarException naming the keyword that cannot be enforced
     */
    public static Grammar fromJsonSchema(Object schema) {
        return parse(JsonSchemaCompiler.toGbnf(schema));
    }

    /** Any JSON object (OpenAI's {@code response_format: {"type": "json_object"}}, Ollama's {@code format: "json"}). */
    public static Grammar anyJsonObject() {
        return AnyJsonObject.GRAMMAR;
    }

    private static final class AnyJsonObject { // compiled once, on first use
        static final Grammar GRAMMAR = fromJsonSchema(java.util.Map.of("type", "object"));
    }

    /**
     * Compiles a regular expression matched against the whole output (TGI's regex grammar): classes, escapes,
     * groups, alternation and quantifiers; anchors only at the ends; no backreferences or lookaround.
     */
    public static Grammar fromRegex(String regex) {
        return parse("root ::= " + new RegexCompiler(regex, false).compile());
    }

    /** The grammar's GBNF text (generated for schemas and regexes). */
    public String gbnf() {
        return source;
    }

    /** A fresh matcher at the start of the root rule, masking tokens of {@code vocabulary}. */
    public GrammarMatcher newMatcher(TokenTrie vocabulary) {
        return new GrammarMatcher(this, vocabulary);
    }

    static int kind(int element) {
        return element & 3;
    }

    static int id(int element) {
        return element >>> 2;
    }

    boolean matches(int charClass, int codePoint) {
        int[] r = classes[charClass];
        // few ranges in practice: a linear scan beats a binary search
        for (int i = 0; i < r.length; i += 2) {
            if (codePoint < r[i]) return false;
            if (codePoint <= r[i + 1]) return true;
        }
        return false;
    }

    boolean intersects(int charClass, int lo, int hi) {
        int[] r = classes[charClass];
        for (int i = 0; i < r.length; i += 2) {
            if (r[i] > hi) return false;
            if (r[i + 1] >= lo) return true;
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Grammar g && g.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    @Override
    public String toString() {
        return "Grammar[" + names.length + " rules, " + Arrays.stream(alternatives).mapToInt(a -> a.length).sum()
                + " alternatives]";
    }
}
