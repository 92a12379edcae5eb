package dev.hearth.server;

import java.util.List;
import java.util.Set;

/**
 * How the server behaves towards clients.
 *
 * @param apiKeys        accepted keys (Bearer or x-api-key); empty: no authentication
 * @param corsOrigins    origins allowed to call from a browser; empty: CORS off; "*" any origin
 * @param maxBodyBytes   larger request bodies get 413
 * @param pingMillis     an SSE comment is sent when a stream has been quiet this long (prompt processing)
 * @param engine         passed to the {@link GeneratorFactory}
 * @param reasoningFormat whether thinking is returned apart (the default) or inline; a request may override it
 */
public record ServerConfig(Set<String> apiKeys, List<String> corsOrigins, long maxBodyBytes, long pingMillis,
                           GeneratorFactory.EngineSettings engine, ReasoningFormat reasoningFormat) {
    public static final long DEFAULT_MAX_BODY_BYTES = 32L << 20;
    public static final long DEFAULT_PING_MILLIS = 15_000;

    public ServerConfig {
        apiKeys = apiKeys == null ? Set.of() : Set.copyOf(apiKeys);
        corsOrigins = corsOrigins == null ? List.of() : List.copyOf(corsOrigins);
        if (maxBodyBytes <= 0) throw new IllegalArgumentException("the body size limit must be > 0, got " + maxBodyBytes);
        if (pingMillis <= 0) throw new IllegalArgumentException("the ping interval must be > 0, got " + pingMillis);
        if (engine == null) engine = GeneratorFactory.EngineSettings.DEFAULTS;
        if (reasoningFormat == null) reasoningFormat = ReasoningFormat.DEEPSEEK;
    }

    public ServerConfig(Set<String> apiKeys, List<String> corsOrigins, long maxBodyBytes, long pingMillis,
                        GeneratorFactory.EngineSettings engine) {
        this(apiKeys, corsOrigins, maxBodyBytes, pingMillis, engine, null);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(Set.of(), List.of(), DEFAULT_MAX_BODY_BYTES, DEFAULT_PING_MILLIS, null);
    }

    public ServerConfig withApiKeys(Set<String> keys) {
        return new ServerConfig(keys, corsOrigins, maxBodyBytes, pingMillis, engine, reasoningFormat);
    }

    public ServerConfig withCorsOrigins(List<String> origins) {
        return new ServerConfig(apiKeys, origins, maxBodyBytes, pingMillis, engine, reasoningFormat);
    }

    public ServerConfig withMaxBodyBytes(long bytes) {
        return new ServerConfig(apiKeys, corsOrigins, bytes, pingMillis, engine, reasoningFormat);
    }

    public ServerConfig withPingMillis(long millis) {
        return new ServerConfig(apiKeys, corsOrigins, maxBodyBytes, millis, engine, reasoningFormat);
    }

    public ServerConfig withEngine(GeneratorFactory.EngineSettings settings) {
        return new ServerConfig(apiKeys, corsOrigins, maxBodyBytes, pingMillis, settings, reasoningFormat);
    }

    public ServerConfig withReasoningFormat(ReasoningFormat format) {
        return new ServerConfig(apiKeys, corsOrigins, maxBodyBytes, pingMillis, engine, format);
    }
}
