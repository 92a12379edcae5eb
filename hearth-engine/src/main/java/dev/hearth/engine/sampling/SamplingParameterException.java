package dev.hearth.engine.sampling;

/**
 * A sampling parameter out of its range. {@link #parameter()} is the API name of the field (e.g. {@code top_p}),
 * so a server can answer 400 with OpenAI's {@code param} filled in.
 */
public final class SamplingParameterException extends IllegalArgumentException {
    private final String parameter;

    public SamplingParameterException(String parameter, String message) {
        super(parameter + ": " + message);
        this.parameter = parameter;
    }

    public String parameter() {
        return parameter;
    }
}
