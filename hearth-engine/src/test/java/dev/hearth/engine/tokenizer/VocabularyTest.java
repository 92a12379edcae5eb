package dev.hearth.engine.tokenizer;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufValueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** What llama.cpp derives from the metadata besides the tokens (README section 2 lists the fixture vocabularies). */
class VocabularyTest {
    private static Tokenizer load(Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            return Tokenizer.fromGguf(f);
        }
    }

    @Test
    void spmFixtureVocabulary() throws IOException {
        Tokenizer t = load(Fixtures.file("tokenizer/spm.gguf"));
        assertInstanceOf(SpmTokenizer.class, t);
        assertEquals(877, t.vocabSize());
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertEquals(0, t.unk());
        assertTrue(t.addsBos());
        assertFalse(t.addsEos());
        assertNull(t.preTokenizer());
        assertEquals(TokenType.UNKNOWN, t.tokenType(0));
        assertEquals(TokenType.BYTE, t.tokenType(3));
        assertEquals("<0x0A>", t.tokenText(13));
        assertEquals(TokenType.USER_DEFINED, t.tokenType(876));
        assertEquals(876, t.tokenId("<tool_call>"));
        assertEquals(Tokenizer.NO_TOKEN, t.tokenId("no such token"));
        // EOS and the end-of-turn lookalike <|im_end|> end generation; <|im_start|> does not
        assertArrayEquals(new int[] {2, 875}, t.eogTokens());
        assertTrue(t.isEog(875));
        assertFalse(t.isEog(874));
        assertEquals(875, t.eot());
        assertArrayEquals(new byte[] {'\n'}, t.piece(13));
        assertArrayEquals(new byte[0], t.piece(1, false)); // control tokens render as nothing unless asked
        assertArrayEquals("<s>".getBytes(), t.piece(1));
    }

    @Test
    void bpeFixtureVocabulary() throws IOException {
        Tokenizer t = load(Fixtures.file("tokenizer/bpe-qwen2.gguf"));
        assertInstanceOf(BpeTokenizer.class, t);
        assertEquals(663, t.vocabSize());
        assertEquals(659, t.bos());
        assertEquals(659, t.eos());
        assertEquals(Tokenizer.NO_TOKEN, t.unk());
        assertEquals("qwen2", t.preTokenizer());
        assertArrayEquals(new int[] {659, 661}, t.eogTokens());
        assertEquals("\u0120", t.tokenText(32)); // byte-level alphabet: Ġ is the space byte
        assertArrayEquals(new byte[] {' '}, t.piece(32));
        assertThrows(IllegalArgumentException.class, () -> t.piece(663));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}));
    }

    /** llama.cpp forces end-of-generation lookalikes to CONTROL, so they stay text unless specials are parsed. */
    @Test
    void endOfTurnLookalikeBecomesControl(@TempDir Path dir) throws IOException {
        Path source = Fixtures.file("tokenizer/bpe-gpt-2.gguf");
        int[] types;
        try (GgufFile f = GgufFile.open(source)) {
            types = ((int[]) f.getArray("tokenizer.ggml.token_type").values()).clone();
        }
        assertEquals(TokenType.CONTROL.code, types[661]);
        types[661] = TokenType.USER_DEFINED.code; // <|im_end|>
        Tokenizer t = load(VocabFiles.withMetadata(source, dir.resolve("v.gguf"),
                Map.of("tokenizer.ggml.token_type", new GgufArray(GgufValueType.INT32, types)), Set.of()));
        assertEquals(TokenType.CONTROL, t.tokenType(661));
        assertTrue(t.isEog(661));
        int[] plain = t.encode("<|im_end|>", false, false);
        assertNotEquals(661, plain[0]); // a USER_DEFINED token would always be split out
        assertArrayEquals(new int[] {661}, t.encode("<|im_end|>", false, true));
    }

    @Test
    void unsupportedModelsAreRefused(@TempDir Path dir) throws IOException {
        Path file = VocabFiles.withMetadata(Fixtures.file("tokenizer/spm.gguf"), dir.resolve("t5.gguf"),
                Map.of("tokenizer.ggml.model", "t5"), Set.of());
        assertThrows(UnsupportedOperationException.class, () -> load(file));
    }
}
