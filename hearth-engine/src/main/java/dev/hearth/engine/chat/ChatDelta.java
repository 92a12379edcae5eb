package dev.hearth.engine.chat;

/** A piece of a parsed assistant reply, in the order the model wrote it. */
public sealed interface ChatDelta {

    /** Visible answer text. */
    record Content(String text) implements ChatDelta {}

    /** Text from inside the model's thinking block. */
    record Reasoning(String text) implements ChatDelta {}

    /**
     * One complete tool call: its position among the reply's calls, the id the model gave it (Mistral does) or
     * null, the function name and the arguments as compact JSON text.
     */
    record ToolCall(int index, String id, String name, String arguments) implements ChatDelta {}
}
