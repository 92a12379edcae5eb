package dev.hearth.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every pre-tokenizer against llama.cpp b4747. The expected pieces and token ids in the resources were computed
 * by llama.cpp itself, built locally from the b4747 sources (how: see the header of each resource):
 * <ul>
 *   <li>{@code pretokenizer-splits.txt}: the pieces {@code unicode_regex_split} makes of 641 inputs (hard cases:
 *   NBSP, U+3000, U+2028, U+0085, combining marks, emoji and ZWJ sequences, supplementary letters and digits,
 *   Unicode 16 code points that 15.1 leaves unassigned, contractions in all cases, digit runs, CR/LF mixtures,
 *   code; random strings over an alphabet of such characters; random mixed-case words) for 16 pre-tokenizers.
 *   Each was also checked offline on 65,000 such inputs (and malformed UTF-8) with no difference.</li>
 *   <li>{@code pre-tokenizers-e2e.jsonl}: ids and detokenizations of the BPE fixture vocabulary under each of
 *   39 {@code tokenizer.ggml.pre} names, which checks the flags each name sets (ignore_merges, clean_spaces,
 *   add_bos).</li>
 * </ul>
 */
class PreTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record SplitCase(String input, String pre, int[] lengths) {}

    static Stream<Arguments> splitCases() throws IOException {
        Map<String, List<SplitCase>> byPre = new LinkedHashMap<>();
        try (BufferedReader r = resource("pretokenizer-splits.txt")) {
            String input = null;
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#")) continue;
                if (line.startsWith("input ")) {
                    input = JSON.readValue(line.substring(6), String.class);
                    continue;
                }
                int space = line.indexOf(' ');
                String lengths = line.substring(space + 1);
                int[] l = lengths.isEmpty() ? new int[0] : java.util.Arrays.stream(lengths.split(",")).mapToInt(Integer::parseInt).toArray();
                for (String pre : line.substring(0, space).split(",")) {
                    byPre.computeIfAbsent(pre, k -> new ArrayList<>()).add(new SplitCase(input, pre, l));
                }
            }
        }
        return byPre.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    private static BufferedReader resource(String name) {
        InputStream in = PreTokenizerTest.class.getResourceAsStream(name);
        assertNotNull(in, "test resource " + name);
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("splitCases")
    void splitsLikeLlamaCpp(String pre, List<SplitCase> cases) {
        assertEquals(641, cases.size(), pre + ": every input has an expectation");
        PreTokenizer p = PreTokenizer.forName(pre);
        for (SplitCase c : cases) {
            byte[] utf8 = c.input().getBytes(StandardCharsets.UTF_8);
            int[] cps = new int[utf8.length];
            int n = Utf8.decode(utf8, 0, utf8.length, cps);
            int[] got = p.split(cps, n).toArray();
            assertArrayEquals(c.lengths(), got, () -> pre + " on " + TokenizerFixtureTest.quote(c.input()) + ": pieces "
                    + pieces(c.input(), c.lengths()) + " expected, got " + pieces(c.input(), got));
        }
    }

    private static List<String> pieces(String s, int[] lengths) {
        List<String> r = new ArrayList<>();
        int[] cps = s.codePoints().toArray();
        int at = 0;
        for (int l : lengths) {
            r.add(new String(cps, at, Math.min(l, cps.length - at)));
            at += l;
        }
        return r;
    }

    @Test
    void endToEndUnderEveryPreName(@TempDir Path dir) throws IOException {
        List<JsonNode> cases = new ArrayList<>();
        try (BufferedReader r = resource("pre-tokenizers-e2e.jsonl")) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode j = JSON.readTree(line);
                if (j.has("pre")) cases.add(j);
            }
        }
        Set<String> names = new TreeSet<>();
        cases.forEach(c -> c.get("pre").forEach(n -> names.add(n.asText())));
        assertEquals(39, names.size());
        Path source = Fixtures.file("tokenizer/bpe-gpt-2.gguf");
        int checked = 0;
        for (String pre : names) {
            Path file = VocabFiles.withMetadata(source, dir.resolve(pre + ".gguf"), Map.of("tokenizer.ggml.pre", pre),
                    Set.of("tokenizer.ggml.add_bos_token"));
            Tokenizer t;
            try (GgufFile f = GgufFile.open(file)) {
                t = Tokenizer.fromGguf(f);
            }
            assertEquals(pre, t.preTokenizer());
            for (JsonNode c : cases) {
                if (!contains(c.get("pre"), pre)) continue;
                String text = c.get("text").asText();
                boolean add = c.get("add_special").asBoolean(), parse = c.get("parse_special").asBoolean();
                int[] ids = IntStream.range(0, c.get("ids").size()).map(i -> c.get("ids").get(i).asInt()).toArray();
                String where = pre + " " + TokenizerFixtureTest.quote(text) + " add_special=" + add + " parse_special=" + parse;
                assertArrayEquals(ids, t.encode(text, add, parse), where);
                assertEquals(c.get("detok").asText(), t.decode(ids, false, false), where + " detok");
                assertEquals(c.get("detok_unparse_special").asText(), t.decode(ids, false, true), where + " detok_unparse_special");
                assertEquals(c.get("detok_remove_special").asText(), t.decode(ids, true, false), where + " detok_remove_special");
                checked++;
            }
        }
        assertEquals(39 * 32, checked);
    }

    private static boolean contains(JsonNode array, String s) {
        for (JsonNode n : array) if (n.asText().equals(s)) return true;
        return false;
    }

    /** Flags of the one pre-tokenizer newer than b4747, as set in later llama.cpp (gpt-4o and llama4). */
    @Test
    void gpt4oFlagsFollowLaterLlamaCpp() {
        for (String name : List.of("gpt-4o", "llama4")) {
            PreTokenizer p = PreTokenizer.forName(name);
            assertFalse(p.cleanSpaces(), name);
            assertFalse(p.ignoreMerges(), name);
            assertFalse(p.addBos(), name);
        }
    }

    @Test
    void unknownNameIsRejectedAsByLlamaCpp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreTokenizer.forName("no-such-pre"));
        assertTrue(e.getMessage().contains("no-such-pre"));
        assertEquals("default", PreTokenizer.forName("").name()); // missing key: llama.cpp's default regexes
    }
}
