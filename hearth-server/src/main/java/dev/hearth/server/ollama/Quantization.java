package dev.hearth.server.ollama;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Ollama's {@code quantization_level}, read from the usual GGUF file-name suffix (e.g. "-Q4_K_M"). */
final class Quantization {
    private Quantization() {}

    private static final Pattern SUFFIX = Pattern.compile(
            "(?i)(?:^|[-_.])((?:I?Q\\d(?:_[0-9A-Z]+)*)|F16|F32|BF16|TQ\\d_\\d)$");

    static String level(String modelId) {
        Matcher m = SUFFIX.matcher(modelId);
        return m.find() ? m.group(1).toUpperCase() : "unknown";
    }
}
