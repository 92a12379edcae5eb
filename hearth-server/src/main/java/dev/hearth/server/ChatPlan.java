package dev.hearth.server;

import dev.hearth.engine.chat.ChatFormat;
import dev.hearth.engine.chat.ChatOutputParser;
import dev.hearth.engine.chat.ToolCallGrammar;
import dev.hearth.engine.chat.ToolCallSchema;
import dev.hearth.engine.grammar.GrammarException;
import dev.hearth.engine.generate.Generator;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.engine.sampling.SamplingParams;

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
     * The grammar that keeps this reply's tool calls valid: for tool_choice required or a named function, the
     * whole reply must be calls (after the thinking block, when the prompt opened one); for auto, the calls after
     * the family's opening (none for the generic JSON family, whose calls have no opening). Null when the reply is
     * not read for calls, or, for auto, when a tool's schema has keywords a grammar cannot enforce (its calls are
     * then parsed unconstrained, as before).
     *
     * @throws ApiError for required/named choices whose schemas cannot be enforced: the call could not be forced
     */
    public ToolCallGrammar toolGrammar(boolean parallel) {
        if (!parsesTools()) return null;
        try {
            if (toolChoice.mode() == ToolChoice.Mode.REQUIRED) {
                String after = promptOpensThinking ? format.thinkClose() : null;
                return ToolCallGrammar.wholeReply(tools, format.tools(), toolChoice.function(), parallel, after);
            }
            return ToolCallGrammar.afterOpening(tools, format.tools(), parallel);
        } catch (GrammarException e) {
            if (toolChoice.mode() != ToolChoice.Mode.REQUIRED) return null;
            throw ApiError.invalid("tools", "tool_choice " + (toolChoice.function() == null ? "required" : "'" + toolChoice.function() + "'")
                    + " needs a grammar from the tools' parameter schemas, which cannot be built: " + e.getMessage());
        }
    }

    /**
     * The sampling settings with the tool grammar applied, or {@code sampling} itself without one. A request
     * whose own grammar (response_format, grammar, json_schema: {@code grammarField}) already constrains the
     * reply cannot have tool calls too: llama.cpp refuses that as well.
     */
    public SamplingParams withToolGrammar(SamplingParams sampling, boolean parallel, String grammarField) {
        if (!parsesTools()) return sampling;
        if (sampling.grammar() != null) {
            throw ApiError.invalid(grammarField, grammarField + " cannot be combined with tools (the tool calls have a "
                    + "grammar of their own); send tool_choice \"none\" or drop " + grammarField);
        }
        ToolCallGrammar g = toolGrammar(parallel);
        if (g == null) return sampling;
        return sampling.toBuilder().grammar(g.grammar()).grammarTrigger(g.trigger()).build();
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
