package dev.hearth.engine.chat;

import java.util.ArrayList;
import java.util.List;

/** A whole parsed reply, gathered from its {@link ChatDelta}s (what a non-streaming response shows). */
public record ChatReply(String content, String reasoning, List<ChatDelta.ToolCall> toolCalls) {

    public ChatReply {
        toolCalls = List.copyOf(toolCalls);
    }

    public static ChatReply of(List<? extends ChatDelta> deltas) {
        StringBuilder content = new StringBuilder(), reasoning = new StringBuilder();
        List<ChatDelta.ToolCall> calls = new ArrayList<>();
        for (ChatDelta d : deltas) {
            switch (d) {
                case ChatDelta.Content c -> content.append(c.text());
                case ChatDelta.Reasoning r -> reasoning.append(r.text());
                case ChatDelta.ToolCall t -> calls.add(t);
            }
        }
        return new ChatReply(content.toString(), reasoning.toString(), calls);
    }
}
