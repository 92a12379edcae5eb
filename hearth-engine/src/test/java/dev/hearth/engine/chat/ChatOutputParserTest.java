package dev.hearth.engine.chat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every case is parsed four ways (whole, character by character, and in two random chunkings) and must give the
 * same reply each time; streamed content must never show text that later became part of a call.
 */
class ChatOutputParserTest {
    static final ChatFormat HERMES = new ChatFormat(ToolSyntax.HERMES, null, null, true, true);
    static final ChatFormat QWEN3 = new ChatFormat(ToolSyntax.HERMES, "<think>", "</think>", true, true);
    static final ChatFormat LLAMA3 = new ChatFormat(ToolSyntax.LLAMA3_JSON, null, null, true, true);
    static final ChatFormat MISTRAL = new ChatFormat(ToolSyntax.MISTRAL, null, null, true, true);
    static final ChatFormat GENERIC = new ChatFormat(ToolSyntax.GENERIC, null, null, true, false);

    /** Parses {@code text} in several chunkings and checks they agree; returns the reply. */
    static ChatReply parse(ChatFormat f, boolean tools, boolean separate, boolean opened, String text) {
        ChatReply whole = run(f, tools, separate, opened, List.of(text));
        List<String> chars = new ArrayList<>();
        text.codePoints().forEach(cp -> chars.add(Character.toString(cp)));
        assertEquals(whole, run(f, tools, separate, opened, chars), "fed character by character");
        for (long seed : new long[]{1, 2}) {
            Random r = new Random(seed);
            List<String> chunks = new ArrayList<>();
            for (int i = 0; i < text.length(); ) {
                int n = Math.min(text.length() - i, 1 + r.nextInt(7));
                chunks.add(text.substring(i, i + n));
                i += n;
            }
            assertEquals(whole, run(f, tools, separate, opened, chunks), "fed in chunks " + chunks);
        }
        return whole;
    }

    static ChatReply parse(ChatFormat f, String text) {
        return parse(f, true, true, false, text);
    }

    static ChatReply run(ChatFormat f, boolean tools, boolean separate, boolean opened, List<String> chunks) {
        ChatOutputParser p = new ChatOutputParser(f, tools, separate, opened);
        List<ChatDelta> all = new ArrayList<>();
        for (String c : chunks) all.addAll(p.feed(c));
        all.addAll(p.finish());
        return ChatReply.of(all);
    }

    static ChatDelta.ToolCall call(ChatReply r, int i) {
        return r.toolCalls().get(i);
    }

    @Test
    void hermesCallsAfterContent() {
        ChatReply r = parse(HERMES, "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"days\": 2}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"query\": \"a \\\"quoted\\\" </tool_call> {brace\"}}\n</tool_call>");
        assertEquals("Let me check.", r.content());
        assertEquals(2, r.toolCalls().size());
        assertEquals(new ChatDelta.ToolCall(0, null, "get_weather", "{\"location\":\"Paris\",\"days\":2}"), call(r, 0));
        assertEquals("search", call(r, 1).name());
        assertEquals(1, call(r, 1).index());
        assertEquals("{\"query\":\"a \\\"quoted\\\" </tool_call> {brace\"}", call(r, 1).arguments());
    }

    @Test
    void streamedContentNeverShowsAnOpeningThatBecameACall() {
        String text = "Sure <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
        ChatOutputParser p = new ChatOutputParser(HERMES, true, true, false);
        StringBuilder shown = new StringBuilder();
        List<ChatDelta> all = new ArrayList<>();
        for (char c : text.toCharArray()) {
            for (ChatDelta d : p.feed(String.valueOf(c))) {
                all.add(d);
                if (d instanceof ChatDelta.Content ct) shown.append(ct.text());
            }
        }
        all.addAll(p.finish());
        assertEquals("Sure", shown.toString());
        assertEquals("f", ChatReply.of(all).toolCalls().getFirst().name());
    }

    @Test
    void textThatOnlyLooksLikeAnOpeningIsContent() {
        ChatReply r = parse(HERMES, "if a <tool or b < c then <tool_cal");
        assertEquals("if a <tool or b < c then <tool_cal", r.content());
        assertTrue(r.toolCalls().isEmpty());
    }

    @Test
    void malformedCallsFallBackToContentAsWritten() {
        String broken = "<tool_call>{\"name\": \"f\", \"arguments\": {</tool_call>";
        assertEquals(broken, parse(HERMES, broken).content());
        String noName = "Hi <tool_call>{\"arguments\": {}}</tool_call>";
        assertEquals(noName, parse(HERMES, noName).content());
        String unterminated = "<tool_call>{\"name\": \"f\", \"argu";
        ChatReply r = parse(HERMES, unterminated);
        assertEquals(unterminated, r.content());
        assertTrue(r.toolCalls().isEmpty());
        String llamaJsonAnswer = "{\"answer\": 42}";
        assertEquals(llamaJsonAnswer, parse(LLAMA3, llamaJsonAnswer).content());
        String mistralBad = "[TOOL_CALLS][{\"name\": 3}]";
        assertEquals(mistralBad, parse(MISTRAL, mistralBad).content());
    }

    @Test
    void anUnclosedHermesCallThatIsCompleteJsonIsStillACall() {
        ChatReply r = parse(HERMES, "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": [1, 2.5, true, null]}}\n");
        assertEquals("", r.content());
        assertEquals("{\"x\":[1,2.5,true,null]}", call(r, 0).arguments());
    }

    @Test
    void withoutToolParsingACallIsJustContent() {
        String text = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
        ChatReply r = parse(HERMES, false, true, false, text);
        assertEquals(text, r.content());
        assertTrue(r.toolCalls().isEmpty());
    }

    @Test
    void llama3BareJsonAndPythonTag() {
        ChatReply r = parse(LLAMA3, "{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}");
        assertEquals("", r.content());
        assertEquals(new ChatDelta.ToolCall(0, null, "get_weather", "{\"location\":\"Paris\"}"), call(r, 0));

        r = parse(LLAMA3, "<|python_tag|>{\"name\": \"search\", \"parameters\": {\"query\": \"x\"}}");
        assertEquals("search", call(r, 0).name());

        r = parse(LLAMA3, "  {\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"k\": 1}}");
        assertEquals(List.of("a", "b"), r.toolCalls().stream().map(ChatDelta.ToolCall::name).toList());
        assertEquals("", r.content());
    }

    @Test
    void llama3JsonInsideProseIsContent() {
        String text = "The call would be {\"name\": \"a\", \"parameters\": {}}.";
        ChatReply r = parse(LLAMA3, text);
        assertEquals(text, r.content());
        assertTrue(r.toolCalls().isEmpty());
    }

    @Test
    void mistralListWithIds() {
        ChatReply r = parse(MISTRAL, "[TOOL_CALLS] [{\"name\": \"a\", \"arguments\": {\"x\": \"é\"}, \"id\": \"abc123XYZ\"}, "
                + "{\"name\": \"b\", \"arguments\": \"{\\\"y\\\": 2}\"}]");
        assertEquals(2, r.toolCalls().size());
        assertEquals(new ChatDelta.ToolCall(0, "abc123XYZ", "a", "{\"x\":\"é\"}"), call(r, 0));
        assertEquals(new ChatDelta.ToolCall(1, null, "b", "{\"y\": 2}"), call(r, 1));
    }

    @Test
    void genericShapes() {
        ChatReply r = parse(GENERIC, "{\"tool_calls\": [{\"name\": \"a\", \"arguments\": {\"q\": 1}}, {\"name\": \"b\", \"arguments\": {}}]}");
        assertEquals(List.of("a", "b"), r.toolCalls().stream().map(ChatDelta.ToolCall::name).toList());
        r = parse(GENERIC, "{\"tool_call\": {\"name\": \"a\", \"arguments\": {\"q\": 1}}}");
        assertEquals("{\"q\":1}", call(r, 0).arguments());
        r = parse(GENERIC, "[{\"type\": \"function\", \"function\": {\"name\": \"a\", \"arguments\": {}}}]");
        assertEquals("a", call(r, 0).name());
        r = parse(GENERIC, "{\"response\": \"Just text.\"}");
        assertEquals("Just text.", r.content());
        assertTrue(r.toolCalls().isEmpty());
        r = parse(GENERIC, "[1] is a citation.");
        assertEquals("[1] is a citation.", r.content());
    }

    @Test
    void reasoningIsSeparated() {
        ChatReply r = parse(QWEN3, "<think>\nThe user wants weather.\n</think>\n\nIt is sunny.");
        assertEquals("The user wants weather.\n", r.reasoning());
        assertEquals("It is sunny.", r.content());

        r = parse(QWEN3, true, true, true, "Thinking already open.</think>Answer");
        assertEquals("Thinking already open.", r.reasoning());
        assertEquals("Answer", r.content());

        r = parse(QWEN3, "<think>a</think>\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>");
        assertEquals("a", r.reasoning());
        assertEquals("", r.content());
        assertEquals("f", call(r, 0).name());

        r = parse(QWEN3, "<think>cut off by max_tokens");
        assertEquals("cut off by max_tokens", r.reasoning());
        assertEquals("", r.content());

        r = parse(QWEN3, "No thinking at all, <think> later is content");
        assertEquals("No thinking at all, <think> later is content", r.content());
        assertEquals("", r.reasoning());
    }

    @Test
    void reasoningKeptInlineWhenAsked() {
        String text = "<think>hmm</think>Answer";
        ChatReply r = parse(QWEN3, false, false, false, text);
        assertEquals(text, r.content());
        assertEquals("", r.reasoning());
    }

    @Test
    void trailingWhitespaceIsKeptWhenNoCallFollows() {
        assertEquals("Hi there \n", parse(HERMES, "Hi there \n").content());
        assertEquals("Hi", parse(HERMES, "Hi \n<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>\n").content());
    }
}
