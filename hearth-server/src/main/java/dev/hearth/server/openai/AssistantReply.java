package dev.hearth.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.chat.ChatDelta;
import dev.hearth.engine.chat.ChatOutputParser;
import dev.hearth.engine.chat.ChatReply;

import java.util.ArrayList;
import java.util.List;

import static dev.hearth.server.openai.OpenAiRoutes.F;

/**
 * One choice's reply in OpenAI's shapes: the whole {@code message} of a response, or the {@code delta}s of a
 * stream (content, reasoning_content, and tool_calls as OpenAI streams them: a first delta with index, id, type
 * and name, then the arguments). Both come from the same parser. With parallel_tool_calls false only the first
 * call is kept.
 */
final class AssistantReply {
    private final ChatOutputParser parser;
    private final boolean parallel;
    private final List<ChatDelta> all = new ArrayList<>();
    private int calls;

    AssistantReply(ChatOutputParser parser, boolean parallel) {
        this.parser = parser;
        this.parallel = parallel;
    }

    /** The stream deltas that generated {@code text} completes. */
    List<ObjectNode> feed(String text) {
        return deltas(parser.feed(text));
    }

    /** The stream deltas left at the end. */
    List<ObjectNode> finish() {
        return deltas(parser.finish());
    }

    boolean hasToolCalls() {
        return calls > 0;
    }

    /** The response's message, after the whole text was fed and {@link #finish} called. */
    ObjectNode message() {
        ChatReply r = ChatReply.of(all);
        ObjectNode msg = F.objectNode().put("role", "assistant");
        if (r.toolCalls().isEmpty() || !r.content().isEmpty()) msg.put("content", r.content());
        else msg.putNull("content");
        if (!r.reasoning().isEmpty()) msg.put("reasoning_content", r.reasoning());
        if (!r.toolCalls().isEmpty()) {
            ArrayNode arr = msg.putArray("tool_calls");
            for (ChatDelta.ToolCall c : r.toolCalls()) {
                ObjectNode t = arr.addObject();
                t.put("id", c.id());
                t.put("type", "function");
                t.putObject("function").put("name", c.name()).put("arguments", c.arguments());
            }
        }
        return msg;
    }

    private List<ObjectNode> deltas(List<ChatDelta> parsed) {
        List<ObjectNode> out = new ArrayList<>();
        for (ChatDelta d : parsed) {
            switch (d) {
                case ChatDelta.Content c -> out.add(F.objectNode().put("content", c.text()));
                case ChatDelta.Reasoning r -> out.add(F.objectNode().put("reasoning_content", r.text()));
                case ChatDelta.ToolCall t -> {
                    if (!parallel && calls > 0) continue;
                    // ids are made here, once, so the stream and the message agree
                    ChatDelta.ToolCall call = new ChatDelta.ToolCall(t.index(), t.id() != null ? t.id() : "call_" + OpenAiRoutes.randomId(), t.name(), t.arguments());
                    calls++;
                    ObjectNode head = F.objectNode();
                    ObjectNode h = head.putArray("tool_calls").addObject();
                    h.put("index", call.index());
                    h.put("id", call.id());
                    h.put("type", "function");
                    h.putObject("function").put("name", call.name()).put("arguments", "");
                    out.add(head);
                    ObjectNode args = F.objectNode();
                    ObjectNode a = args.putArray("tool_calls").addObject();
                    a.put("index", call.index());
                    a.putObject("function").put("arguments", call.arguments());
                    out.add(args);
                    d = call;
                }
            }
            all.add(d);
        }
        return out;
    }
}
