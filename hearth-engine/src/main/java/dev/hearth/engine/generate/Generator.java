package dev.hearth.engine.generate;

import java.util.List;
import java.util.Map;

/**
 * A loaded model that generates: what the server and the CLI talk to. Thread-safe: many callers submit at once.
 *
 * <p>{@link #submit} validates the request before it returns and throws {@link IllegalArgumentException} with a
 * message fit for a 400 (for example a prompt longer than the context, as {@link ContextOverflowException}, an
 * out-of-range parameter, a chat template that raised an error) or {@link OverloadedException} (429/503) when the
 * waiting queue is full. Failures after that arrive through {@link GenerationListener#onError}.
 */
public interface Generator extends AutoCloseable {

    ModelInfo info();

    Generation submit(GenerationRequest request, GenerationListener listener);

    /** What the engine is doing now (queue, cache, forward passes); {@link EngineStats#NONE} if it does not say. */
    default EngineStats stats() {
        return EngineStats.NONE;
    }

    /** Tokenizes like a {@link Prompt.Text} prompt does, or without special tokens when asked. */
    int[] tokenize(String text, boolean addSpecial, boolean parseSpecial);

    String detokenize(int[] ids);

    /** The prompt text a chat request would be rendered to (the model's template, or a built-in fallback). */
    String renderChat(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                      Map<String, Object> extraVariables);

    @Override
    void close();
}
