package dev.hearth.cli;

/**
 * Something wrong with what the user gave a command (a file that is not JSON, a token id out of range, a template
 * that fails): {@link Main} prints the message as the one error line and exits with 1.
 */
final class CommandError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandError(String message) {
        super(message);
    }

    CommandError(String message, Throwable cause) {
        super(message, cause);
    }
}
