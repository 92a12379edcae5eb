package dev.hearth.server;

/**
 * Which tool calls a chat request allows: {@code auto} (the model decides), {@code none} (tools are still shown
 * to the model, as llama.cpp does, but its reply is not read for calls), {@code required}, or one named function
 * ({@code function} not null). Without a grammar, required and named choices cannot force a call: a reply with
 * no call comes back as plain content with finish_reason "stop", as llama.cpp's server returns it when its parser
 * finds no call.
 */
public record ToolChoice(Mode mode, String function) {
    public enum Mode { AUTO, NONE, REQUIRED }

    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
}
