package dev.hearth.cli;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.hearth.cli.Cli.run;
import static dev.hearth.cli.TokenizeCommandTest.assertOneLineError;
import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth detokenize} against llama.cpp's llama_detokenize for the fixture vocabularies. */
class DetokenizeCommandTest {
    @TempDir
    Path tmp;

    /** The ways a user may write ids: as tokenize prints them, as a Python/JSON list, one per line. */
    private static String written(int[] ids, int style) {
        return switch (style % 3) {
            case 0 -> VocabFixtures.ids(ids) + "\n";
            case 1 -> Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(", ", "[", "]"));
            default -> Arrays.stream(ids).mapToObj(i -> i + "\n").collect(Collectors.joining());
        };
    }

    @TestFactory
    Stream<DynamicTest> textEqualsLlamaCppForEachFlag() {
        return VocabFixtures.VOCABS.stream().map(vocab -> DynamicTest.dynamicTest(vocab, () -> {
            String gguf = VocabFixtures.gguf(vocab).toString();
            Path ids = tmp.resolve(vocab + ".ids");
            int style = 0;
            for (VocabFixtures.Line l : VocabFixtures.sample(vocab)) {
                Files.writeString(ids, written(l.ids(), style++));
                String what = vocab + " input " + l.input() + " ids " + Arrays.toString(l.ids());
                Cli.Run plain = run("detokenize", "-m", gguf, "--file", ids.toString());
                assertEquals(0, plain.exit(), what + ": " + plain.err());
                assertEquals("", plain.err());
                assertEquals(l.detok(), plain.out(), what);
                assertEquals(l.detokUnparseSpecial(), run("detokenize", "-m", gguf, "--file", ids.toString(), "--unparse-special").out(), what);
                assertEquals(l.detokRemoveSpecial(), run("detokenize", "-m", gguf, "--file", ids.toString(), "--remove-special").out(), what);
            }
        }));
    }

    @Test
    void roundTripsThroughTokenize() {
        // qwen2 keeps spaces as they are (no clean_spaces) and adds no space prefix: every text comes back
        String qwen = VocabFixtures.gguf("bpe-qwen2").toString();
        for (String text : List.of("Hello world", "  two\tlines\r\n and\u00a0more  ", "<|im_start|>user\nHi 😀<|im_end|>\n", "")) {
            String ids = run("tokenize", "-m", qwen, "-p", text).out();
            assertEquals(text, Cli.runWithInput(ids, "detokenize", "-m", qwen, "--remove-special", "--unparse-special").out(), ids);
        }
    }

    @Test
    void idsFromArgumentsAndStandardInput() {
        String spm = VocabFixtures.gguf("spm").toString();
        // fixture input 31: "Hello world" -> [550, 298, 357]; after a BOS the first word keeps its space
        assertEquals("Hello world", run("detokenize", "-m", spm, "550", "298", "357").out());
        assertEquals("Hello world", run("detokenize", "-m", spm, "550,298,357").out());
        assertEquals(" Hello world", Cli.runWithInput("1 550 298 357\n", "detokenize", "-m", spm).out());
        assertEquals("<s> Hello world", Cli.runWithInput("[1, 550, 298, 357]", "detokenize", "-m", spm, "--unparse-special", "--file", "-").out());
        assertEquals("", Cli.runWithInput("\n", "detokenize", "-m", spm).out());
    }

    @Test
    void errors() {
        String spm = VocabFixtures.gguf("spm").toString();
        assertOneLineError(Cli.runWithInput("1 2 x3", "detokenize", "-m", spm), "not a token id: 'x3'");
        assertOneLineError(run("detokenize", "-m", spm, "1", "877"), "877", "out of range", "877 tokens");
        assertOneLineError(run("detokenize", "-m", spm, "-1"), "-1", "out of range");
        assertOneLineError(run("detokenize", "-m", spm, "99999999999999999999"), "not a token id");
        assertOneLineError(run("detokenize", "-m", spm, "1.5"), "not a token id: '1.5'");
        Cli.Run both = run("detokenize", "-m", spm, "--file", "ids.txt", "1");
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("not both"), both.err());
    }
}
