package dev.hearth.engine.generate;

import java.util.List;
import java.util.Map;

/** What a request asks the model to continue. Chat prompts are rendered through the model's chat template. */
public sealed interface Prompt {

    /**
     * Raw text, tokenized as llama.cpp's server does for completions: BOS added when the vocabulary wants it,
     * special-token texts parsed.
     */
    record Text(String text) implements Prompt {}

    /** Token ids, used as given. */
    record Tokens(int[] ids) implements Prompt {}

    /**
     * A conversation in OpenAI's shape (plain Maps/Lists/Strings: role, content as a string or a list of parts,
     * tool_calls, tool_call_id, name, reasoning_content), with optional tools and extra template variables
     * (e.g. enable_thinking).
     */
    record Chat(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                Map<String, Object> extraVariables) implements Prompt {
        public Chat {
            messages = List.copyOf(messages);
            tools = tools == null ? null : List.copyOf(tools);
            extraVariables = extraVariables == null ? Map.of() : Map.copyOf(extraVariables);
        }
    }
}
