package dev.hearth.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every line of fixtures/tokenizer/X.jsonl (README section 2): llama.cpp b4747's token ids for the four
 * add_special/parse_special modes, its three detokenizations, and every token's piece. The streaming decoder must
 * produce the same text as the batch one, fed one token at a time.
 */
class TokenizerFixtureTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final List<GgufFile> OPEN = new ArrayList<>();

    static Stream<Arguments> lines() throws IOException {
        List<Arguments> args = new ArrayList<>();
        for (String vocab : List.of("spm", "bpe-gpt-2", "bpe-llama-bpe", "bpe-qwen2")) {
            List<String> lines = Files.readAllLines(Fixtures.file("tokenizer/" + vocab + ".jsonl"));
            assertEquals(732, lines.size(), vocab + ".jsonl line count");
            for (int i = 0; i < lines.size(); i++) args.add(Arguments.of(vocab, i + 1, lines.get(i)));
        }
        return args.stream();
    }

    private static Tokenizer tokenizer(String vocab) {
        return TOKENIZERS.computeIfAbsent(vocab, v -> {
            try {
                GgufFile f = GgufFile.open(Fixtures.file("tokenizer/" + v + ".gguf"));
                synchronized (OPEN) {
                    OPEN.add(f);
                }
                return Tokenizer.fromGguf(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @AfterAll
    static void close() {
        synchronized (OPEN) {
            OPEN.forEach(GgufFile::close);
            OPEN.clear();
        }
    }

    @ParameterizedTest(name = "{0} line {1}")
    @MethodSource("lines")
    void matchesLlamaCpp(String vocab, int lineNo, String line) throws IOException {
        JsonNode j = JSON.readTree(line);
        Tokenizer t = tokenizer(vocab);
        String text = j.get("text").asText();
        boolean addSpecial = j.get("add_special").asBoolean();
        boolean parseSpecial = j.get("parse_special").asBoolean();
        int[] expected = ints(j.get("ids"));
        String where = vocab + " line " + lineNo + " " + quote(text) + " add_special=" + addSpecial + " parse_special=" + parseSpecial;

        assertArrayEquals(expected, t.encode(text, addSpecial, parseSpecial), where + ": ids");

        assertDetok(t, expected, false, false, j.get("detok").asText(), where + ": detok");
        assertDetok(t, expected, false, true, j.get("detok_unparse_special").asText(), where + ": detok_unparse_special");
        assertDetok(t, expected, true, false, j.get("detok_remove_special").asText(), where + ": detok_remove_special");

        JsonNode pieces = j.get("pieces_hex");
        assertEquals(expected.length, pieces.size(), where + ": pieces");
        for (int k = 0; k < expected.length; k++) {
            assertEquals(pieces.get(k).asText(), HexFormat.of().formatHex(t.piece(expected[k])),
                    where + ": piece of token " + k + " (" + expected[k] + ")");
        }
    }

    private static void assertDetok(Tokenizer t, int[] ids, boolean removeSpecial, boolean unparseSpecial, String expected,
                                    String where) {
        assertEquals(expected, new String(t.decodeBytes(ids, removeSpecial, unparseSpecial), StandardCharsets.UTF_8), where);
        StreamDecoder d = t.newDecoder(removeSpecial, unparseSpecial);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) streamed.append(d.next(id));
        streamed.append(d.finish());
        assertEquals(expected, streamed.toString(), where + " (streamed)");
    }

    private static int[] ints(JsonNode a) {
        return IntStream.range(0, a.size()).map(i -> a.get(i).asInt()).toArray();
    }

    static String quote(String s) {
        return '"' + (s.length() > 40 ? s.substring(0, 40) + "…" : s).replace("\n", "\\n").replace("\t", "\\t") + '"';
    }
}
