package dev.hearth.engine.chat;

/**
 * How a model family writes tool calls, recognised from its chat template (see {@link ChatFormat#detect}).
 * {@link #opening} is the text that starts a call anywhere in the output, or null when a call can only be a JSON
 * value at the start of the reply.
 */
public enum ToolSyntax {
    /** Hermes 2 Pro, Qwen 2.5/3, SmolLM3: {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}, repeated. */
    HERMES("<tool_call>", "arguments"),
    /** Mistral v0.3, Nemo: {@code [TOOL_CALLS][{"name": ..., "arguments": {...}, "id": ...}, ...]}. */
    MISTRAL("[TOOL_CALLS]", "arguments"),
    /**
     * Llama 3.1/3.2: {@code {"name": ..., "parameters": {...}}} as the whole reply, optionally after
     * {@code <|python_tag|>}; several calls may be separated by {@code ;}.
     */
    LLAMA3_JSON("<|python_tag|>", "parameters"),
    /**
     * Templates with no tool syntax of their own: a JSON reply {@code {"tool_calls": [...]}}, {@code {"tool_call":
     * {...}}}, a bare call {@code {"name": ..., "arguments": ...}} or a list of them, or {@code {"response": "..."}}.
     */
    GENERIC(null, "arguments");

    private final String opening;
    private final String argumentsKey;

    ToolSyntax(String opening, String argumentsKey) {
        this.opening = opening;
        this.argumentsKey = argumentsKey;
    }

    public String opening() {
        return opening;
    }

    /** The key the family's calls carry their arguments under (parsing accepts either spelling). */
    public String argumentsKey() {
        return argumentsKey;
    }
}
