package dev.hearth.engine.tokenizer;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** Streaming detokenization: text comes out only when it is final, and in total equals the batch result. */
class StreamDecoderTest {
    private static Tokenizer load(String vocab) throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.file("tokenizer/" + vocab + ".gguf"))) {
            return Tokenizer.fromGguf(f);
        }
    }

    private static List<String> stream(Tokenizer t, int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        StreamDecoder d = t.newDecoder(removeSpecial, unparseSpecial);
        List<String> parts = new ArrayList<>();
        for (int id : ids) parts.add(d.next(id));
        parts.add(d.finish());
        return parts;
    }

    @Test
    void characterSplitOverByteTokensComesOutWhole() throws IOException {
        Tokenizer spm = load("spm");
        // U+1F9EA is not in the SPM fixture vocabulary: it is spelled with four byte tokens <0xF0><0x9F><0xA7><0xAA>
        int[] ids = spm.encode("a\uD83E\uDDEA", false, false);
        assertEquals(TokenType.BYTE, spm.tokenType(ids[ids.length - 1]));
        assertEquals(TokenType.BYTE, spm.tokenType(ids[ids.length - 4]));
        List<String> parts = stream(spm, ids, false, false);
        assertEquals(List.of("a", "", "", "", "\uD83E\uDDEA", ""), parts.subList(parts.size() - 6, parts.size()));
        assertEquals("a\uD83E\uDDEA", String.join("", parts));
    }

    @Test
    void leadingSpaceIsStrippedOnlyFromTheFirstToken() throws IOException {
        Tokenizer spm = load("spm");
        int[] ids = spm.encode("Hello world", true, false); // BOS, then "▁Hello" "▁world"
        assertEquals(spm.bos(), ids[0]);
        assertEquals(" Hello world", String.join("", stream(spm, ids, false, false)));
        assertEquals("<s> Hello world", String.join("", stream(spm, ids, false, true)));
        assertEquals(" Hello world", String.join("", stream(spm, ids, true, false)));
        int[] noBos = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        assertEquals("Hello world", String.join("", stream(spm, noBos, false, false)));
    }

    @Test
    void cleanSpacesAppliesAcrossTokens() throws IOException {
        Tokenizer gpt2 = load("bpe-gpt-2"); // clean_spaces = true
        int[] ids = gpt2.encode("x = a ? b : c", false, false);
        String all = String.join("", stream(gpt2, ids, false, false));
        assertEquals("x = a? b : c", all);
        assertEquals(gpt2.decode(ids), all);
    }

    @Test
    void eosIsRemovedOnlyAtTheEnd(@TempDir Path dir) throws IOException {
        Path file = VocabFiles.withMetadata(Fixtures.file("tokenizer/spm.gguf"), dir.resolve("spm-eos.gguf"),
                Map.of("tokenizer.ggml.add_eos_token", true), Set.of());
        Tokenizer spm;
        try (GgufFile f = GgufFile.open(file)) {
            spm = Tokenizer.fromGguf(f);
        }
        assertTrue(spm.addsEos());
        int[] hi = spm.encode("hi", true, false); // BOS ... EOS
        assertEquals(spm.bos(), hi[0]);
        assertEquals(spm.eos(), hi[hi.length - 1]);
        int[] twice = IntStream.concat(Arrays.stream(hi), Arrays.stream(hi)).toArray();
        for (int[] ids : List.of(hi, twice, new int[] {spm.eos()}, new int[] {spm.eos(), spm.eos()})) {
            for (boolean unparse : new boolean[] {false, true}) {
                String batch = spm.decode(ids, true, unparse);
                assertEquals(batch, String.join("", stream(spm, ids, true, unparse)), Arrays.toString(ids));
            }
        }
        assertEquals(" hi", spm.decode(hi, true, true));
        assertEquals(" hi</s><s> hi", spm.decode(twice, true, true)); // only the first BOS and the last EOS go
    }

    @Test
    void malformedBytesBecomeReplacementCharacters() throws IOException {
        Tokenizer spm = load("spm");
        int b0xE2 = spm.tokenId("<0xE2>"), b0x82 = spm.tokenId("<0x82>"), a = spm.tokenId("a");
        assertTrue(b0xE2 >= 0 && b0x82 >= 0 && a >= 0);
        int[] ids = {a, b0xE2, b0x82, a, b0xE2};
        List<String> parts = stream(spm, ids, false, false);
        assertEquals(List.of("a", "", "", "\uFFFDa", "", "\uFFFD"), parts);
        assertEquals(spm.decode(ids), String.join("", parts));
    }

    @Test
    void completePrefixKeepsOnlyAnUnfinishedSequence() {
        byte[] euro = "\u20AC".getBytes(StandardCharsets.UTF_8); // E2 82 AC
        assertEquals(0, Utf8.completePrefix(euro, 1));
        assertEquals(0, Utf8.completePrefix(euro, 2));
        assertEquals(3, Utf8.completePrefix(euro, 3));
        assertEquals(2, Utf8.completePrefix(new byte[] {'a', 'b', (byte) 0xF0}, 3));
        assertEquals(3, Utf8.completePrefix(new byte[] {'a', (byte) 0xE0, (byte) 0x80}, 3)); // E0 80 can never be valid
        assertEquals(2, Utf8.completePrefix(new byte[] {(byte) 0x80, (byte) 0x80}, 2)); // stray continuation bytes
    }
}
