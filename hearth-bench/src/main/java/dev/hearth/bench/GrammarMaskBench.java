package dev.hearth.bench;

import dev.hearth.engine.grammar.Grammar;
import dev.hearth.engine.grammar.GrammarMatcher;
import dev.hearth.engine.grammar.TokenTrie;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Cost of one grammar mask (the walk of the vocabulary trie plus the -Infinity pass over the logits) for a JSON
 * schema grammar, at three points of an object: inside a string value (nearly every token allowed: the worst
 * case), where a value must start, and after a property. "cold" builds a fresh matcher, as on a request's first
 * step. The vocabulary is synthetic but byte-level like a 150k BPE one: the 256 bytes, words with and without a
 * leading space, numbers, JSON punctuation runs, whitespace runs and UTF-8 text including split characters.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1)
public class GrammarMaskBench {
    static final String SCHEMA_PREFIX = "{\"name\": \"Ada Lovel";
    static final String VALUE_PREFIX = "{\"name\": \"Ada\", \"age\": ";
    static final String AFTER_PREFIX = "{\"name\": \"Ada\", \"age\": 36";

    @Param({"151936"})
    int vocabulary;

    TokenTrie trie;
    Grammar grammar;
    GrammarMatcher inString, atValue, afterProperty;
    float[] logits;

    @Setup
    public void setup() {
        List<byte[]> pieces = syntheticVocabulary(vocabulary, new SplittableRandom(7));
        trie = TokenTrie.of(pieces.size(), pieces::get, id -> id == pieces.size() - 1);
        Map<String, Object> properties = new LinkedHashMap<>(); // schema order is output order
        properties.put("name", Map.of("type", "string"));
        properties.put("age", Map.of("type", "integer", "minimum", 0, "maximum", 150));
        properties.put("email", Map.of("type", "string", "maxLength", 64));
        properties.put("tags", Map.of("type", "array", "items", Map.of("type", "string")));
        Map<String, Object> schema = Map.of("type", "object", "properties", properties, "required", List.of("name", "age"));
        grammar = Grammar.fromJsonSchema(schema);
        inString = at(SCHEMA_PREFIX);
        atValue = at(VALUE_PREFIX);
        afterProperty = at(AFTER_PREFIX);
        logits = new float[vocabulary];
        System.out.println("\ntrie nodes: " + trie.nodeCount() + ", allowed in string: " + allowed(inString)
                + ", at value: " + allowed(atValue) + ", after property: " + allowed(afterProperty));
    }

    private int allowed(GrammarMatcher m) {
        float[] l = new float[vocabulary];
        m.mask(l);
        int n = 0;
        for (float v : l) if (v == 0) n++;
        return n;
    }

    /** A matcher advanced over text one byte token at a time (token b is byte b). */
    private GrammarMatcher at(String text) {
        GrammarMatcher m = grammar.newMatcher(trie);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) m.accept(b & 0xFF);
        return m;
    }

    @Benchmark
    public float maskInString() {
        inString.mask(logits);
        return logits[0];
    }

    @Benchmark
    public float maskAtValue() {
        atValue.mask(logits);
        return logits[0];
    }

    @Benchmark
    public float maskAfterProperty() {
        afterProperty.mask(logits);
        return logits[0];
    }

    @Benchmark
    public float coldMaskInString() {
        at(SCHEMA_PREFIX).mask(logits);
        return logits[0];
    }

    static List<byte[]> syntheticVocabulary(int size, SplittableRandom rnd) {
        List<byte[]> out = new ArrayList<>(size);
        Set<String> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            out.add(new byte[] {(byte) b});
            seen.add("byte" + b);
        }
        String[] punctuation = {"\"", "\":", "\": \"", "\",", "\", \"", "{\"", "\"}", "},", "[", "]", "],", "{", "}",
                "\n", "\n\n", "  ", "    ", "\t", ".", ",", ", ", ". ", "://", "()", "();", "==", "->", "\\n", "\\\""};
        for (String p : punctuation) add(out, seen, p);
        for (int i = 0; i < 1000; i++) {
            add(out, seen, Integer.toString(i));
            add(out, seen, " " + i);
        }
        String letters = "etaoinshrdlcumwfgypbvkjxqz";
        String[] scripts = {"é", "ü", "ß", "ñ", "日本", "語", "中文", "한국", "й", "ж", "α", "ω", "🙂"};
        while (out.size() < size - 1) {
            int kind = rnd.nextInt(10);
            StringBuilder w = new StringBuilder();
            int len = 2 + (int) Math.min(10, Math.abs(rnd.nextGaussian() * 3));
            for (int i = 0; i < len; i++) w.append(letters.charAt(Math.min(letters.length() - 1, (int) Math.abs(rnd.nextGaussian() * 7))));
            String s = switch (kind) {
                case 0, 1, 2, 3 -> " " + w;
                case 4 -> Character.toUpperCase(w.charAt(0)) + w.substring(1);
                case 5 -> " " + Character.toUpperCase(w.charAt(0)) + w.substring(1);
                case 6 -> w + scripts[rnd.nextInt(scripts.length)];
                case 7 -> scripts[rnd.nextInt(scripts.length)] + scripts[rnd.nextInt(scripts.length)];
                case 8 -> w + punctuation[rnd.nextInt(punctuation.length)];
                default -> w.toString();
            };
            if (kind == 7 && rnd.nextBoolean()) { // a piece ending inside a character, as byte-level BPE has
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                byte[] cut = Arrays.copyOf(b, b.length - 1);
                if (seen.add(Arrays.toString(cut))) out.add(cut);
                continue;
            }
            add(out, seen, s);
        }
        out.add(new byte[0]); // end of generation
        return out;
    }

    private static void add(List<byte[]> out, Set<String> seen, String s) {
        if (seen.add(s)) out.add(s.getBytes(StandardCharsets.UTF_8));
    }
}
