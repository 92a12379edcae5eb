package dev.hearth.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufValueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Overlapping special tokens of equal length: which one is split out first depends on llama.cpp's special-token
 * order (std::sort by length, not stable). The SPM fixture vocabulary with 24 of its pieces turned into
 * overlapping three- and four-character USER_DEFINED/CONTROL tokens ({@link #vocabulary}); the expected ids in
 * {@code special-order.jsonl} are llama.cpp b4747's for that file (built locally).
 */
class SpecialTokenOrderTest {
    /** Three-character texts over a small alphabet, so that they overlap in many ways. */
    static final String[] TEXTS = {"{~}", "~}{", "}{~", "{{~", "~~}", "}}{", "{~~", "~{{", "}~{", "{}~", "~}}", "}{{",
            "{{{", "~~~", "}}}", "~{}", "{~{", "}~}", "~}~", "{}{", "{~}{", "~}{~", "}{~}", "{{~}"};

    static Path vocabulary(Path dir) throws IOException {
        Path source = Fixtures.file("tokenizer/spm.gguf");
        String[] tokens;
        int[] types;
        try (GgufFile f = GgufFile.open(source)) {
            tokens = ((String[]) f.getArray("tokenizer.ggml.tokens").values()).clone();
            types = ((int[]) f.getArray("tokenizer.ggml.token_type").values()).clone();
        }
        for (int i = 0; i < TEXTS.length; i++) {
            int id = 300 + 7 * i; // merged pieces, spread out so that ids and lengths are not in the same order
            tokens[id] = TEXTS[i];
            types[id] = i % 5 == 4 ? TokenType.CONTROL.code : TokenType.USER_DEFINED.code;
        }
        return VocabFiles.withMetadata(source, dir.resolve("special-order.gguf"), Map.of(
                "tokenizer.ggml.tokens", new GgufArray(GgufValueType.STRING, tokens),
                "tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, types)), Set.of());
    }

    @Test
    void overlappingSpecialTokensSplitLikeLlamaCpp(@TempDir Path dir) throws IOException {
        Tokenizer t;
        try (GgufFile f = GgufFile.open(vocabulary(dir))) {
            t = Tokenizer.fromGguf(f);
        }
        ObjectMapper json = new ObjectMapper();
        int n = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                SpecialTokenOrderTest.class.getResourceAsStream("special-order.jsonl"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode c = json.readTree(line);
                if (!c.has("text")) continue;
                String text = c.get("text").asText();
                boolean parse = c.get("parse_special").asBoolean();
                int[] ids = IntStream.range(0, c.get("ids").size()).map(i -> c.get("ids").get(i).asInt()).toArray();
                assertArrayEquals(ids, t.encode(text, false, parse), text + " parse_special=" + parse);
                n++;
            }
        }
        assertEquals(400, n);
    }
}
