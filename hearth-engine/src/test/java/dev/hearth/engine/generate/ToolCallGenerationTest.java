package dev.hearth.engine.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.Fixtures;
import dev.hearth.engine.chat.ChatDelta;
import dev.hearth.engine.chat.ChatFormat;
import dev.hearth.engine.chat.ChatOutputParser;
import dev.hearth.engine.chat.ToolCallGrammar;
import dev.hearth.engine.chat.ToolSyntax;
import dev.hearth.engine.grammar.Grammar;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.sampling.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool-call grammars on a random-weight model with a real Qwen2 vocabulary: whatever garbage the weights favour,
 * a forced call parses in its family's syntax and its arguments follow the function's schema; a lazy grammar
 * starts where its trigger appears, even inside a token, and is dropped when the token's rest breaks it.
 */
class ToolCallGenerationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static LocalGenerator gen;
    static List<Map<String, Object>> tools;

    @BeforeAll
    static void load() throws Exception {
        gen = LocalGenerator.open(Fixtures.file("models/qwen2-q8_0.gguf"), new LocalGenerator.Options(512, KvCache.Type.F32, 4));
        tools = JSON.readValue("""
                [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{
                   "city":{"enum":["Paris","Rome"]},"days":{"type":"integer","minimum":1,"maximum":7}},
                   "required":["city","days"],"additionalProperties":false}}},
                 {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{
                   "zone":{"type":"string","maxLength":4}},"required":["zone"],"additionalProperties":false}}}]""",
                JSON.getTypeFactory().constructCollectionType(List.class, Map.class));
    }

    @AfterAll
    static void close() {
        if (gen != null) gen.close();
    }

    static LocalGeneratorTest.Collector run(SamplingParams params, int max) throws Exception {
        LocalGeneratorTest.Collector c = new LocalGeneratorTest.Collector();
        gen.submit(new GenerationRequest(new Prompt.Text("Call a tool:"), params, max, true), c);
        c.await();
        return c;
    }

    static List<ChatDelta.ToolCall> parse(ToolSyntax syntax, String text) {
        ChatOutputParser p = new ChatOutputParser(new ChatFormat(syntax, null, null, true, true), true, false, false);
        List<ChatDelta> deltas = new ArrayList<>(p.feed(text));
        deltas.addAll(p.finish());
        List<ChatDelta.ToolCall> calls = new ArrayList<>();
        for (ChatDelta d : deltas) {
            if (d instanceof ChatDelta.ToolCall c) calls.add(c);
            else assertTrue(d instanceof ChatDelta.Content t && t.text().isBlank(), "not only calls: " + text);
        }
        return calls;
    }

    /** The two functions' schemas, checked by hand: exactly their properties, in their ranges. */
    static void assertValidCall(ChatDelta.ToolCall call, String text) throws Exception {
        JsonNode args = JSON.readTree(call.arguments());
        switch (call.name()) {
            case "get_weather" -> {
                assertEquals(Set.of("city", "days"), fieldNames(args), text);
                assertTrue(Set.of("Paris", "Rome").contains(args.get("city").asText()) && args.get("city").isTextual(), text);
                assertTrue(args.get("days").isIntegralNumber() && args.get("days").asInt() >= 1 && args.get("days").asInt() <= 7, text);
            }
            case "get_time" -> {
                assertEquals(Set.of("zone"), fieldNames(args), text);
                assertTrue(args.get("zone").isTextual() && args.get("zone").asText().codePointCount(0, args.get("zone").asText().length()) <= 4, text);
            }
            default -> throw new AssertionError("unknown function " + call.name() + " in " + text);
        }
    }

    static Set<String> fieldNames(JsonNode o) {
        Set<String> names = new java.util.HashSet<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @ParameterizedTest
    @EnumSource(ToolSyntax.class)
    void requiredForcesAValidCallWhateverTheModelPrefers(ToolSyntax syntax) throws Exception {
        ToolCallGrammar g = ToolCallGrammar.wholeReply(tools, syntax, null, false, null);
        int complete = 0;
        for (int seed = 0; seed < 6; seed++) {
            SamplingParams p = SamplingParams.builder().neutral().seed(seed).grammar(g.grammar()).build();
            LocalGeneratorTest.Collector c = run(p, 160);
            if (c.await().finishReason() != FinishReason.END_OF_GENERATION) continue;
            complete++;
            List<ChatDelta.ToolCall> calls = parse(syntax, c.text());
            assertEquals(1, calls.size(), c.text());
            assertValidCall(calls.getFirst(), c.text());
        }
        assertTrue(complete >= 4, "most runs should finish their call: " + complete);
    }

    @Test
    void aNamedFunctionIsTheOneCalled() throws Exception {
        ToolCallGrammar g = ToolCallGrammar.wholeReply(tools, ToolSyntax.HERMES, "get_time", false, null);
        int complete = 0;
        for (int seed = 10; seed < 16; seed++) {
            LocalGeneratorTest.Collector c = run(SamplingParams.builder().neutral().seed(seed).grammar(g.grammar()).build(), 160);
            if (c.await().finishReason() != FinishReason.END_OF_GENERATION) continue;
            complete++;
            List<ChatDelta.ToolCall> calls = parse(ToolSyntax.HERMES, c.text());
            assertFalse(calls.isEmpty(), c.text());
            for (ChatDelta.ToolCall call : calls) {
                assertEquals("get_time", call.name(), c.text());
                assertValidCall(call, c.text());
            }
        }
        assertTrue(complete >= 3, "most runs should finish: " + complete);
    }

    @Test
    void theOpeningSwitchesTheLazyGrammarOn() throws Exception {
        // the model is pushed to write <tool_call> (a token of this vocabulary) first; from there the grammar holds
        int[] open = gen.tokenize("<tool_call>", false, true);
        assertEquals(1, open.length);
        ToolCallGrammar g = ToolCallGrammar.afterOpening(tools, ToolSyntax.HERMES, false);
        assertEquals("<tool_call>", g.trigger());
        for (int seed = 0; seed < 4; seed++) {
            SamplingParams p = SamplingParams.builder().neutral().seed(seed).logitBias(open[0], 100)
                    .grammar(g.grammar()).grammarTrigger(g.trigger()).build();
            LocalGeneratorTest.Collector c = run(p, 160);
            assertEquals(FinishReason.END_OF_GENERATION, c.await().finishReason(), c.text());
            assertTrue(c.text().startsWith("<tool_call>"), c.text());
            List<ChatDelta.ToolCall> calls = parse(ToolSyntax.HERMES, c.text());
            assertEquals(1, calls.size(), c.text());
            assertValidCall(calls.getFirst(), c.text());
        }
    }

    @Test
    void aTriggerInsideATokenFeedsTheGrammarTheTokensRest() throws Exception {
        int[] hello = gen.tokenize("hello", false, false);
        assertEquals(1, hello.length);
        // trigger "he": the grammar starts with "llo", the rest of the token, and then wants only "!"
        SamplingParams p = SamplingParams.builder().temperature(0).logitBias(hello[0], 100)
                .grammar(Grammar.parse("root ::= \"llo\" \"!\"")).grammarTrigger("he").build();
        LocalGeneratorTest.Collector c = run(p, 20);
        assertEquals(FinishReason.END_OF_GENERATION, c.await().finishReason());
        assertEquals("hello!", c.text());
    }

    @Test
    void aTokenWhoseRestBreaksTheGrammarDropsIt() throws Exception {
        int[] hello = gen.tokenize("hello", false, false);
        SamplingParams p = SamplingParams.builder().temperature(0).logitBias(hello[0], 100)
                .grammar(Grammar.parse("root ::= \"!\"")).grammarTrigger("he").build();
        LocalGeneratorTest.Collector c = run(p, 3);
        // unconstrained from there: the bias keeps choosing "hello" until the length limit
        assertEquals(FinishReason.LENGTH, c.await().finishReason());
        assertEquals("hellohellohello", c.text());
    }

    @Test
    void withoutItsTriggerTheGrammarNeverMasks() throws Exception {
        int[] hello = gen.tokenize("hello", false, false);
        SamplingParams p = SamplingParams.builder().temperature(0).logitBias(hello[0], 100)
                .grammar(Grammar.parse("root ::= \"!\"")).grammarTrigger("<tool_call>").build();
        LocalGeneratorTest.Collector c = run(p, 2);
        assertEquals("hellohello", c.text());
    }
}
