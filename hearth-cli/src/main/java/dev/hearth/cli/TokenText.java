package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.tokenizer.TokenType;
import dev.hearth.engine.tokenizer.Tokenizer;
import picocli.CommandLine.Model.CommandSpec;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.StringJoiner;

/** What tokenize, detokenize and template share: reading input, loading a tokenizer, showing ids and pieces. */
final class TokenText {
    private TokenText() {}

    /** The bytes of a file, or of standard input when the file is null or {@code -}; nothing is stripped. */
    static byte[] read(Path file, InputStream stdin, CommandSpec spec) throws IOException {
        if (file == null || file.toString().equals("-")) {
            Console console = System.console();
            if (stdin == System.in && console != null && console.isTerminal()) { // not piped: say why we wait
                spec.commandLine().getErr().println("hearth: reading standard input; end it with Ctrl-D (Ctrl-Z on Windows)");
                spec.commandLine().getErr().flush();
            }
            return stdin.readAllBytes();
        }
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException | AccessDeniedException e) {
            throw e; // Main words these
        } catch (IOException e) {
            throw new CommandError(file + ": " + e.getMessage(), e); // e.g. "Is a directory", which names no file
        }
    }

    /** The tokenizer of a model or vocabulary-only GGUF file, or one line saying why there is none. */
    static Tokenizer tokenizer(GgufFile f) {
        String prefix = f.path() + ": ";
        if (!f.has("tokenizer.ggml.model")) {
            throw new CommandError(prefix + "no tokenizer in this file (metadata key 'tokenizer.ggml.model' is missing)");
        }
        try {
            return Tokenizer.fromGguf(f);
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            String m = String.valueOf(e.getMessage());
            throw new CommandError(m.startsWith(prefix) ? m : prefix + "bad tokenizer: " + m, e);
        }
    }

    /** Ids separated by spaces, as tokenize prints them and detokenize reads them. */
    static String ids(int[] ids) {
        StringJoiner j = new StringJoiner(" ");
        for (int id : ids) j.add(Integer.toString(id));
        return j.toString();
    }

    /**
     * A token's piece for people, on one line: byte-fallback tokens as {@code <0xNN>}; otherwise its UTF-8 text
     * with {@code \n \r \t \\} escaped, other invisible characters (controls, format characters such as the
     * zero-width joiner, variation selectors, separators other than the space) as a backslash, u and the hex code in braces, and any byte that is not part of
     * complete UTF-8 (half a character of a byte-level BPE token) as {@code <0xNN>}.
     */
    static String piece(Tokenizer t, int id) {
        byte[] b = t.piece(id, true);
        if (t.tokenType(id) == TokenType.BYTE) return hexBytes(b, 0, b.length);
        return readable(b);
    }

    static String readable(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length + 8);
        int i = 0;
        while (i < b.length) {
            int n = utf8Length(b, i);
            if (n == 0) {
                sb.append(hexBytes(b, i, 1));
                i++;
                continue;
            }
            int cp = new String(b, i, n, StandardCharsets.UTF_8).codePointAt(0);
            i += n;
            switch (cp) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (invisible(cp)) sb.append(String.format(Locale.ROOT, "\\u{%04X}", cp));
                    else sb.appendCodePoint(cp);
                }
            }
        }
        return sb.toString();
    }

    private static boolean invisible(int cp) {
        if (cp >= 0xFE00 && cp <= 0xFE0F || cp >= 0xE0100 && cp <= 0xE01EF) return true; // variation selectors
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.UNASSIGNED, Character.PRIVATE_USE, Character.SURROGATE -> true;
            case Character.SPACE_SEPARATOR -> cp != ' ';
            default -> false;
        };
    }

    private static String hexBytes(byte[] b, int from, int n) {
        StringBuilder sb = new StringBuilder(6 * n);
        for (int i = from; i < from + n; i++) sb.append(String.format(Locale.ROOT, "<0x%02X>", b[i] & 0xff));
        return sb.toString();
    }

    /** The length of the well-formed UTF-8 sequence at {@code i} (Unicode's table 3-7), or 0 if there is none. */
    static int utf8Length(byte[] b, int i) {
        int lead = b[i] & 0xff;
        if (lead < 0x80) return 1;
        int n = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
        if (n == 0 || i + n > b.length) return 0;
        for (int k = 1; k < n; k++) if ((b[i + k] & 0xC0) != 0x80) return 0;
        int second = b[i + 1] & 0xff;
        if (lead == 0xE0 && second < 0xA0 || lead == 0xF0 && second < 0x90) return 0; // overlong
        if (lead == 0xED && second > 0x9F) return 0;                                 // surrogate
        if (lead == 0xF4 && second > 0x8F) return 0;                                 // beyond U+10FFFF
        return n;
    }
}
