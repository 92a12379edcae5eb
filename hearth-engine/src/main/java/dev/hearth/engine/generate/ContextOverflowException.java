package dev.hearth.engine.generate;

/**
 * A prompt that does not fit the context (with room for at least one generated token). It carries both numbers so
 * each API can say them in its own shape, e.g. llama.cpp's {@code n_prompt_tokens} and {@code n_ctx}.
 */
public final class ContextOverflowException extends IllegalArgumentException {
    private final int promptTokens;
    private final int contextLength;

    public ContextOverflowException(int promptTokens, int contextLength) {
        super("the prompt has " + promptTokens + " tokens but the context holds " + contextLength
                + " (the prompt and at least one generated token must fit): shorten the prompt or start the server"
                + " with a larger context size");
        this.promptTokens = promptTokens;
        this.contextLength = contextLength;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextLength() {
        return contextLength;
    }
}
