package dev.hearth.engine.chat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ToolCallSchemaTest {
    static final Map<String, Object> PARAMS = Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")));
    static final List<Map<String, Object>> TOOLS = List.of(
            Map.of("type", "function", "function", Map.of("name", "a", "parameters", PARAMS)),
            Map.of("type", "function", "function", Map.of("name", "b")));

    @Test
    void oneChoicePerFunction() {
        Map<String, Object> s = ToolCallSchema.toolCallSchema(TOOLS, ToolSyntax.HERMES, null);
        List<?> any = (List<?>) s.get("anyOf");
        assertEquals(2, any.size());
        Map<?, ?> first = (Map<?, ?>) any.getFirst();
        assertEquals(Map.of("name", Map.of("const", "a"), "arguments", PARAMS), first.get("properties"));
        assertEquals(List.of("name", "arguments"), first.get("required"));
        Map<?, ?> second = (Map<?, ?>) ((Map<?, ?>) any.get(1)).get("properties");
        assertEquals(Map.of("type", "object"), second.get("arguments"), "no parameters: any object");
    }

    @Test
    void llamaUsesParametersAndANamedChoiceKeepsOne() {
        List<?> any = (List<?>) ToolCallSchema.toolCallSchema(TOOLS, ToolSyntax.LLAMA3_JSON, "b").get("anyOf");
        assertEquals(1, any.size());
        assertEquals(List.of("name", "parameters"), ((Map<?, ?>) any.getFirst()).get("required"));
    }
}
