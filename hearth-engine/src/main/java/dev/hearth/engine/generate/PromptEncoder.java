package dev.hearth.engine.generate;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.template.ChatTemplate;
import dev.hearth.engine.template.ChatTemplates;
import dev.hearth.engine.template.TemplateException;
import dev.hearth.engine.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link Prompt} into the token ids a model is fed, the way llama.cpp's server does: raw text with BOS
 * added (when the vocabulary wants it) and special-token texts parsed; chats rendered through the model's chat
 * template (or a built-in format chosen from its tokens and architecture), with a BOS or EOS the template wrote
 * itself taken off before tokenizing so it is not doubled. Thread-safe.
 */
public final class PromptEncoder {
    static final String TEMPLATE_KEY = "tokenizer.chat_template";

    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final String bos, eos;

    public PromptEncoder(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.bos = specialText(tokenizer, tokenizer.bos());
        this.eos = specialText(tokenizer, tokenizer.eos());
    }

    /** The model's own template ({@code tokenizer.chat_template}), or the built-in format that fits it. */
    public static PromptEncoder forModel(GgufFile file, Tokenizer tokenizer) {
        String source = file.getString(TEMPLATE_KEY, null);
        if (source == null) {
            source = ChatTemplates.fallback(file.getString("general.architecture", ""),
                    text -> tokenizer.tokenId(text) != Tokenizer.NO_TOKEN);
        }
        return new PromptEncoder(tokenizer, ChatTemplate.compile(source));
    }

    public ChatTemplate template() {
        return template;
    }

    /** The ids for a prompt; a template that fails to render is an {@link IllegalArgumentException}. */
    public int[] encode(Prompt prompt) {
        return switch (prompt) {
            case Prompt.Tokens t -> t.ids().clone();
            case Prompt.Text t -> tokenizer.encode(t.text(), true, true);
            case Prompt.Chat c -> chatIds(render(c.messages(), c.tools(), c.addGenerationPrompt(), c.extraVariables()));
        };
    }

    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                         Map<String, Object> extraVariables) {
        try {
            return template.render(messages, tools, addGenerationPrompt, bos, eos, extraVariables);
        } catch (TemplateException e) {
            throw new IllegalArgumentException("the chat template could not render these messages: " + e.getMessage(), e);
        }
    }

    /** The ids of a rendered chat prompt: see the class comment. */
    public int[] chatIds(String rendered) {
        return chatIds(tokenizer, rendered, bos, eos);
    }

    /** The same for explicit BOS/EOS texts (the CLI's template --bos-token/--eos-token). */
    public static int[] chatIds(Tokenizer t, String prompt, String bos, String eos) {
        String text = prompt;
        if (t.addsBos() && bos != null && !bos.isEmpty() && text.startsWith(bos)) text = text.substring(bos.length());
        if (t.addsEos() && eos != null && !eos.isEmpty() && text.endsWith(eos)) text = text.substring(0, text.length() - eos.length());
        return t.encode(text, true, true);
    }

    /** A special token's text as llama.cpp gives it to templates (its piece, control tokens included), or "". */
    public static String specialText(Tokenizer t, int id) {
        return id == Tokenizer.NO_TOKEN ? "" : new String(t.piece(id, true), StandardCharsets.UTF_8);
    }
}
