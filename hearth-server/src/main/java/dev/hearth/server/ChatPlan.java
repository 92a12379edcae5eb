package dev.hearth.server;

import dev.hearth.engine.chat.ChatFormat;
import dev.hearth.engine.chat.ChatOutputParser;
import dev.hearth.engine.chat.ToolCallSchema;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.Prompt;

import java.util.List;
import java.util.Map;

/**
 * A chat request's prompt and how its reply is to be read, for the OpenAI and Ollama chat routes alike: the
 * model's family (from its chat template), whether tool calls are parsed, whether thinking is returned apart and
 * whether the prompt already opened it.
 */
public record ChatPlan(Prompt.Chat prompt, ChatFormat format, List<Map<String, Object>> tools, ToolChoice toolChoice,
                       boolean separateReasoning, boolean promptOpensThinking) {

    public static ChatPlan of(Generator g, List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                              ToolChoice choice, boolean addGenerationPrompt, Map<String, Object> extra,
                              boolean separateReasoning) {
        ChatFormat format = ChatFormat.detect(g.info().chatTemplate());
        boolean parse = tools != null && !tools.isEmpty() && choice.mode() != ToolChoice.Mode.NONE;
        // a template that ignores tools is only told about them when the reply will be read for calls
        Prompt.Chat prompt = new Prompt.Chat(format.prepareMessages(messages, parse ? tools : null), tools,
                addGenerationPrompt, extra);
        boolean opened = false;
        if (separateReasoning && format.thinks()) {
            try {
                opened = format.opensThinking(g.renderChat(prompt.messages(), prompt.tools(),
                        prompt.addGenerationPrompt(), prompt.extraVariables()));
            } catch (IllegalArgumentException e) {
                throw GenerationRun.refused(e);
            }
        }
        return new ChatPlan(prompt, format, tools, choice, separateReasoning, opened);
    }

    public boolean parsesTools() {
        return tools != null && !tools.isEmpty() && toolChoice.mode() != ToolChoice.Mode.NONE;
    }

    /** Tool markers can be control tokens (Mistral's [TOOL_CALLS]): the parser must see their text. */
    public boolean specialTokenText() {
        return parsesTools();
    }

    /** A fresh parser for one generated reply. */
    public ChatOutputParser parser() {
        return new ChatOutputParser(format, parsesTools(), separateReasoning, promptOpensThinking);
    }

    /**
     * The grammar hook: the JSON schema every tool call of this request must match (one named function for a
     * named tool_choice), or null when the reply is not read for calls. A grammar from it belongs after the
     * family's {@code format().tools().opening()}, or from the first token for tool_choice required/named.
     */
    public Map<String, Object> toolCallSchema() {
        return parsesTools() ? ToolCallSchema.toolCallSchema(tools, format.tools(), toolChoice.function()) : null;
    }
}
