package dev.hearth.engine.generate;

/**
 * Receives a generation's events, in order, on an engine thread: keep the callbacks short and never block in
 * them (hand the event to the HTTP side). Exactly one of {@link #onDone} or {@link #onError} ends the stream.
 */
public interface GenerationListener {
    void onToken(TokenEvent event);

    void onDone(Completion completion);

    void onError(Throwable error);
}
