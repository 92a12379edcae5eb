package dev.hearth.server;

/**
 * What happens to a thinking model's {@code <think>...</think>} text (llama.cpp's --reasoning-format):
 * {@code DEEPSEEK} returns it apart (OpenAI's reasoning_content, Ollama's thinking), {@code NONE} leaves it
 * inline in the content.
 */
public enum ReasoningFormat {
    NONE, DEEPSEEK;

    /** llama.cpp's names: none, deepseek, deepseek-legacy and auto (the last two separate, like deepseek). */
    public static ReasoningFormat parse(String s) {
        return switch (s) {
            case "none" -> NONE;
            case "deepseek", "deepseek-legacy", "auto" -> DEEPSEEK;
            default -> throw new IllegalArgumentException("reasoning format must be none or deepseek, got '" + s + "'");
        };
    }
}
