package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.GenerationListener;
import dev.hearth.engine.generate.GenerationRequest;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.sampling.SamplingParams;
import dev.hearth.engine.tokenizer.StreamDecoder;
import dev.hearth.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.hearth.cli.Cli.run;
import static dev.hearth.cli.TokenizeCommandTest.assertOneLineError;
import static org.junit.jupiter.api.Assertions.*;

class GenerateCommandTest {
    static final Pattern STATS = Pattern.compile(
            "prompt: (\\d+) tokens \\((\\d+) cached\\), ([0-9.]+|-) tokens/s \\| generated: (\\d+) tokens, ([0-9.]+|-) tokens/s \\| stop: ([a-z_]+)");

    static Path model(String name) {
        return CliFixtures.dir().resolve("models/" + name + ".gguf");
    }

    static JsonNode golden(String name) throws Exception {
        return new ObjectMapper().readTree(CliFixtures.dir().resolve("models/" + name + ".json").toFile());
    }

    static int[] ints(JsonNode array, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = array.get(i).asInt();
        return ids;
    }

    /** The stats line, checked whole; its groups for the caller. */
    static Matcher stats(String line) {
        Matcher m = STATS.matcher(line);
        assertTrue(m.matches(), "stats line: '" + line + "'");
        return m;
    }

    /** What the engine streams for these ids (the CLI prints this, then a line break). */
    static String streamed(Tokenizer t, int[] ids) {
        StreamDecoder d = t.newDecoder(false, false);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.next(id));
        return sb.append(d.finish()).toString();
    }

    /** llama.cpp's greedy continuation of the fixture prompt, given to the CLI as text: the same tokens come out. */
    @Test
    void greedyContinuationIsLlamaCpps() throws Exception {
        String name = "llama-spm-f32";
        JsonNode golden = golden(name);
        int[] promptIds = ints(golden.get("prompt_ids"), golden.get("prompt_ids").size());
        try (GgufFile f = GgufFile.open(model(name))) {
            Tokenizer t = Tokenizer.fromGguf(f);
            String prompt = t.decode(promptIds, true, false).stripLeading(); // the tokenizer adds the leading space back
            assertArrayEquals(promptIds, t.encode(prompt, true, true), "the prompt text gives the fixture's ids back");
            for (String kv : List.of("F16", "F32")) {
                String key = kv.equals("F16") ? "greedy_kvf16" : "greedy";
                int n = 8;
                for (int s = 0; s < n; s++) {
                    assertTrue(golden.get(key.replace("greedy", "greedy_top2_gap")).get(s).asDouble() > 0.1, "an unambiguous argmax at step " + s);
                }
                Cli.Run r = run("generate", "-m", model(name).toString(), "-p", prompt, "-n", String.valueOf(n), "--temp", "0", "--kv-type", kv);
                assertEquals(0, r.exit(), r.err());
                assertEquals(streamed(t, ints(golden.get(key), n)) + "\n", r.out(), kv);
                Matcher m = stats(r.err().strip());
                assertEquals(List.of("16", "0", "8", "length"), List.of(m.group(1), m.group(2), m.group(4), m.group(6)));
                assertEquals(1, r.err().lines().count(), r.err());
            }
        }
    }

    @Test
    void seededSamplingRepeats() {
        String[] args = {"generate", "-m", model("qwen2-q4_k_m").toString(), "-p", "Once upon a time", "-n", "12",
                "--temp", "1.5", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--repeat-penalty", "1.1", "--seed", "7"};
        Cli.Run a = run(args), b = run(args);
        assertEquals(0, a.exit(), a.err());
        assertEquals(a.out(), b.out());
        assertEquals("12", stats(a.err().strip()).group(4));
    }

    /** --chat renders the prompt (and --system) through the model's template: the engine's own greedy reply. */
    @Test
    void chatPromptIsTheTemplatedConversation() throws Exception {
        Path file = model("qwen2-q4_k_m");
        List<Map<String, Object>> messages = List.of(Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "What is a fox?"));
        String expected;
        Completion done;
        try (LocalGenerator g = LocalGenerator.open(file, LocalGenerator.Options.defaults())) {
            StringBuilder text = new StringBuilder();
            CompletableFuture<Completion> end = new CompletableFuture<>();
            g.submit(new GenerationRequest(new Prompt.Chat(messages, null, true, null), SamplingParams.greedy(), 10),
                    new GenerationListener() {
                        public void onToken(TokenEvent e) { text.append(e.text()); }
                        public void onDone(Completion c) { end.complete(c); }
                        public void onError(Throwable e) { end.completeExceptionally(e); }
                    });
            done = end.get();
            expected = text.toString();
            assertTrue(done.promptTokens() > g.tokenize("Be brief.What is a fox?", false, false).length, "the template adds tokens");
        }
        Cli.Run r = run("generate", "-m", file.toString(), "--chat", "--system", "Be brief.", "-p", "What is a fox?", "-n", "10", "--temp", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(expected + "\n", r.out());
        assertEquals(String.valueOf(done.promptTokens()), stats(r.err().strip()).group(1));

        Cli.Run plain = run("generate", "-m", file.toString(), "-p", "What is a fox?", "-n", "10", "--temp", "0");
        assertTrue(Integer.parseInt(stats(plain.err().strip()).group(1)) < done.promptTokens());
    }

    @Test
    void errorsAreOneLine() throws Exception {
        String m = model("llama-spm-q8_0").toString();
        assertOneLineError(run("generate", "-m", "/nonexistent/model.gguf", "-p", "x"), "no such file", "/nonexistent/model.gguf");
        assertOneLineError(run("generate", "-m", m, "-p", "x", "--top-p", "3"), "--top-p", "between 0 and 1");
        assertOneLineError(run("generate", "-m", m, "-p", "x", "--temp", "-1"), "--temp", ">= 0");
        assertOneLineError(run("generate", "-m", m, "-p", "x", "--repeat-penalty", "0"), "--repeat-penalty");
        assertOneLineError(run("generate", "-m", m, "-p", "x", "--ctx-size", "-4"), "--ctx-size");
        // the prompt and one generated token must fit the context (rounded up to 32)
        assertOneLineError(run("generate", "-m", m, "-p", "The quick brown fox jumps over the lazy dog. ".repeat(3), "--ctx-size", "4"),
                "the context holds 32");
        // a vocabulary-only file has no weights
        Path vocab = CliFixtures.dir().resolve("tokenizer/spm.gguf");
        assertOneLineError(run("generate", "-m", vocab.toString(), "-p", "x"), vocab + ": cannot load the model: ", "token_embd.weight");

        for (String[] usage : List.of(
                new String[]{"generate", "-m", m},
                new String[]{"generate", "-p", "x"},
                new String[]{"generate", "-m", m, "-p", "x", "--system", "s"},
                new String[]{"generate", "-m", m, "-p", "x", "-n", "-2"},
                new String[]{"generate", "-m", m, "-p", "x", "--temp", "hot"},
                new String[]{"generate", "-m", m, "-p", "x", "--kv-type", "q8"})) {
            Cli.Run r = run(usage);
            assertEquals(2, r.exit(), String.join(" ", usage) + ": " + r.err());
            assertEquals("", r.out());
        }
    }

    /** A Q8_0 KV cache generates (its tokens need not be llama.cpp's F32 ones), and is refused for 16-wide heads. */
    @Test
    void q8_0KvCache() {
        Cli.Run r = run("generate", "-m", model("llama-spm-q8_0").toString(), "-p", "Hello there", "-n", "6", "--temp", "0",
                "--kv-type", "Q8_0");
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.out().isBlank(), r.out());
        Matcher m = stats(r.err().strip());
        assertEquals(List.of("6", "length"), List.of(m.group(4), m.group(6)));

        assertOneLineError(run("generate", "-m", model("gemma2-q8_0").toString(), "-p", "Hi", "-n", "1", "--kv-type", "Q8_0"),
                "cannot load the model", "Q8_0 KV cache needs head dimensions that are multiples of 32", "16");
    }
}
