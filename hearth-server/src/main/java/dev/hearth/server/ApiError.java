package dev.hearth.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that cannot be served, in dialect-neutral terms: each dialect turns the {@link Kind} into its own
 * status code and envelope (OpenAI 400 vs TGI 422 for the same validation failure).
 */
public final class ApiError extends RuntimeException {
    public enum Kind { INVALID, UNAUTHORIZED, NOT_FOUND, TOO_LARGE, OVERLOADED, LOADING, NOT_SUPPORTED, INTERNAL,
        /** A backend server (see {@code --backend}) failed or could not be reached: 502. */
        UPSTREAM }

    private final Kind kind;
    private final String param;
    private final String code;
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private int retryAfterSeconds = -1;

    public ApiError(Kind kind, String message, String param, String code) {
        super(message);
        this.kind = kind;
        this.param = param;
        this.code = code;
    }

    public static ApiError invalid(String param, String message) {
        return new ApiError(Kind.INVALID, message, param, null);
    }

    public static ApiError notFound(String message, String code) {
        return new ApiError(Kind.NOT_FOUND, message, null, code);
    }

    /** An extra field of the OpenAI-shaped error object; it may replace {@code type} (llama.cpp's own error types). */
    public ApiError with(String field, Object value) {
        extra.put(field, value);
        return this;
    }

    public ApiError retryAfter(int seconds) {
        retryAfterSeconds = seconds;
        return this;
    }

    public Kind kind() { return kind; }
    public String param() { return param; }
    public String code() { return code; }
    public Map<String, Object> extra() { return extra; }
    public int retryAfterSeconds() { return retryAfterSeconds; }
}
