package dev.hearth.cli;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Every {@code serve} flag (and the cache and hub flags of {@code pull}, {@code list}, {@code rm}) can come from an
 * environment variable: Hearth's own {@code HEARTH_*} name first, then the
 * names the seed projects used ({@code MODEL}, {@code PORT}, {@code NUM_THREADS}, {@code N_CTX}). A flag on the
 * command line wins over both.
 */
final class EnvDefaults implements IDefaultValueProvider {
    /** Option long name to the variables that may give it, in order of precedence. */
    static final Map<String, List<String>> VARIABLES = Map.ofEntries(
            Map.entry("--model", List.of("HEARTH_MODEL", "MODEL")),
            Map.entry("--backend", List.of("HEARTH_BACKEND")),
            Map.entry("--backend-api-key", List.of("HEARTH_BACKEND_API_KEY")),
            Map.entry("--host", List.of("HEARTH_HOST")),
            Map.entry("--port", List.of("HEARTH_PORT", "PORT")),
            Map.entry("--threads", List.of("HEARTH_THREADS", "NUM_THREADS")),
            Map.entry("--ctx-size", List.of("HEARTH_CTX_SIZE", "N_CTX")),
            Map.entry("--parallel", List.of("HEARTH_PARALLEL")),
            Map.entry("--max-queue", List.of("HEARTH_MAX_QUEUE")),
            Map.entry("--kv-budget", List.of("HEARTH_KV_BUDGET")),
            Map.entry("--kv-type", List.of("HEARTH_KV_TYPE")),
            Map.entry("--api-key", List.of("HEARTH_API_KEY")),
            Map.entry("--api-key-file", List.of("HEARTH_API_KEY_FILE")),
            Map.entry("--cors-origins", List.of("HEARTH_CORS_ORIGINS")),
            Map.entry("--max-body-size", List.of("HEARTH_MAX_BODY_SIZE")),
            Map.entry("--sse-ping-interval", List.of("HEARTH_SSE_PING_INTERVAL")),
            Map.entry("--reasoning-format", List.of("HEARTH_REASONING_FORMAT")),
            Map.entry("--verbose", List.of("HEARTH_VERBOSE")),
            Map.entry("--models-dir", List.of("HEARTH_MODELS_DIR")),
            Map.entry("--keep-alive", List.of("HEARTH_KEEP_ALIVE", "OLLAMA_KEEP_ALIVE")),
            Map.entry("--max-memory", List.of("HEARTH_MAX_MEMORY")),
            Map.entry("--cache-dir", List.of("HEARTH_MODELS")),
            Map.entry("--hf-endpoint", List.of("HF_ENDPOINT")));

    private final Function<String, String> env;

    EnvDefaults() {
        this(System::getenv);
    }

    EnvDefaults(Function<String, String> env) {
        this.env = env;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o)) return null;
        List<String> names = VARIABLES.get(o.longestName());
        if (names == null) return null;
        for (String n : names) {
            String v = env.apply(n);
            if (v != null && !v.isBlank()) return v.strip();
        }
        return null;
    }
}
