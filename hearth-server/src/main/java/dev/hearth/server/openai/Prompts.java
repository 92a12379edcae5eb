package dev.hearth.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.engine.generate.Prompt;
import dev.hearth.server.ApiError;
import dev.hearth.server.Fields;

import java.util.ArrayList;
import java.util.List;

/** /v1/completions' {@code prompt}: a string, a list of strings, token ids, or a list of token-id lists. */
final class Prompts {
    private Prompts() {}

    static List<Prompt> read(JsonNode p) {
        if (p == null || p.isNull()) throw ApiError.invalid("prompt", "'prompt' is required");
        List<Prompt> out = new ArrayList<>();
        if (p.isTextual()) {
            out.add(new Prompt.Text(p.asText()));
            return out;
        }
        if (!p.isArray() || p.isEmpty()) throw bad(p);
        if (p.get(0).isIntegralNumber()) {
            out.add(new Prompt.Tokens(ids(p)));
            return out;
        }
        for (JsonNode e : p) {
            if (e.isTextual()) out.add(new Prompt.Text(e.asText()));
            else if (e.isArray() && !e.isEmpty()) out.add(new Prompt.Tokens(ids(e)));
            else throw bad(p);
        }
        return out;
    }

    private static int[] ids(JsonNode a) {
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
                throw ApiError.invalid("prompt", "token ids in 'prompt' must be non-negative integers");
            }
            ids[i] = v.asInt();
        }
        return ids;
    }

    private static ApiError bad(JsonNode p) {
        return Fields.wrongType("prompt", "a string, a list of strings, or a list of token ids", p);
    }
}
