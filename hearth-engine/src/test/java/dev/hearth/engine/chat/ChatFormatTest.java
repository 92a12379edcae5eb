package dev.hearth.engine.chat;

import dev.hearth.engine.Fixtures;
import dev.hearth.engine.generate.PromptEncoder;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.template.ChatTemplate;
import dev.hearth.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Family detection and tool rendering with real Hugging Face templates (src/test/resources/templates/models). */
class ChatFormatTest {

    static String template(String name) {
        try (InputStream in = ChatFormatTest.class.getResourceAsStream("/templates/models/" + name + ".jinja")) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A map in the given key order, as JSON clients send it (templates render keys in order). */
    static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static final List<Map<String, Object>> TOOLS = List.of(ordered("type", "function", "function", ordered(
            "name", "get_weather", "description", "Weather of a city",
            "parameters", ordered("type", "object", "properties", ordered("city", ordered("type", "string")),
                    "required", List.of("city")))));

    /** A first turn that called a tool (arguments as OpenAI sends them: JSON text) and the tool's answer. */
    static final List<Map<String, Object>> FOLLOW_UP = List.of(
            Map.of("role", "user", "content", "Weather in Paris?"),
            Map.of("role", "assistant", "content", "", "tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                    "function", Map.of("name", "get_weather", "arguments", "{\"city\": \"Paris\"}")))),
            Map.of("role", "tool", "tool_call_id", "call_1", "name", "get_weather", "content", "18 C"));

    @Test
    void familiesAreRecognisedFromTheirTemplates() {
        assertEquals(ToolSyntax.HERMES, ChatFormat.detect(template("Qwen--Qwen2.5-7B-Instruct")).tools());
        assertEquals(ToolSyntax.HERMES, ChatFormat.detect(template("NousResearch--Hermes-2-Pro-Llama-3-8B-JSON-Schema")).tools());
        assertEquals(ToolSyntax.LLAMA3_JSON, ChatFormat.detect(template("meta-llama--Llama-3.1-8B-Instruct")).tools());
        assertEquals(ToolSyntax.LLAMA3_JSON, ChatFormat.detect(template("meta-llama--Llama-3.2-11B-Vision-Instruct")).tools());
        assertEquals(ToolSyntax.MISTRAL, ChatFormat.detect(template("mistralai--Mistral-Nemo-Instruct-2407")).tools());
        assertEquals(ToolSyntax.MISTRAL, ChatFormat.detect(template("mistralai--Mistral-7B-Instruct-v0.3-JSON-Schema")).tools());
        ChatFormat zephyr = ChatFormat.detect(template("HuggingFaceH4--zephyr-7b-beta"));
        assertEquals(ToolSyntax.GENERIC, zephyr.tools());
        assertFalse(zephyr.rendersTools());
        assertFalse(zephyr.thinks());

        ChatFormat qwen3 = ChatFormat.detect(template("Qwen--Qwen3-0.6B"));
        assertEquals(ToolSyntax.HERMES, qwen3.tools());
        assertTrue(qwen3.thinks());
        assertTrue(qwen3.argumentsAsObjects());
        assertFalse(ChatFormat.detect(template("deepseek-ai--DeepSeek-R1")).argumentsAsObjects());
    }

    @Test
    void aPromptThatOpensThinkingIsRecognised() {
        String source = template("deepseek-ai--DeepSeek-R1-Distill-Qwen");
        ChatFormat f = ChatFormat.detect(source);
        String prompt = ChatTemplate.compile(source).render(List.of(Map.of("role", "user", "content", "Hi")), null, true,
                "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", Map.of());
        assertTrue(f.opensThinking(prompt), prompt);

        String qwen3 = template("Qwen--Qwen3-0.6B");
        String closed = ChatTemplate.compile(qwen3).render(List.of(Map.of("role", "user", "content", "Hi")), null, true,
                null, null, Map.of("enable_thinking", false));
        assertFalse(ChatFormat.detect(qwen3).opensThinking(closed), "enable_thinking=false renders an empty, closed block");
    }

    @Test
    void qwenRendersToolsAndAFollowUpWithObjectArguments() {
        String source = template("Qwen--Qwen2.5-7B-Instruct");
        ChatFormat f = ChatFormat.detect(source);
        String prompt = ChatTemplate.compile(source).render(f.prepareMessages(FOLLOW_UP, TOOLS), TOOLS, true, null, null, Map.of());
        assertTrue(prompt.contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather of a city\""), prompt);
        assertTrue(prompt.contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"), prompt);
        assertTrue(prompt.contains("<tool_response>\n18 C\n</tool_response>"), prompt);
        assertTrue(prompt.endsWith("<|im_start|>assistant\n"), prompt);
    }

    @Test
    void llamaAndMistralRenderTools() {
        String llama = template("meta-llama--Llama-3.1-8B-Instruct");
        String p = ChatTemplate.compile(llama).render(ChatFormat.detect(llama).prepareMessages(FOLLOW_UP, TOOLS), TOOLS, true,
                "<|begin_of_text|>", "<|eot_id|>", Map.of());
        assertTrue(p.contains("\"name\": \"get_weather\""), p);
        assertTrue(p.contains("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}"), p);
        assertTrue(p.contains("<|start_header_id|>ipython<|end_header_id|>\n\n\"18 C\"") || p.contains("ipython<|end_header_id|>\n\n18 C"), p);

        String nemo = template("mistralai--Mistral-Nemo-Instruct-2407");
        List<Map<String, Object>> msgs = List.of(Map.of("role", "user", "content", "Weather in Paris?"));
        String q = ChatTemplate.compile(nemo).render(ChatFormat.detect(nemo).prepareMessages(msgs, TOOLS), TOOLS, true,
                "<s>", "</s>", Map.of());
        assertTrue(q.startsWith("<s>[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"") && q.endsWith("}}}][/AVAILABLE_TOOLS][INST]Weather in Paris?[/INST]"), q);
    }

    @Test
    void templatesWithoutToolsGetThemInTheSystemMessage() {
        String zephyr = template("HuggingFaceH4--zephyr-7b-beta");
        List<Map<String, Object>> msgs = ChatFormat.detect(zephyr).prepareMessages(
                List.of(Map.of("role", "user", "content", "Weather in Paris?")), TOOLS);
        String p = ChatTemplate.compile(zephyr).render(msgs, TOOLS, true, "<s>", "</s>", Map.of());
        assertTrue(p.startsWith("<|system|>\nYou can call these tools:\n[{\"name\":\"get_weather\",\"description\""), p);
        assertTrue(p.contains("\"tool_calls\""), p);
    }

    @Test
    void argumentsFollowWhatTheTemplateWants() {
        ChatFormat objects = new ChatFormat(ToolSyntax.HERMES, null, null, true, true);
        ChatFormat text = new ChatFormat(ToolSyntax.GENERIC, null, null, false, true);
        Map<String, Object> asText = FOLLOW_UP.get(1);
        Object converted = ((Map<?, ?>) ((Map<?, ?>) ((List<?>) objects.prepareMessages(List.of(asText), null)
                .getFirst().get("tool_calls")).getFirst()).get("function")).get("arguments");
        assertEquals(Map.of("city", "Paris"), converted);
        Map<String, Object> asObject = Map.of("role", "assistant", "tool_calls", List.of(Map.of("type", "function",
                "function", Map.of("name", "f", "arguments", Map.of("k", 1L)))));
        Object back = ((Map<?, ?>) ((Map<?, ?>) ((List<?>) text.prepareMessages(List.of(asObject), null)
                .getFirst().get("tool_calls")).getFirst()).get("function")).get("arguments");
        assertEquals("{\"k\":1}", back);
    }

    /** A real fixture model's tokenizer with a real template: the rendered tool prompt keeps its special tokens. */
    @Test
    void aFixtureModelEncodesARenderedToolPrompt() throws IOException {
        try (GgufFile gguf = GgufFile.open(Fixtures.file("models/qwen2-q8_0.gguf"))) {
            Tokenizer tokenizer = Tokenizer.fromGguf(gguf);
            int toolCall = tokenizer.tokenId("<tool_call>");
            assertNotEquals(Tokenizer.NO_TOKEN, toolCall, "the Qwen2 vocabulary has <tool_call>");
            String source = template("Qwen--Qwen2.5-7B-Instruct");
            PromptEncoder encoder = new PromptEncoder(tokenizer, ChatTemplate.compile(source));
            List<Map<String, Object>> msgs = ChatFormat.detect(source).prepareMessages(FOLLOW_UP, TOOLS);
            String rendered = encoder.render(msgs, TOOLS, true, Map.of());
            assertTrue(rendered.contains("<tools>") && rendered.contains("get_weather"), rendered);
            int[] ids = encoder.chatIds(rendered);
            long inText = rendered.split("<tool_call>", -1).length - 1;
            assertTrue(inText >= 2, rendered);
            assertEquals(inText, Arrays.stream(ids).filter(id -> id == toolCall).count(), "each <tool_call> is one token");
        }
    }
}
