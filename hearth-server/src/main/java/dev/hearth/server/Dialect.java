package dev.hearth.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The API family a route belongs to; it decides the status code and body of an error. OpenAI's envelope is used
 * for the OpenAI routes and for llama.cpp's operations routes (both of llama-server's families share it).
 */
public enum Dialect {
    OPENAI, OLLAMA, TGI;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Which dialect answers a path (used for errors raised before a route is matched, e.g. 401 and 404). */
    public static Dialect of(String method, String path) {
        if (path.startsWith("/api/")) return OLLAMA;
        return switch (path) {
            case "/generate", "/generate_stream", "/info" -> TGI;
            case "/" -> "POST".equals(method) ? TGI : OLLAMA;
            default -> OPENAI;
        };
    }

    public int status(ApiError.Kind kind) {
        return switch (kind) {
            case INVALID -> this == TGI ? 422 : 400;
            case UNAUTHORIZED -> 401;
            case NOT_FOUND -> 404;
            case TOO_LARGE -> 413;
            case OVERLOADED -> this == OLLAMA ? 503 : 429;
            case LOADING -> 503;
            case NOT_SUPPORTED -> 501;
            case INTERNAL -> 500;
            case UPSTREAM -> 502;
        };
    }

    /** The error body in this dialect's shape. */
    public ObjectNode body(ApiError e) {
        String message = e.getMessage() == null ? e.kind().name().toLowerCase() : e.getMessage();
        return switch (this) {
            case OPENAI -> {
                ObjectNode err = F.objectNode();
                err.put("message", message);
                err.put("type", openAiType(e.kind()));
                err.put("param", e.param());
                err.put("code", e.code());
                e.extra().forEach((k, v) -> err.putPOJO(k, v));
                ObjectNode root = F.objectNode();
                root.set("error", err);
                yield root;
            }
            case OLLAMA -> F.objectNode().put("error", message);
            case TGI -> F.objectNode().put("error", message).put("error_type", tgiType(e.kind()));
        };
    }

    private static String openAiType(ApiError.Kind kind) {
        return switch (kind) {
            case INVALID, TOO_LARGE -> "invalid_request_error";
            case UNAUTHORIZED -> "authentication_error";
            case NOT_FOUND -> "not_found_error";
            case OVERLOADED -> "rate_limit_error";
            case LOADING -> "unavailable_error";
            case NOT_SUPPORTED -> "not_supported_error";
            case INTERNAL, UPSTREAM -> "server_error";
        };
    }

    private static String tgiType(ApiError.Kind kind) {
        return switch (kind) {
            case INVALID, TOO_LARGE -> "validation";
            case UNAUTHORIZED -> "authentication";
            case NOT_FOUND -> "not_found";
            case OVERLOADED -> "overloaded";
            case LOADING -> "unhealthy";
            case NOT_SUPPORTED -> "not_supported";
            case INTERNAL, UPSTREAM -> "generation";
        };
    }
}
