package dev.hearth.engine.template;

/**
 * A chat template failed to compile or render. {@link #getMessage()} is the text Python's Jinja2 gives for the
 * same failure where that is reasonable to match (so {@code raise_exception('x')} yields exactly "x"); syntax
 * errors append the line and column.
 */
public final class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, mirroring the Jinja2/Python exception classes a template can raise. */
    public enum Kind {
        /** The template source is malformed (Jinja2's TemplateSyntaxError / TemplateAssertionError). */
        SYNTAX,
        /** The template called {@code raise_exception(message)} (transformers raises TemplateError). */
        RAISED,
        /** An undefined value was used in a way that needs a value (Jinja2's UndefinedError). */
        UNDEFINED,
        /** The sandbox refused an operation, e.g. calling {@code list.append} (Jinja2's SecurityError). */
        SECURITY,
        /** A Python-level runtime failure: TypeError, ValueError, ZeroDivisionError... */
        RUNTIME
    }

    private final Kind kind;
    private final String detail;
    private int line;

    TemplateException(Kind kind, String detail) {
        this(kind, detail, 0);
    }

    TemplateException(Kind kind, String detail, int line) {
        this(kind, detail, detail, line);
    }

    private TemplateException(Kind kind, String message, String detail, int line) {
        super(message);
        this.kind = kind;
        this.detail = detail;
        this.line = line;
    }

    static TemplateException syntax(String detail, int line, int column) {
        return new TemplateException(Kind.SYNTAX, detail + " (line " + line + ", column " + column + ")", detail, line);
    }

    static TemplateException runtime(String detail) {
        return new TemplateException(Kind.RUNTIME, detail);
    }

    public Kind kind() {
        return kind;
    }

    /** Template line the failure is attributed to (1-based), 0 if unknown. */
    public int line() {
        return line;
    }

    /** The Jinja2-style message without location. */
    public String detail() {
        return detail;
    }

    void lineIfUnknown(int line) {
        if (this.line == 0) this.line = line;
    }
}
