package dev.hearth.engine.template;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled Hugging Face chat template (the Jinja2 source in {@code tokenizer.chat_template}), rendered the
 * way transformers' {@code apply_chat_template} renders it: Jinja2's ImmutableSandboxedEnvironment with
 * trim_blocks, lstrip_blocks and loop controls, plus the {@code raise_exception}, {@code strftime_now} globals
 * and transformers' {@code tojson}.
 *
 * <p>Context values are plain Java: Map, List (or arrays), String, Number, Boolean and null. A compiled
 * template is immutable and thread-safe; {@link #compile} caches by source.
 */
public final class ChatTemplate {

    private static final int CACHE_SIZE = 64;
    private static final Map<String, List<Node>> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Node>> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    private final String source;
    private final List<Node> tree;
    private final Clock clock;

    private ChatTemplate(String source, List<Node> tree, Clock clock) {
        this.source = source;
        this.tree = tree;
        this.clock = clock;
    }

    /** Parses a template (or returns the cached parse of the same source). Throws TemplateException on bad syntax. */
    public static ChatTemplate compile(String source) {
        Objects.requireNonNull(source, "source");
        List<Node> tree;
        synchronized (CACHE) {
            tree = CACHE.get(source);
        }
        if (tree == null) {
            tree = Parser.parse(source);
            synchronized (CACHE) {
                CACHE.put(source, tree);
            }
        }
        return new ChatTemplate(source, tree, Clock.systemDefaultZone());
    }

    /** The same template with {@code strftime_now} reading the given clock (local date-time in its zone). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, tree, Objects.requireNonNull(clock, "clock"));
    }

    public String source() {
        return source;
    }

    /** Renders with exactly the given variables (plus the globals every template has). */
    public String render(Map<String, ?> context) {
        return new Renderer(clock).render(tree, context);
    }

    /** Renders a conversation with the variables transformers passes: see {@link #chatContext}. */
    public String render(List<? extends Map<String, ?>> messages, List<? extends Map<String, ?>> tools,
            boolean addGenerationPrompt, String bosToken, String eosToken, Map<String, ?> extra) {
        return render(chatContext(messages, tools, addGenerationPrompt, bosToken, eosToken, extra));
    }

    /**
     * The standard chat-template context: {@code messages}, {@code tools} (None when absent, as transformers
     * passes it), {@code documents} (None), {@code add_generation_prompt}, {@code bos_token}, {@code eos_token},
     * then the caller's extra variables (e.g. {@code enable_thinking}), which may override any of these.
     */
    public static Map<String, Object> chatContext(List<? extends Map<String, ?>> messages,
            List<? extends Map<String, ?>> tools, boolean addGenerationPrompt, String bosToken, String eosToken,
            Map<String, ?> extra) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("messages", messages == null ? List.of() : messages);
        ctx.put("tools", tools);
        ctx.put("documents", null);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        if (bosToken != null) ctx.put("bos_token", bosToken);
        if (eosToken != null) ctx.put("eos_token", eosToken);
        if (extra != null) ctx.putAll(extra);
        return ctx;
    }
}
