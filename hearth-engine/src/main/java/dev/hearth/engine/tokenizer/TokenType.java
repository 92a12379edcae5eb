package dev.hearth.engine.tokenizer;

/** The token types of {@code tokenizer.ggml.token_type}, with their GGUF codes. */
public enum TokenType {
    UNDEFINED(0), NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

    /** The integer stored in GGUF files. */
    public final int code;

    TokenType(int code) {
        this.code = code;
    }

    /** The type of a GGUF code; codes llama.cpp does not know are UNDEFINED, as there. */
    public static TokenType ofCode(int code) {
        return code >= 0 && code < 7 ? values()[code] : UNDEFINED;
    }
}
