package dev.hearth.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.TokenEvent;

import java.nio.charset.StandardCharsets;

/** A token's piece as text and bytes, the way the logprob shapes of every dialect report it. */
public final class Logprobs {
    private Logprobs() {}

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** The piece as text; a partial UTF-8 character shows as U+FFFD (its exact bytes are in {@link #bytes}). */
    public static String text(TokenEvent.Candidate c) {
        return new String(c.piece(), StandardCharsets.UTF_8);
    }

    public static ArrayNode bytes(TokenEvent.Candidate c) {
        ArrayNode a = F.arrayNode();
        for (byte b : c.piece()) a.add(b & 0xff);
        return a;
    }

    /** OpenAI chat's entry: {id, token, logprob, bytes, top_logprobs: [...]}; null when none was computed. */
    public static ObjectNode openAiEntry(TokenEvent e, boolean withTop) {
        if (e.chosen() == null) return null;
        ObjectNode o = candidate(e.chosen());
        ArrayNode top = o.putArray("top_logprobs");
        if (withTop && e.top() != null) for (TokenEvent.Candidate c : e.top()) top.add(candidate(c));
        return o;
    }

    private static ObjectNode candidate(TokenEvent.Candidate c) {
        ObjectNode o = F.objectNode();
        o.put("id", c.token());
        o.put("token", text(c));
        o.put("logprob", c.logprob());
        o.set("bytes", bytes(c));
        return o;
    }
}
