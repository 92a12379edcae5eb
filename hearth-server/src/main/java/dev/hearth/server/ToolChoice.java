package dev.hearth.server;

/**
 * Which tool calls a chat request allows: {@code auto} (the model decides), {@code none} (tools are still shown
 * to the model, as llama.cpp does, but its reply is not read for calls), {@code required}, or one named function
 * ({@code function} not null). Required and named choices force a call with a grammar over the whole reply (see
 * {@link ChatPlan#toolGrammar}); auto constrains calls only once the family's opening appears.
 */
public record ToolChoice(Mode mode, String function) {
    public enum Mode { AUTO, NONE, REQUIRED }

    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
}
