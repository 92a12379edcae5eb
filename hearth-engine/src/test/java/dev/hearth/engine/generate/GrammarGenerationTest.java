package dev.hearth.engine.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.sampling.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Constrained decoding on a random-weight model: whatever it samples, the output follows the grammar. */
class GrammarGenerationTest {
    static LocalGenerator gen;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void load() throws Exception {
        gen = LocalGenerator.open(Fixtures.file("models/llama-spm-q8_0.gguf"), new LocalGenerator.Options(256, KvCache.Type.F32, 4));
    }

    @AfterAll
    static void close() {
        if (gen != null) gen.close();
    }

    static LocalGeneratorTest.Collector run(Prompt prompt, SamplingParams params, int max) throws Exception {
        LocalGeneratorTest.Collector c = new LocalGeneratorTest.Collector();
        gen.submit(new GenerationRequest(prompt, params, max), c);
        c.await();
        return c;
    }

    @Test
    void jsonSchemaOutputParsesAndFollowsTheSchema() throws Exception {
        Object schema = JSON.readValue("""
                {"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer","minimum":1,"maximum":99},
                 "tag":{"enum":["a","b"]}},"required":["ok","n","tag"],"additionalProperties":false}""", Object.class);
        int stopped = 0;
        for (int seed = 0; seed < 8; seed++) {
            SamplingParams p = SamplingParams.builder().neutral().seed(seed).jsonSchema("json_schema", schema).build();
            LocalGeneratorTest.Collector c = run(new Prompt.Text("Answer in JSON:"), p, 120);
            Completion done = c.await();
            if (done.finishReason() != FinishReason.END_OF_GENERATION) continue;
            stopped++;
            JsonNode out = JSON.readTree(c.text());
            assertTrue(out.get("ok").isBoolean(), c.text());
            assertTrue(out.get("n").isInt() && out.get("n").asInt() >= 1 && out.get("n").asInt() <= 99, c.text());
            assertTrue(out.get("tag").asText().matches("[ab]"), c.text());
            assertEquals(3, out.size(), c.text());
        }
        assertTrue(stopped >= 4, "most runs should close the object: " + stopped);
    }

    @Test
    void gbnfOutputIsASentence() throws Exception {
        SamplingParams p = SamplingParams.builder().neutral().seed(3)
                .gbnf("grammar", "root ::= (\"yes\" | \"no\") \", \" [0-9]{1,3}").build();
        LocalGeneratorTest.Collector c = run(new Prompt.Text("Well?"), p, 40);
        assertEquals(FinishReason.END_OF_GENERATION, c.await().finishReason());
        assertTrue(c.text().matches("(yes|no), [0-9]{1,3}"), c.text());
    }
}
