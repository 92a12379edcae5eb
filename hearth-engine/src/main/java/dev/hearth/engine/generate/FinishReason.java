package dev.hearth.engine.generate;

/** Why a generation ended. Dialects map these to their own words ("stop", "length", "eos_token", ...). */
public enum FinishReason {
    /** An end-of-generation token of the model (EOS, EOT, ...). */
    END_OF_GENERATION,
    /** One of the request's stop strings or stop token ids. */
    STOP,
    /** max tokens reached. */
    LENGTH,
    /** The context window is full. */
    CONTEXT_FULL,
    /** The caller cancelled (e.g. the client disconnected). */
    CANCELLED
}
