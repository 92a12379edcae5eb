package dev.hearth.engine.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Greedy choice and top-5 on real llama.cpp logits (fixtures README section 3): argmax ties go to the lowest id. */
class SamplerFixtureTest {
    @Test
    void greedyAndTopLogprobsAgreeWithLlamaCpp() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Path> files;
        try (Stream<Path> s = Files.list(Fixtures.dir().resolve("models"))) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        int checked = 0;
        for (Path f : files) {
            JsonNode root = json.readTree(f.toFile());
            if (!root.has("logits") || !root.has("greedy_top5")) continue;
            JsonNode last = root.get("logits").get(15);
            float[] logits = new float[last.size()];
            for (int i = 0; i < logits.length; i++) logits[i] = last.get(i).floatValue();
            assertEquals(root.get("n_vocab").asInt(), logits.length);

            Sampler greedy = new Sampler(SamplingParams.builder().temperature(0).topLogprobs(5).build(), logits.length);
            assertEquals(root.get("greedy").get(0).asInt(), greedy.sample(logits), f.getFileName().toString());

            JsonNode top5 = root.get("greedy_top5").get(0);
            TokenLogprobs lp = greedy.logprobs();
            assertEquals(5, lp.count());
            for (int i = 0; i < 5; i++) {
                int id = top5.get(i).get(0).asInt();
                assertEquals(id, lp.token(i), f.getFileName() + " rank " + i);
                // logprob differences are logit differences
                double logitGap = top5.get(0).get(1).floatValue() - top5.get(i).get(1).floatValue();
                assertEquals(logitGap, lp.logprob(0) - lp.logprob(i), 1e-4 * Math.max(1, Math.abs(logitGap)));
            }
            checked++;
        }
        assertTrue(checked >= 10, "expected the model fixtures, found " + checked);
    }
}
