package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static dev.hearth.cli.Cli.run;
import static dev.hearth.cli.GenerateCommandTest.model;
import static org.junit.jupiter.api.Assertions.*;

class BenchCommandTest {
    @Test
    void jsonHasOneObjectPerTest() throws Exception {
        Path file = model("llama-spm-q8_0");
        Cli.Run r = run("bench", "-m", file.toString(), "-p", "16", "-n", "4", "-r", "1", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode tests = new ObjectMapper().readTree(r.out());
        assertEquals(2, tests.size(), r.out());
        try (GgufFile f = GgufFile.open(file)) {
            for (JsonNode t : tests) {
                assertEquals(file.toString(), t.get("model_filename").asText());
                assertEquals("llama Q8_0", t.get("model_type").asText());
                assertEquals(f.parameterCount(), t.get("model_n_params").asLong());
                assertEquals(f.tensorBytes(), t.get("model_size").asLong());
                assertEquals(1, t.get("samples_ns").size());
                assertEquals(1, t.get("samples_ts").size());
                long ns = t.get("samples_ns").get(0).asLong();
                int tokens = t.get("n_prompt").asInt() + t.get("n_gen").asInt();
                assertTrue(ns > 0);
                assertEquals(ns, t.get("avg_ns").asLong());
                assertEquals(tokens * 1e9 / ns, t.get("avg_ts").asDouble(), 1e-9 * t.get("avg_ts").asDouble());
                assertEquals(0.0, t.get("stddev_ts").asDouble()); // one run
            }
        }
        assertEquals(List.of("pp16", 16, 0), List.of(tests.get(0).get("test").asText(), tests.get(0).get("n_prompt").asInt(), tests.get(0).get("n_gen").asInt()));
        assertEquals(List.of("tg4", 0, 4), List.of(tests.get(1).get("test").asText(), tests.get(1).get("n_prompt").asInt(), tests.get(1).get("n_gen").asInt()));
    }

    @Test
    void markdownTableLikeLlamaBench() {
        Cli.Run r = run("bench", "-m", model("qwen2-q4_k_m").toString(), "-p", "8", "-n", "2", "-r", "2");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(4, lines.size(), r.out());
        assertTrue(Pattern.matches("\\| model +\\| +size \\| +params \\| threads \\| +test \\| +t/s \\|", lines.get(0)), lines.get(0));
        assertTrue(Pattern.matches("\\|( -+:? \\|)+", lines.get(1)), lines.get(1));
        Pattern row = Pattern.compile("\\| qwen2 Q4_K - Medium +\\| +[0-9.]+ [KMG]iB \\| +[0-9.]+ [KMB]? ?\\| +[0-9]+ \\| +(pp8|tg2) \\| +[0-9.]+ ± [0-9.]+ \\|");
        assertTrue(row.matcher(lines.get(2)).matches() && lines.get(2).contains(" pp8 "), lines.get(2));
        assertTrue(row.matcher(lines.get(3)).matches() && lines.get(3).contains(" tg2 "), lines.get(3));
        for (String l : lines) assertEquals(lines.get(0).length(), l.length(), "aligned columns");

        // -p 0 skips the prompt test
        Cli.Run tg = run("bench", "-m", model("qwen2-q4_k_m").toString(), "-p", "0", "-n", "2", "-r", "1");
        List<String> tgOnly = tg.out().lines().toList();
        assertEquals(3, tgOnly.size(), tg.err());
        assertTrue(tgOnly.get(2).contains(" tg2 "));
    }

    @Test
    void errors() {
        String m = model("llama-spm-q8_0").toString();
        TokenizeCommandTest.assertOneLineError(run("bench", "-m", "/nonexistent.gguf", "-p", "4", "-n", "1", "-r", "1"), "no such file");
        Path vocab = CliFixtures.dir().resolve("tokenizer/spm.gguf");
        TokenizeCommandTest.assertOneLineError(run("bench", "-m", vocab.toString(), "-p", "4", "-n", "1", "-r", "1"), "cannot load the model");
        for (String[] usage : List.of(
                new String[]{"bench", "-m", m, "-r", "0"},
                new String[]{"bench", "-m", m, "-p", "0", "-n", "0"},
                new String[]{"bench", "-m", m, "-p", "-1"},
                new String[]{"bench"})) {
            Cli.Run r = run(usage);
            assertEquals(2, r.exit(), String.join(" ", usage) + ": " + r.err());
            assertEquals("", r.out());
        }
    }
}
