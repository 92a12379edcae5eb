package dev.hearth.engine.template;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Built-in chat formats for models whose GGUF carries no {@code tokenizer.chat_template}. Each is a template in
 * the same Jinja dialect (resources {@code fallback/*.jinja}), so it renders through {@link ChatTemplate} like a
 * model's own template.
 */
public final class ChatTemplates {
    private ChatTemplates() { }

    /** The built-in formats. */
    public enum Format {
        CHATML("chatml"),
        LLAMA3("llama3"),
        GEMMA("gemma"),
        PHI3("phi3"),
        MISTRAL("mistral"),
        DEEPSEEK("deepseek"),
        LLAMA2("llama2");

        private final String resource;

        Format(String resource) {
            this.resource = resource;
        }

        /** The template source of this format. */
        public String source() {
            return SOURCES.computeIfAbsent(this, f -> load("fallback/" + f.resource + ".jinja"));
        }
    }

    private static final Map<Format, String> SOURCES = new ConcurrentHashMap<>();

    /**
     * Chooses a format from the model's special tokens first (they say what the model was trained on), then its
     * GGUF architecture ({@code general.architecture}), defaulting to Llama 2's {@code [INST]}.
     */
    public static Format choose(String architecture, Predicate<String> hasToken) {
        String arch = architecture == null ? "" : architecture.toLowerCase(Locale.ROOT);
        if (hasToken.test("<|im_start|>")) return Format.CHATML;
        if (hasToken.test("<|start_header_id|>")) return Format.LLAMA3;
        if (hasToken.test("<start_of_turn>") || arch.startsWith("gemma")) return Format.GEMMA;
        if (hasToken.test("<｜User｜>")) return Format.DEEPSEEK;
        if ((hasToken.test("<|user|>") && hasToken.test("<|end|>")) || arch.startsWith("phi3")) return Format.PHI3;
        if (hasToken.test("[INST]")) return Format.MISTRAL;
        if (arch.startsWith("qwen")) return Format.CHATML;
        return Format.LLAMA2;
    }

    /** The template source to use for a model without a chat template. */
    public static String fallback(String architecture, Predicate<String> hasToken) {
        return choose(architecture, hasToken).source();
    }

    private static String load(String resource) {
        try (InputStream in = ChatTemplates.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing built-in template " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
