package dev.hearth.server;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Keep-alive durations as Ollama writes them: {@code "5m"}, {@code "30s"}, {@code "1h"}, {@code "0"}, {@code "-1"} (for ever). */
public final class KeepAlive {
    private KeepAlive() {}

    private static final Pattern DURATION = Pattern.compile("(-?\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

    /** A bare number is seconds; a negative one means no expiry. */
    public static Duration parse(String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) throw new IllegalArgumentException("a duration like \"5m\", \"30s\", \"0\" or \"-1\" is expected, got \"" + text + "\"");
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return Duration.ofMillis(Math.round(v * switch (unit) {
            case "ms" -> 1;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 1000;
        }));
    }
}
