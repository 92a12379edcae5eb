package dev.hearth.engine.generate;

/** A submitted generation: cancel it when its client goes away. */
public interface Generation {
    /** Stops it at the next step; the listener then gets {@code onDone} with {@link FinishReason#CANCELLED}. */
    void cancel();

    boolean isDone();
}
