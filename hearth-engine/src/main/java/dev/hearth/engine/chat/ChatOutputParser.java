package dev.hearth.engine.chat;

import dev.hearth.engine.json.JsonText;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Splits a model's reply, as it is generated, into answer text, thinking and tool calls, in the syntax of the
 * model's family ({@link ChatFormat}). Fed the text of each token as it comes, it returns what can be shown
 * already; text that may still turn out to open a tool call or a thinking marker is held back until it is
 * decided. A streamed and a whole reply go through the same steps, so both give the same result.
 *
 * <p>Tool calls are returned whole (the call's text is held until it is complete and valid); a call that is not
 * valid JSON of the expected shape is returned as plain content, with its markers, as the model wrote it. Not
 * thread-safe: one parser per generation.
 */
public final class ChatOutputParser {
    private enum Mode { START, REASONING, CONTENT, CALL }

    private static final String HERMES_CLOSE = "</tool_call>";

    private final ChatFormat format;
    private final boolean parseTools;
    private final StringBuilder pending = new StringBuilder();
    private final List<ChatDelta> out = new ArrayList<>();
    private Mode mode;
    private String callOpening = "";
    /** Whitespace at the end of the content so far: shown only when more content follows (not before a call). */
    private String heldSpace = "";
    /** The held whitespace before the current call, given back if the call turns out not to be one. */
    private String spaceBeforeCall = "";
    /** Drop leading whitespace (after a thinking block or a call). */
    private boolean dropSpace;
    /** No visible content since the reply began or since the last call: a bare JSON call may start here. */
    private boolean atBoundary = true;
    private int calls;
    private boolean finished;

    /**
     * @param parseTools        recognise tool calls (false for requests without tools, or tool_choice none)
     * @param separateReasoning return thinking as {@link ChatDelta.Reasoning}; false keeps it inline as content
     * @param promptOpenedThinking the prompt ends inside a thinking block ({@link ChatFormat#opensThinking})
     */
    public ChatOutputParser(ChatFormat format, boolean parseTools, boolean separateReasoning, boolean promptOpenedThinking) {
        this.format = format;
        this.parseTools = parseTools;
        if (!separateReasoning || !format.thinks()) mode = Mode.CONTENT;
        else mode = promptOpenedThinking ? Mode.REASONING : Mode.START;
        dropSpace = mode == Mode.REASONING;
    }

    /** The next piece of generated text; returns the deltas it completes (possibly none). */
    public List<ChatDelta> feed(String text) {
        if (finished) throw new IllegalStateException("the reply is finished");
        pending.append(text);
        run(false);
        return drain();
    }

    /** The end of the reply: everything still held back is decided and returned. */
    public List<ChatDelta> finish() {
        if (finished) return List.of();
        run(true);
        finished = true;
        if (!heldSpace.isEmpty() && calls == 0) out.add(new ChatDelta.Content(heldSpace));
        heldSpace = "";
        return drain();
    }

    private List<ChatDelta> drain() {
        if (out.isEmpty()) return List.of();
        List<ChatDelta> d = List.copyOf(out);
        out.clear();
        return d;
    }

    private void run(boolean end) {
        while (true) {
            switch (mode) {
                case START -> {
                    int i = skipSpace(pending, 0);
                    String rest = pending.substring(i);
                    if (rest.startsWith(format.thinkOpen())) {
                        pending.delete(0, i + format.thinkOpen().length());
                        mode = Mode.REASONING;
                        dropSpace = true;
                    } else if (!end && format.thinkOpen().startsWith(rest)) {
                        return;
                    } else {
                        mode = Mode.CONTENT;
                    }
                }
                case REASONING -> {
                    int close = pending.indexOf(format.thinkClose());
                    if (close >= 0) {
                        reasoning(pending.substring(0, close));
                        pending.delete(0, close + format.thinkClose().length());
                        mode = Mode.CONTENT;
                        dropSpace = true;
                        continue;
                    }
                    int keep = end ? 0 : partialSuffix(pending, format.thinkClose());
                    reasoning(pending.substring(0, pending.length() - keep));
                    pending.delete(0, pending.length() - keep);
                    return;
                }
                case CONTENT -> {
                    if (!parseTools) {
                        content(pending.toString());
                        pending.setLength(0);
                        return;
                    }
                    if (!openCall(end)) return;
                }
                case CALL -> {
                    if (!closeCall(end)) return;
                }
            }
        }
    }

    /** Looks for the start of a call; true when one was found (mode is CALL), false when all input is used. */
    private boolean openCall(boolean end) {
        String opening = format.tools().opening();
        int at = opening == null ? -1 : pending.indexOf(opening);
        int bare = -1;
        if (atBoundary && (format.tools() == ToolSyntax.LLAMA3_JSON || format.tools() == ToolSyntax.GENERIC)) {
            int j = skipSeparators(pending);
            if (j < pending.length()) {
                char c = pending.charAt(j);
                if (c == '{' || c == '[' && format.tools() == ToolSyntax.GENERIC) bare = j;
            }
        }
        if (bare >= 0 && (at < 0 || bare < at)) {
            pending.delete(0, bare);
            spaceBeforeCall = heldSpace;
            heldSpace = "";
            callOpening = "";
            mode = Mode.CALL;
            return true;
        }
        if (at >= 0) {
            content(pending.substring(0, at));
            spaceBeforeCall = heldSpace;
            heldSpace = "";
            pending.delete(0, at + opening.length());
            callOpening = opening;
            mode = Mode.CALL;
            return true;
        }
        int keep = end || opening == null ? 0 : partialSuffix(pending, opening);
        content(pending.substring(0, pending.length() - keep));
        pending.delete(0, pending.length() - keep);
        return false;
    }

    /** Waits for the end of the current call and decides it; true when decided (mode is CONTENT again). */
    private boolean closeCall(boolean end) {
        String body, raw;
        if (format.tools() == ToolSyntax.HERMES) {
            // the closing tag is looked for after the JSON, which may itself contain "</tool_call>" in a string
            int e = JsonText.valueEnd(pending, 0);
            if (e == -1 && !end) return false;
            int close = pending.indexOf(HERMES_CLOSE, Math.max(e, 0));
            if (close < 0 && !end) return false;
            body = close < 0 ? pending.toString() : pending.substring(0, close);
            raw = callOpening + (close < 0 ? body : body + HERMES_CLOSE);
            pending.delete(0, close < 0 ? pending.length() : close + HERMES_CLOSE.length());
        } else {
            int e = JsonText.valueEnd(pending, 0);
            if (e == -1 && !end) return false;
            int len = e < 0 ? (e == -2 ? 0 : pending.length()) : e;
            body = pending.substring(0, len);
            raw = callOpening + body;
            pending.delete(0, len);
        }
        mode = Mode.CONTENT;
        List<Call> parsed = parse(body);
        if (parsed == null) {
            content(spaceBeforeCall + raw);
            spaceBeforeCall = "";
            return true;
        }
        spaceBeforeCall = "";
        for (Call c : parsed) {
            if (c.response != null) content(c.response);
            else out.add(new ChatDelta.ToolCall(calls++, c.id, c.name, c.arguments));
        }
        if (calls > 0) {
            heldSpace = "";
            dropSpace = true;
            atBoundary = true;
        }
        return true;
    }

    private record Call(String id, String name, String arguments, String response) {}

    /** The calls a call's text holds, or null when it is not a valid call of this family. */
    private List<Call> parse(String body) {
        Object v;
        try {
            v = JsonText.parse(body);
        } catch (JsonText.Malformed e) {
            return null;
        }
        List<Call> calls = new ArrayList<>();
        boolean tagged = !callOpening.isEmpty();
        switch (format.tools()) {
            case HERMES, LLAMA3_JSON -> {
                if (!(v instanceof Map<?, ?> m) || !add(m, tagged, calls)) return null;
            }
            case MISTRAL -> {
                List<?> list = v instanceof List<?> l ? l : List.of(v);
                if (list.isEmpty()) return null;
                for (Object o : list) if (!(o instanceof Map<?, ?> m) || !add(m, true, calls)) return null;
            }
            case GENERIC -> {
                if (v instanceof Map<?, ?> m && m.get("tool_calls") instanceof List<?> l && !l.isEmpty()) {
                    for (Object o : l) if (!(o instanceof Map<?, ?> c) || !add(unwrap(c), true, calls)) return null;
                } else if (v instanceof Map<?, ?> m && m.get("tool_call") instanceof Map<?, ?> c) {
                    if (!add(unwrap(c), true, calls)) return null;
                } else if (v instanceof Map<?, ?> m && m.size() == 1 && m.get("response") instanceof String s) {
                    calls.add(new Call(null, null, null, s));
                } else if (v instanceof List<?> l && !l.isEmpty()) {
                    for (Object o : l) if (!(o instanceof Map<?, ?> c) || !add(unwrap(c), false, calls)) return null;
                } else if (!(v instanceof Map<?, ?> m) || !add(unwrap(m), false, calls)) {
                    return null;
                }
            }
        }
        return calls;
    }

    /** OpenAI's own shape, {"type": "function", "function": {...}}, is accepted too. */
    private static Map<?, ?> unwrap(Map<?, ?> m) {
        return m.get("function") instanceof Map<?, ?> f && !m.containsKey("name") ? f : m;
    }

    /**
     * Adds a call from {@code {"name": ..., "arguments"|"parameters": ...}}. Untagged JSON (a reply that is only
     * a JSON value) must carry the arguments too, so an ordinary JSON answer is not taken for a call.
     */
    private static boolean add(Map<?, ?> m, boolean tagged, List<Call> calls) {
        if (!(m.get("name") instanceof String name) || name.isEmpty()) return false;
        Object args = m.containsKey("arguments") ? m.get("arguments") : m.get("parameters");
        boolean hasArgs = m.containsKey("arguments") || m.containsKey("parameters");
        String arguments;
        if (!hasArgs) {
            if (!tagged) return false;
            arguments = "{}";
        } else if (args instanceof Map<?, ?> map) {
            arguments = JsonText.write(map);
        } else if (args instanceof String s) {
            arguments = s;
        } else {
            return false;
        }
        calls.add(new Call(m.get("id") instanceof String id && !id.isEmpty() ? id : null, name, arguments, null));
        return true;
    }

    private void reasoning(String text) {
        if (dropSpace) {
            text = text.stripLeading();
            if (text.isEmpty()) return;
            dropSpace = false;
        }
        if (!text.isEmpty()) out.add(new ChatDelta.Reasoning(text));
    }

    private void content(String text) {
        if (dropSpace) {
            text = text.substring(skipSeparators(text));
            if (text.isEmpty()) return;
            dropSpace = false;
        }
        if (!parseTools) {
            if (!text.isEmpty()) out.add(new ChatDelta.Content(text));
            return;
        }
        String all = heldSpace + text;
        int cut = all.length();
        while (cut > 0 && JsonText.isSpace(all.charAt(cut - 1))) cut--;
        heldSpace = all.substring(cut);
        if (cut > 0) {
            out.add(new ChatDelta.Content(all.substring(0, cut)));
            atBoundary = false;
        }
    }

    /** Whitespace, and after a Llama 3 call the ';' that separates calls. */
    private int skipSeparators(CharSequence s) {
        int i = 0;
        while (i < s.length() && (JsonText.isSpace(s.charAt(i))
                || s.charAt(i) == ';' && format.tools() == ToolSyntax.LLAMA3_JSON && calls > 0)) i++;
        return i;
    }

    private static int skipSpace(CharSequence s, int i) {
        while (i < s.length() && JsonText.isSpace(s.charAt(i))) i++;
        return i;
    }

    /** The length of the longest end of {@code s} that is a proper beginning of {@code marker}. */
    static int partialSuffix(CharSequence s, String marker) {
        for (int k = Math.min(marker.length() - 1, s.length()); k > 0; k--) {
            boolean match = true;
            for (int j = 0; j < k && match; j++) match = s.charAt(s.length() - k + j) == marker.charAt(j);
            if (match) return k;
        }
        return 0;
    }
}
