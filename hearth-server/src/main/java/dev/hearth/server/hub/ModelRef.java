package dev.hearth.server.hub;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code hearth pull} was asked for: a Hugging Face repository and the quantization to take from it
 * ({@code bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M}), a file of it ({@code owner/repo:file.gguf}), or a full
 * {@code https://host/owner/repo/resolve/REV/file.gguf} URL (its host is then the hub asked).
 *
 * @param endpoint the hub to ask, or null for the configured one ({@code HF_ENDPOINT})
 * @param quant    e.g. {@code Q4_K_M}; null: the file, or the default choice
 * @param file     an exact file path in the repository, or null
 */
public record ModelRef(URI endpoint, String repo, String revision, String quant, String file) {
    public static final String DEFAULT_QUANT = "Q4_K_M";
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+\\.gguf)");

    /** True when {@code s} reads as a hub reference rather than a file path or a model name. */
    public static boolean looksLikeReference(String s) {
        if (s.startsWith("http://") || s.startsWith("https://") || s.startsWith("hf.co/") || s.startsWith("huggingface.co/")) return true;
        int colon = s.indexOf(':');
        String repo = colon < 0 ? s : s.substring(0, colon);
        return REPO.matcher(repo).matches() && (colon >= 0 || !s.toLowerCase(Locale.ROOT).endsWith(".gguf"));
    }

    public static ModelRef parse(String s) {
        String text = s.strip();
        if (text.startsWith("http://") || text.startsWith("https://")) {
            URI uri = URI.create(text);
            Matcher m = RESOLVE.matcher(uri.getRawPath());
            if (!m.matches()) {
                throw new IllegalArgumentException("not a Hugging Face file URL (expected https://HOST/OWNER/REPO/resolve/REVISION/FILE.gguf): " + s);
            }
            URI endpoint = URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
            return new ModelRef(endpoint, m.group(1), m.group(2), null, m.group(3));
        }
        for (String prefix : new String[]{"hf.co/", "huggingface.co/"}) {
            if (text.startsWith(prefix)) text = text.substring(prefix.length());
        }
        String repo = text, tag = null;
        int colon = text.indexOf(':');
        if (colon >= 0) {
            repo = text.substring(0, colon);
            tag = text.substring(colon + 1);
            if (tag.isEmpty() || tag.equalsIgnoreCase("latest")) tag = null;
        }
        if (!REPO.matcher(repo).matches()) {
            throw new IllegalArgumentException("not a model reference: " + s + " (expected OWNER/REPO[:QUANT], e.g. "
                    + "bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M, or a https://huggingface.co/.../resolve/main/FILE.gguf URL)");
        }
        if (tag != null && tag.toLowerCase(Locale.ROOT).endsWith(".gguf")) return new ModelRef(null, repo, "main", null, tag);
        return new ModelRef(null, repo, "main", tag, null);
    }

    @Override
    public String toString() {
        return repo + (file != null ? ":" + file : quant != null ? ":" + quant : "");
    }
}
