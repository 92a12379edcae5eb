package dev.hearth.server.hub;

import java.io.IOException;

/** A pull that cannot go on, with a message that says what to do (set HF_TOKEN, check the network, ...). */
public final class HubException extends IOException {
    /** Why, for an API to pick its status code. */
    public enum Reason { NOT_FOUND, UNAUTHORIZED, UNREACHABLE, BAD_DOWNLOAD }

    private final Reason reason;

    public HubException(Reason reason, String message) {
        this(reason, message, null);
    }

    public HubException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
