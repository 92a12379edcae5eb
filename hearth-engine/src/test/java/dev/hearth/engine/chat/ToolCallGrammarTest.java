package dev.hearth.engine.chat;

import dev.hearth.engine.grammar.GrammarMatcher;
import dev.hearth.engine.grammar.TokenTrie;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The families' call grammars accept what their models write (and the parser reads), and nothing looser. */
class ToolCallGrammarTest {
    static final Map<String, Object> CITY = Map.of("type", "object",
            "properties", Map.of("city", Map.of("type", "string")), "required", List.of("city"));
    static final List<Map<String, Object>> TOOLS = List.of(
            Map.of("type", "function", "function", Map.of("name", "get_weather", "parameters", CITY)),
            Map.of("type", "function", "function", Map.of("name", "ping")));
    /** One token per byte: the grammar sees the text byte by byte. */
    static final TokenTrie BYTES = TokenTrie.of(256, b -> new byte[] {(byte) b}, id -> false);

    static boolean accepts(ToolCallGrammar g, String text) {
        GrammarMatcher m = g.grammar().newMatcher(BYTES);
        return m.acceptBytes(text.getBytes(StandardCharsets.UTF_8)) && m.canStop();
    }

    static final String WEATHER = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}";
    static final String PING = "{\"name\": \"ping\", \"arguments\": {}}";

    @Test
    void hermesAfterItsOpeningTakesOneCallOrSeveral() {
        ToolCallGrammar parallel = ToolCallGrammar.afterOpening(TOOLS, ToolSyntax.HERMES, true);
        assertEquals("<tool_call>", parallel.trigger());
        assertTrue(accepts(parallel, "\n" + WEATHER + "\n</tool_call>"));
        assertTrue(accepts(parallel, "\n" + WEATHER + "\n</tool_call>\n<tool_call>\n" + PING + "\n</tool_call>"));
        ToolCallGrammar single = ToolCallGrammar.afterOpening(TOOLS, ToolSyntax.HERMES, false);
        assertTrue(accepts(single, WEATHER + "</tool_call>"));
        assertFalse(accepts(single, "\n" + WEATHER + "\n</tool_call>\n<tool_call>\n" + PING + "\n</tool_call>"));
        assertFalse(accepts(parallel, "\n{\"name\": \"get_weather\", \"arguments\": {\"city\": 3}}\n</tool_call>"), "schema");
        assertFalse(accepts(parallel, "\n{\"name\": \"other\", \"arguments\": {}}\n</tool_call>"), "unknown function");
        assertFalse(accepts(parallel, "\n" + WEATHER + "\n"), "unclosed");
    }

    @Test
    void mistralTakesAList() {
        ToolCallGrammar g = ToolCallGrammar.afterOpening(TOOLS, ToolSyntax.MISTRAL, true);
        assertEquals("[TOOL_CALLS]", g.trigger());
        assertTrue(accepts(g, " [" + WEATHER + ", " + PING + "]"));
        assertFalse(accepts(ToolCallGrammar.afterOpening(TOOLS, ToolSyntax.MISTRAL, false), "[" + WEATHER + ", " + PING + "]"));
        assertTrue(accepts(ToolCallGrammar.wholeReply(TOOLS, ToolSyntax.MISTRAL, null, true, null), "[TOOL_CALLS][" + PING + "]"));
    }

    @Test
    void llamaCallsUseParametersAndSemicolons() {
        ToolCallGrammar g = ToolCallGrammar.wholeReply(TOOLS, ToolSyntax.LLAMA3_JSON, null, true, null);
        assertNull(g.trigger());
        String weather = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}";
        assertTrue(accepts(g, weather));
        assertTrue(accepts(g, weather + "; {\"name\": \"ping\", \"parameters\": {}}"));
        assertFalse(accepts(g, WEATHER), "Llama 3 calls carry parameters");
        assertEquals("<|python_tag|>", ToolCallGrammar.afterOpening(TOOLS, ToolSyntax.LLAMA3_JSON, true).trigger());
    }

    @Test
    void genericRepliesAreAToolCallsObjectAndHaveNoLazyForm() {
        assertNull(ToolCallGrammar.afterOpening(TOOLS, ToolSyntax.GENERIC, true));
        ToolCallGrammar g = ToolCallGrammar.wholeReply(TOOLS, ToolSyntax.GENERIC, null, true, null);
        assertTrue(accepts(g, "{\"tool_calls\": [" + WEATHER + "]}"));
        assertFalse(accepts(g, "Sure!"));
    }

    @Test
    void aRequiredReplyIsOnlyCallsOfTheNamedFunction() {
        ToolCallGrammar g = ToolCallGrammar.wholeReply(TOOLS, ToolSyntax.HERMES, "ping", true, null);
        assertTrue(accepts(g, "<tool_call>\n" + PING + "\n</tool_call>"));
        assertFalse(accepts(g, "<tool_call>\n" + WEATHER + "\n</tool_call>"));
        assertFalse(accepts(g, "Let me check. <tool_call>\n" + PING + "\n</tool_call>"));
        ToolCallGrammar afterThinking = ToolCallGrammar.wholeReply(TOOLS, ToolSyntax.HERMES, null, true, "</think>");
        assertEquals("</think>", afterThinking.trigger());
        assertTrue(accepts(afterThinking, "\n\n<tool_call>\n" + PING + "\n</tool_call>"));
        assertThrows(IllegalArgumentException.class, () -> ToolCallGrammar.wholeReply(TOOLS, ToolSyntax.HERMES, "nope", true, null));
    }
}
