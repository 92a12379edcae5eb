package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The vocabulary-only GGUFs of fixtures/tokenizer and llama.cpp's results for them (README section 2). */
final class VocabFixtures {
    private VocabFixtures() {}

    static final List<String> VOCABS = List.of("spm", "bpe-gpt-2", "bpe-llama-bpe", "bpe-qwen2");

    /** One line of X.jsonl: llama_tokenize(text, addSpecial, parseSpecial) and llama_detokenize of the ids. */
    record Line(int input, String text, boolean addSpecial, boolean parseSpecial, int[] ids, String detok,
                String detokUnparseSpecial, String detokRemoveSpecial, byte[][] pieces) {}

    static Path gguf(String vocab) {
        return CliFixtures.dir().resolve("tokenizer/" + vocab + ".gguf");
    }

    static List<Line> lines(String vocab) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> raw = Files.readAllLines(CliFixtures.dir().resolve("tokenizer/" + vocab + ".jsonl"));
        List<Line> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            JsonNode j = json.readTree(raw.get(i));
            int[] ids = new int[j.path("ids").size()];
            for (int k = 0; k < ids.length; k++) ids[k] = j.path("ids").get(k).asInt();
            byte[][] pieces = new byte[j.path("pieces_hex").size()][];
            for (int k = 0; k < pieces.length; k++) pieces[k] = HexFormat.of().parseHex(j.path("pieces_hex").get(k).asText());
            out.add(new Line(i / 4, j.path("text").asText(), j.path("add_special").asBoolean(),
                    j.path("parse_special").asBoolean(), ids, j.path("detok").asText(),
                    j.path("detok_unparse_special").asText(), j.path("detok_remove_special").asText(), pieces));
        }
        return out;
    }

    /**
     * A sample of the 183 inputs (every 12th, plus special-token and chat-turn inputs) in all four modes, so the
     * command tests stay fast; the engine's own test covers every line.
     */
    static List<Line> sample(String vocab) throws IOException {
        return lines(vocab).stream()
                .filter(l -> l.input() % 12 == 0 || l.input() == 7 || l.input() == 114 || l.input() == 121
                        || l.input() == 131 || l.input() == 159 || l.input() == 165 || l.input() == 173)
                .toList();
    }

    static String ids(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(sb.isEmpty() ? "" : " ").append(id);
        return sb.toString();
    }
}
