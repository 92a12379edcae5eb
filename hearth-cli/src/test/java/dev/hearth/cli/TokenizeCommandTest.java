package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufWriter;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.hearth.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code hearth tokenize} against llama.cpp's ids for the fixture vocabularies, in every flag combination. */
class TokenizeCommandTest {
    @TempDir
    Path tmp;

    private static List<String> flags(VocabFixtures.Line l) {
        List<String> f = new ArrayList<>();
        if (!l.addSpecial()) f.add("--no-add-special");
        if (!l.parseSpecial()) f.add("--no-parse-special");
        return f;
    }

    private static String[] args(String vocab, List<String> flags, String... more) {
        List<String> a = new ArrayList<>(List.of("tokenize", "-m", VocabFixtures.gguf(vocab).toString()));
        a.addAll(flags);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @TestFactory
    Stream<DynamicTest> idsEqualLlamaCppInEveryMode() {
        return VocabFixtures.VOCABS.stream().map(vocab -> DynamicTest.dynamicTest(vocab, () -> {
            List<VocabFixtures.Line> sample = VocabFixtures.sample(vocab);
            assertTrue(sample.size() >= 4 * 20, "sample size " + sample.size());
            Path text = tmp.resolve(vocab + ".txt");
            for (VocabFixtures.Line l : sample) {
                Files.write(text, l.text().getBytes(StandardCharsets.UTF_8));
                String what = vocab + " input " + l.input() + " " + flags(l);
                Cli.Run r = run(args(vocab, flags(l), "--file", text.toString()));
                assertEquals(0, r.exit(), what + ": " + r.err());
                assertEquals("", r.err(), what);
                assertEquals(VocabFixtures.ids(l.ids()) + "\n", r.out(), what);

                Cli.Run pieces = run(args(vocab, flags(l), "--file", text.toString(), "--pieces"));
                assertEquals(0, pieces.exit(), what + ": " + pieces.err());
                checkPieces(l, pieces.out(), what);
            }
        }));
    }

    private static final Pattern PIECE_LINE = Pattern.compile(" *(\\d+) -> '(.*)'");

    /** Each line shows the token's id and a visible, escaped form of exactly its llama_token_to_piece bytes. */
    private static void checkPieces(VocabFixtures.Line l, String out, String what) {
        String[] lines = out.isEmpty() ? new String[0] : out.split("\n", -1);
        assertEquals(l.ids().length + (out.isEmpty() ? 0 : 1), lines.length, what + ": one line per token\n" + out);
        for (int k = 0; k < l.ids().length; k++) {
            Matcher m = PIECE_LINE.matcher(lines[k]);
            assertTrue(m.matches(), what + ": line " + lines[k]);
            assertEquals(l.ids()[k], Integer.parseInt(m.group(1)), what);
            String shown = m.group(2);
            assertTrue(shown.codePoints().allMatch(c -> c >= 0x20 && c != 0x7f && !Character.isWhitespace(c) || c == ' '),
                    what + ": invisible character in " + shown);
            assertArrayEquals(l.pieces()[k], unescape(shown), what + ": piece " + k + " shown as " + shown);
        }
        assertEquals("", lines.length == 0 ? "" : lines[lines.length - 1], "output ends with a line break");
    }

    /** Reverses the shown form: <0xNN> is a byte; backslash n, r, t, backslash and u{X} are escapes; the rest is UTF-8. */
    static byte[] unescape(String shown) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Matcher m = Pattern.compile("<0x([0-9A-F]{2})>|\\\\([nrt\\\\])|\\\\u\\{([0-9A-F]{4,6})\\}|(.)", Pattern.DOTALL).matcher(shown);
        while (m.find()) {
            if (m.group(1) != null) b.write(Integer.parseInt(m.group(1), 16));
            else if (m.group(2) != null) b.write(switch (m.group(2)) { case "n" -> '\n'; case "r" -> '\r'; case "t" -> '\t'; default -> '\\'; });
            else if (m.group(3) != null) b.writeBytes(Character.toString(Integer.parseInt(m.group(3), 16)).getBytes(StandardCharsets.UTF_8));
            else b.writeBytes(m.group(4).getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    @Test
    void piecesReadably() {
        // spm: "\n" falls back to the byte token <0x0A> (id 13); SPM's space prefix is the piece ' ' (589)
        assertEquals("     1 -> '<s>'\n   589 -> ' '\n    13 -> '<0x0A>'\n",
                run("tokenize", "-m", VocabFixtures.gguf("spm").toString(), "-p", "\n", "--pieces").out());
        // spm: "1️⃣" = 1, U+FE0F (a piece of its own, invisible), then U+20E3 as three byte tokens
        assertEquals("   294 -> ' 1'\n   864 -> '\\u{FE0F}'\n   229 -> '<0xE2>'\n   134 -> '<0x83>'\n   166 -> '<0xA3>'\n",
                run("tokenize", "-m", VocabFixtures.gguf("spm").toString(), "-p", "1\uFE0F\u20E3", "--pieces", "--no-add-special").out());
        // byte-level BPE: id 10 is the byte \n, a normal token; half a character shows its bytes
        assertEquals("   659 -> '<|endoftext|>'\n    10 -> '\\n'\n",
                run("tokenize", "-m", VocabFixtures.gguf("bpe-gpt-2").toString(), "-p", "\n", "--pieces").out());
        assertEquals("   657 -> ' <0xF0><0x9F><0x98>'\n   128 -> '<0x80>'\n",
                run("tokenize", "-m", VocabFixtures.gguf("bpe-gpt-2").toString(), "-p", " \uD83D\uDE00", "--pieces", "--no-add-special").out());
    }

    @Test
    void readsStandardInputExactlyAndChompsOnlyWhenAsked() {
        String spm = VocabFixtures.gguf("spm").toString();
        // fixture input 26 is "trailing newline\n"; its ids end with the byte token for \n (13)
        Cli.Run r = Cli.runWithInput("Hello world\n", "tokenize", "-m", spm);
        assertEquals("1 550 298 357 13\n", r.out(), r.err());
        assertEquals("1 550 298 357\n", Cli.runWithInput("Hello world\n", "tokenize", "-m", spm, "--chomp").out());
        assertEquals("1 550 298 357\n", Cli.runWithInput("Hello world\r\n", "tokenize", "-m", spm, "--chomp").out());
        assertEquals("1 550 298 357\n", Cli.runWithInput("Hello world", "tokenize", "-m", spm, "--chomp").out());
        assertEquals("1 550 298 357 13\n", Cli.runWithInput("Hello world\n\n", "tokenize", "-m", spm, "--chomp").out());
        assertEquals("1 550 298 357\n", Cli.runWithInput("Hello world", "tokenize", "-m", spm, "--file", "-").out());
        assertEquals("1 550 298 357\n", run("tokenize", "-m", spm, "-p", "Hello world").out());
        assertEquals("1\n", run("tokenize", "-m", spm, "-p", "").out());
        assertEquals("\n", run("tokenize", "-m", spm, "-p", "", "--no-add-special").out());
    }

    // ---- errors: one line, exit code 1 (usage mistakes: picocli's message and exit code 2)

    static void assertOneLineError(Cli.Run r, String... fragments) {
        assertEquals(1, r.exit(), r.out() + r.err());
        assertEquals("", r.out());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line:\n" + err);
        assertTrue(err.startsWith("hearth: "), err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace or exception name: " + err);
        for (String f : fragments) assertTrue(err.contains(f), "'" + err + "' should contain '" + f + "'");
    }

    @Test
    void errors() throws Exception {
        String spm = VocabFixtures.gguf("spm").toString();
        assertOneLineError(run("tokenize", "-m", tmp.resolve("nope.gguf").toString(), "-p", "x"), "no such file", "nope.gguf");
        assertOneLineError(run("tokenize", "-m", spm, "--file", tmp.resolve("nope.txt").toString()), "no such file", "nope.txt");
        assertOneLineError(run("tokenize", "-m", spm, "--file", tmp.toString()), tmp.toString());

        Path noVocab = tmp.resolve("weights-only.gguf");
        new GgufWriter().putString("general.architecture", "llama").addTensor("w", new float[4], 4).write(noVocab);
        assertOneLineError(run("tokenize", "-m", noVocab.toString(), "-p", "x"), noVocab.toString(), "no tokenizer");

        Path bert = tmp.resolve("bert.gguf");
        new GgufWriter().putString("general.architecture", "bert").putString("tokenizer.ggml.model", "bert")
                .putArray("tokenizer.ggml.tokens", dev.hearth.engine.gguf.GgufValueType.STRING, new String[]{"[UNK]"}).write(bert);
        assertOneLineError(run("tokenize", "-m", bert.toString(), "-p", "x"), bert.toString(), "'bert'");

        Cli.Run both = run("tokenize", "-m", spm, "-p", "x", "--file", "y");
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
        Cli.Run noModel = run("tokenize", "-p", "x");
        assertEquals(2, noModel.exit());
        assertTrue(noModel.err().contains("--model"), noModel.err());
    }
}
