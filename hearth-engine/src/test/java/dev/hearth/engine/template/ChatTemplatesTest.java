package dev.hearth.engine.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.template.ChatTemplates.Format;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Choice of the built-in format for models without a chat template (their rendering is in the golden corpus). */
class ChatTemplatesTest {

    private static Predicate<String> vocab(String... tokens) {
        return Set.of(tokens)::contains;
    }

    @Test
    void specialTokensDecideTheFormat() {
        assertEquals(Format.CHATML, ChatTemplates.choose("qwen2", vocab("<|im_start|>", "<|im_end|>")));
        assertEquals(Format.CHATML, ChatTemplates.choose("llama", vocab("<|im_start|>")));
        assertEquals(Format.LLAMA3, ChatTemplates.choose("llama", vocab("<|start_header_id|>", "<|eot_id|>")));
        assertEquals(Format.GEMMA, ChatTemplates.choose("llama", vocab("<start_of_turn>")));
        assertEquals(Format.DEEPSEEK, ChatTemplates.choose("qwen2", vocab("<｜User｜>", "<｜Assistant｜>")));
        assertEquals(Format.PHI3, ChatTemplates.choose("llama", vocab("<|user|>", "<|assistant|>", "<|end|>")));
        assertEquals(Format.MISTRAL, ChatTemplates.choose("llama", vocab("[INST]", "[/INST]")));
    }

    @Test
    void architectureDecidesWhenTokensSayNothing() {
        assertEquals(Format.GEMMA, ChatTemplates.choose("gemma2", vocab()));
        assertEquals(Format.GEMMA, ChatTemplates.choose("gemma3", vocab()));
        assertEquals(Format.PHI3, ChatTemplates.choose("phi3", vocab()));
        assertEquals(Format.CHATML, ChatTemplates.choose("qwen3", vocab()));
        assertEquals(Format.LLAMA2, ChatTemplates.choose("llama", vocab()));
        assertEquals(Format.LLAMA2, ChatTemplates.choose(null, vocab()));
    }

    @Test
    void everyFormatCompilesAndRendersItsTurnMarkers() {
        List<Map<String, Object>> messages = List.of(
                Map.of("role", "system", "content", "S"),
                Map.of("role", "user", "content", "U"),
                Map.of("role", "assistant", "content", "A"),
                Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "P"))));
        Map<Format, String> marker = Map.of(Format.CHATML, "<|im_start|>user\nU", Format.LLAMA3,
                "<|start_header_id|>user<|end_header_id|>\n\nU", Format.GEMMA, "<start_of_turn>user\nS\n\nU",
                Format.PHI3, "<|user|>\nU", Format.MISTRAL, "[INST] S\n\nU [/INST]", Format.DEEPSEEK, "<｜User｜>U",
                Format.LLAMA2, "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]");
        for (Format f : Format.values()) {
            String out = ChatTemplate.compile(f.source()).render(messages, null, true, "<s>", "</s>", Map.of());
            assertTrue(out.contains(marker.get(f)), f + " rendered " + out);
            assertTrue(out.contains("P"), f + " drops content parts: " + out);
        }
        assertEquals(Format.LLAMA3.source(), ChatTemplates.fallback("llama", vocab("<|start_header_id|>")));
    }
}
