package dev.hearth.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.generate.TokenEvent;
import dev.hearth.server.Logprobs;

import java.util.List;

/** The completions API's logprobs: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}. */
final class LegacyLogprobs {
    private LegacyLogprobs() {}

    static ObjectNode of(List<TokenEvent> events, int top) {
        ObjectNode o = OpenAiRoutes.F.objectNode();
        ArrayNode tokens = o.putArray("tokens"), lps = o.putArray("token_logprobs"), tops = o.putArray("top_logprobs"),
                offsets = o.putArray("text_offset");
        int offset = 0;
        for (TokenEvent e : events) {
            if (e.chosen() == null) continue;
            String text = Logprobs.text(e.chosen());
            tokens.add(text);
            lps.add(e.chosen().logprob());
            ObjectNode t = tops.addObject();
            if (top > 0 && e.top() != null) for (TokenEvent.Candidate c : e.top()) t.put(Logprobs.text(c), c.logprob());
            offsets.add(offset);
            offset += text.length();
        }
        return o;
    }
}
