package dev.hearth.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads GBNF, llama.cpp's grammar format: {@code name ::= alternatives} rules, one per line (newlines are free
 * inside parentheses), {@code "literals"}, {@code [classes]} with ranges, {@code [^negation]} and escapes, {@code .},
 * groups, {@code |}, the repetitions {@code * + ? {m} {m,} {m,n}} and {@code #} comments. Repetitions and groups
 * become synthetic rules (right-recursive, so the matcher's stacks stay flat); left recursion is refused.
 */
final class GbnfParser {
    private static final int MAX_REPETITION = 10_000;
    private static final int MAX_CODE_POINT = 0x10FFFF;

    private final String text;
    private int pos;
    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<List<int[]>> rules = new ArrayList<>(); // null until defined
    private final Map<String, Integer> firstUse = new HashMap<>();
    private final List<int[]> classes = new ArrayList<>();
    private final Map<String, Integer> classIds = new HashMap<>();

    GbnfParser(String text) {
        this.text = text;
    }

    Grammar parse() {
        skip(true);
        if (pos >= text.length()) throw error("the grammar is empty");
        while (pos < text.length()) {
            int start = pos;
            String name = name();
            if (name.isEmpty()) throw error("expected a rule name");
            skip(false);
            if (!text.startsWith("::=", pos)) throw error("expected ::= after rule name '" + name + "'");
            pos += 3;
            skip(true);
            int id = ruleId(name);
            if (rules.get(id) != null) throw errorAt(start, "rule '" + name + "' is defined twice");
            rules.set(id, List.of()); // defined (the body may refer to it)
            rules.set(id, alternatives(name, false));
            if (pos < text.length() && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') {
                throw error("unexpected '" + text.charAt(pos) + "'");
            }
            skip(true);
        }
        for (int i = 0; i < names.size(); i++) {
            if (rules.get(i) == null) throw errorAt(firstUse.get(names.get(i)), "undefined rule '" + names.get(i) + "'");
        }
        Integer root = ids.get("root");
        if (root == null) throw new GrammarException("the grammar has no 'root' rule");
        checkLeftRecursion();
        return build(root);
    }

    private List<int[]> alternatives(String owner, boolean nested) {
        List<int[]> alts = new ArrayList<>();
        alts.add(sequence(owner, nested));
        while (pos < text.length() && text.charAt(pos) == '|') {
            pos++;
            skip(true);
            alts.add(sequence(owner, nested));
        }
        return alts;
    }

    private int[] sequence(String owner, boolean nested) {
        IntBuffer seq = new IntBuffer();
        int lastStart = -1;
        while (true) {
            skip(nested);
            if (pos >= text.length()) break;
            char c = text.charAt(pos);
            if (c == '|' || c == ')' || c == '\n' || c == '\r') break;
            int before = seq.size;
            if (c == '"') {
                pos++;
                while (true) {
                    if (pos >= text.length()) throw error("unterminated literal");
                    if (text.charAt(pos) == '"') break;
                    int cp = character();
                    seq.add(element(Grammar.CHAR, classOf(new int[] {cp, cp})));
                }
                pos++;
                if (seq.size == before) continue; // "" matches nothing: no element to repeat
            } else if (c == '[') {
                seq.add(element(Grammar.CHAR, charClass()));
            } else if (c == '.') {
                pos++;
                seq.add(element(Grammar.CHAR, classOf(new int[] {0, MAX_CODE_POINT})));
            } else if (c == '(') {
                pos++;
                skip(true);
                int group = synthetic(owner, alternatives(owner, true));
                if (pos >= text.length() || text.charAt(pos) != ')') throw error("expected ')'");
                pos++;
                seq.add(element(Grammar.RULE, group));
            } else if (isWordChar(c)) {
                int at = pos;
                String ref = name();
                seq.add(element(Grammar.RULE, ruleId(ref)));
                firstUse.putIfAbsent(ref, at);
            } else if (c == '*' || c == '+' || c == '?' || c == '{') {
                if (lastStart < 0) throw error("'" + c + "' has nothing to repeat");
                repeat(owner, seq, lastStart);
                continue;
            } else {
                throw error("unexpected '" + c + "'");
            }
            lastStart = before;
        }
        return seq.toArray();
    }

    /** Applies the repetition operator at pos to seq[from..]. */
    private void repeat(String owner, IntBuffer seq, int from) {
        char op = text.charAt(pos++);
        int min, max; // max -1: unbounded
        switch (op) {
            case '*' -> { min = 0; max = -1; }
            case '+' -> { min = 1; max = -1; }
            case '?' -> { min = 0; max = 1; }
            default -> {
                skip(true);
                min = number();
                skip(true);
                if (peek() == ',') {
                    pos++;
                    skip(true);
                    max = Character.isDigit(peek()) ? number() : -1;
                    skip(true);
                } else {
                    max = min;
                }
                if (peek() != '}') throw error("expected '}' to close the repetition");
                pos++;
                if (max >= 0 && max < min) throw error("repetition {" + min + "," + max + "} has max < min");
                if (min > MAX_REPETITION || max > MAX_REPETITION) {
                    throw error("repetition counts above " + MAX_REPETITION + " are not supported");
                }
            }
        }
        int[] body = Arrays.copyOfRange(seq.data, from, seq.size);
        seq.size = from;
        int item = body.length == 1 ? body[0] : element(Grammar.RULE, synthetic(owner, List.of(body)));
        for (int i = 0; i < min; i++) seq.add(item);
        if (max < 0) {
            // star ::= item star | ε
            int star = synthetic(owner, null);
            rules.set(star, List.of(new int[] {item, element(Grammar.RULE, star)}, new int[0]));
            seq.add(element(Grammar.RULE, star));
        } else if (max > min) {
            // opt_k ::= item opt_{k-1} | ε, nested so that at most max - min more items follow
            int inner = -1;
            for (int k = 0; k < max - min; k++) {
                int opt = synthetic(owner, null);
                int[] more = inner < 0 ? new int[] {item} : new int[] {item, element(Grammar.RULE, inner)};
                rules.set(opt, List.of(more, new int[0]));
                inner = opt;
            }
            seq.add(element(Grammar.RULE, inner));
        }
    }

    private int charClass() {
        pos++; // [
        boolean negated = peek() == '^';
        if (negated) pos++;
        List<int[]> ranges = new ArrayList<>();
        while (true) {
            if (pos >= text.length()) throw error("unterminated character class");
            if (text.charAt(pos) == ']') break;
            int lo = character();
            int hi = lo;
            if (peek() == '-' && pos + 1 < text.length() && text.charAt(pos + 1) != ']') {
                pos++;
                hi = character();
                if (hi < lo) throw error("character range is out of order");
            }
            ranges.add(new int[] {lo, hi});
        }
        pos++;
        return classOf(normalize(ranges, negated));
    }

    /** Sorted, merged, and complemented over all code points when negated. */
    static int[] normalize(List<int[]> ranges, boolean negated) {
        ranges.sort((a, b) -> Integer.compare(a[0], b[0]));
        IntBuffer merged = new IntBuffer();
        for (int[] r : ranges) {
            if (merged.size > 0 && r[0] <= merged.data[merged.size - 1] + 1) {
                merged.data[merged.size - 1] = Math.max(merged.data[merged.size - 1], r[1]);
            } else {
                merged.add(r[0]);
                merged.add(r[1]);
            }
        }
        if (!negated) return merged.toArray();
        IntBuffer out = new IntBuffer();
        int next = 0;
        for (int i = 0; i < merged.size; i += 2) {
            if (merged.data[i] > next) {
                out.add(next);
                out.add(merged.data[i] - 1);
            }
            next = merged.data[i + 1] + 1;
        }
        if (next <= MAX_CODE_POINT) {
            out.add(next);
            out.add(MAX_CODE_POINT);
        }
        return out.toArray();
    }

    /** One code point of a literal or class, with escapes. */
    private int character() {
        char c = text.charAt(pos);
        if (c != '\\') {
            int cp = text.codePointAt(pos);
            pos += Character.charCount(cp);
            return cp;
        }
        if (pos + 1 >= text.length()) throw error("unfinished escape");
        char e = text.charAt(pos + 1);
        pos += 2;
        return switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case '\\', '"', '[', ']', '-', '^', '/' -> e;
            case 'x' -> hex(2);
            case 'u' -> hex(4);
            case 'U' -> hex(8);
            default -> throw errorAt(pos - 2, "unknown escape '\\" + e + "'");
        };
    }

    private int hex(int digits) {
        if (pos + digits > text.length()) throw error("expected " + digits + " hex digits");
        int v;
        try {
            v = Integer.parseUnsignedInt(text.substring(pos, pos + digits), 16);
        } catch (NumberFormatException e) {
            throw error("expected " + digits + " hex digits");
        }
        if (v > MAX_CODE_POINT || v < 0) throw error("code point out of range");
        pos += digits;
        return v;
    }

    private int number() {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
        if (start == pos) throw error("expected a number");
        try {
            return Integer.parseInt(text.substring(start, pos));
        } catch (NumberFormatException e) {
            throw errorAt(start, "number too large");
        }
    }

    private String name() {
        int start = pos;
        while (pos < text.length() && isWordChar(text.charAt(pos))) pos++;
        return text.substring(start, pos);
    }

    private static boolean isWordChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    /** Blanks and comments; newlines only when {@code newlines} (inside groups, between rules). */
    private void skip(boolean newlines) {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') pos++;
            } else if (c == ' ' || c == '\t' || newlines && (c == '\n' || c == '\r')) {
                pos++;
            } else {
                break;
            }
        }
    }

    private int ruleId(String name) {
        Integer id = ids.get(name);
        if (id != null) return id;
        id = names.size();
        names.add(name);
        ids.put(name, id);
        rules.add(null);
        return id;
    }

    private int synthetic(String owner, List<int[]> alternatives) {
        int id = names.size();
        String name = owner + "_" + id;
        names.add(name);
        ids.put(name, id);
        rules.add(alternatives);
        return id;
    }

    private int classOf(int[] ranges) {
        String key = Arrays.toString(ranges);
        Integer id = classIds.get(key);
        if (id != null) return id;
        classes.add(ranges);
        classIds.put(key, classes.size() - 1);
        return classes.size() - 1;
    }

    private static int element(int kind, int id) {
        return id << 2 | kind;
    }

    /** A rule that can reach itself without consuming a character would loop the matcher forever. */
    private void checkLeftRecursion() {
        int n = rules.size();
        boolean[] nullable = new boolean[n];
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int r = 0; r < n; r++) {
                if (nullable[r]) continue;
                for (int[] alt : rules.get(r)) {
                    if (allNullable(alt, alt.length, nullable)) {
                        nullable[r] = true;
                        changed = true;
                        break;
                    }
                }
            }
        }
        int[] state = new int[n]; // 0 new, 1 on the path, 2 done
        for (int r = 0; r < n; r++) visit(r, nullable, state);
    }

    private void visit(int r, boolean[] nullable, int[] state) {
        if (state[r] == 2) return;
        if (state[r] == 1) throw new GrammarException("rule '" + names.get(r) + "' is left-recursive, which the matcher cannot run");
        state[r] = 1;
        for (int[] alt : rules.get(r)) {
            for (int i = 0; i < alt.length; i++) {
                if (Grammar.kind(alt[i]) != Grammar.RULE) break;
                visit(Grammar.id(alt[i]), nullable, state);
                if (!nullable[Grammar.id(alt[i])]) break;
            }
        }
        state[r] = 2;
    }

    private static boolean allNullable(int[] alt, int upTo, boolean[] nullable) {
        for (int i = 0; i < upTo; i++) {
            if (Grammar.kind(alt[i]) != Grammar.RULE || !nullable[Grammar.id(alt[i])]) return false;
        }
        return true;
    }

    private Grammar build(int root) {
        IntBuffer code = new IntBuffer();
        int[][] starts = new int[rules.size()][];
        for (int r = 0; r < rules.size(); r++) {
            List<int[]> alts = rules.get(r);
            starts[r] = new int[alts.size()];
            for (int a = 0; a < alts.size(); a++) {
                starts[r][a] = code.size;
                for (int e : alts.get(a)) code.add(e);
                code.add(Grammar.END);
            }
        }
        return new Grammar(code.toArray(), starts, classes.toArray(new int[0][]), names.toArray(new String[0]), root, text);
    }

    private GrammarException error(String message) {
        return errorAt(pos, message);
    }

    private GrammarException errorAt(int at, String message) {
        int line = 1, col = 1;
        for (int i = 0; i < at && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new GrammarException("grammar error at line " + line + ", column " + col + ": " + message);
    }
}
