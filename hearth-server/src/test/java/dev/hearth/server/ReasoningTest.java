package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Thinking returned apart (reasoning_content, Ollama's thinking) or inline, streamed and not. */
class ReasoningTest extends ServerTestBase {
    static final String MODEL = "tiny-llama.Q8_0";
    static final String CHAT = "{\"model\": \"" + MODEL + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]";

    @BeforeEach
    void qwen3() throws IOException {
        fake.context = 8192;
        fake.template = ToolCallingTest.template("Qwen--Qwen3-0.6B");
        fake.reply = "<think>\nThe user greets me.\n</think>\n\nHello!";
    }

    /** content and reasoning_content of a streamed chat, each concatenated. */
    static String[] streamed(String body) {
        StringBuilder content = new StringBuilder(), reasoning = new StringBuilder();
        for (String d : sseData(body)) {
            if (d.equals("[DONE]")) continue;
            JsonNode delta = parse(d).path("choices").path(0).path("delta");
            content.append(delta.path("content").asText(""));
            reasoning.append(delta.path("reasoning_content").asText(""));
        }
        return new String[]{content.toString(), reasoning.toString()};
    }

    @Test
    void openAiSeparatesReasoning() throws Exception {
        JsonNode msg = post("/v1/chat/completions", CHAT + "}").json().path("choices").path(0).path("message");
        assertEquals("Hello!", msg.path("content").asText());
        assertEquals("The user greets me.\n", msg.path("reasoning_content").asText());
        String[] s = streamed(post("/v1/chat/completions", CHAT + ", \"stream\": true}").body());
        assertArrayEquals(new String[]{"Hello!", "The user greets me.\n"}, s);
    }

    @Test
    void reasoningFormatNoneKeepsItInline() throws Exception {
        JsonNode msg = post("/v1/chat/completions", CHAT + ", \"reasoning_format\": \"none\"}").json().path("choices").path(0).path("message");
        assertEquals(fake.reply, msg.path("content").asText());
        assertTrue(msg.path("reasoning_content").isMissingNode());
        String[] s = streamed(post("/v1/chat/completions", CHAT + ", \"reasoning_format\": \"none\", \"stream\": true}").body());
        assertArrayEquals(new String[]{fake.reply, ""}, s);
    }

    @Test
    void aPromptThatOpensThinking() throws Exception {
        fake.template = ToolCallingTest.template("deepseek-ai--DeepSeek-R1-Distill-Qwen");
        fake.reply = "Greeting.\n</think>\n\nHi there.";
        JsonNode msg = post("/v1/chat/completions", CHAT + "}").json().path("choices").path(0).path("message");
        assertTrue(fake.lastPrompt.endsWith("<think>\n"), fake.lastPrompt);
        assertEquals("Hi there.", msg.path("content").asText());
        assertEquals("Greeting.\n", msg.path("reasoning_content").asText());
    }

    @Test
    void ollamaThinking() throws Exception {
        JsonNode msg = post("/api/chat", CHAT + ", \"stream\": false}").json().path("message");
        assertEquals("Hello!", msg.path("content").asText());
        assertEquals("The user greets me.\n", msg.path("thinking").asText());

        StringBuilder content = new StringBuilder(), thinking = new StringBuilder();
        for (String line : post("/api/chat", CHAT + "}").body().split("\n")) {
            JsonNode m = parse(line).path("message");
            content.append(m.path("content").asText());
            thinking.append(m.path("thinking").asText(""));
        }
        assertEquals(List.of("Hello!", "The user greets me.\n"), List.of(content.toString(), thinking.toString()));

        JsonNode inline = post("/api/chat", CHAT + ", \"stream\": false, \"think\": false}").json().path("message");
        assertEquals(fake.reply, inline.path("content").asText());
        assertTrue(inline.path("thinking").isMissingNode());
        assertTrue(fake.lastPrompt.endsWith("<think>\n\n</think>\n\n"), "think false reaches the template: " + fake.lastPrompt);
    }

    @Nested
    class ServerFlagNone extends ServerTestBase {
        @Override
        ServerConfig config() {
            return ServerConfig.defaults().withReasoningFormat(ReasoningFormat.NONE);
        }

        @Test
        void keepsReasoningInlineUnlessTheRequestAsks() throws Exception {
            fake.context = 8192;
            fake.template = ToolCallingTest.template("Qwen--Qwen3-0.6B");
            fake.reply = "<think>x</think>y";
            assertEquals("<think>x</think>y", post("/v1/chat/completions", CHAT + "}").json()
                    .path("choices").path(0).path("message").path("content").asText());
            JsonNode msg = post("/v1/chat/completions", CHAT + ", \"reasoning_format\": \"deepseek\"}").json()
                    .path("choices").path(0).path("message");
            assertEquals("y", msg.path("content").asText());
            assertEquals("x", msg.path("reasoning_content").asText());
        }
    }
}
