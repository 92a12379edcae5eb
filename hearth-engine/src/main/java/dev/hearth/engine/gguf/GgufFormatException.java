package dev.hearth.engine.gguf;

import java.io.IOException;

/** A file that is not a GGUF file, or a GGUF file that is damaged or uses something this build does not know. */
public final class GgufFormatException extends IOException {
    public GgufFormatException(String message) {
        super(message);
    }
}
