package dev.hearth.engine.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * What a code point is for the pre-tokenizers: letter, number, whitespace... exactly as llama.cpp b4747 sees it.
 * The categories come from its Unicode 15.1 table (resource {@code unicode-categories.txt}), not from the JDK,
 * whose newer Unicode would turn some unassigned code points into letters. Whitespace is llama.cpp's fixed set
 * (the Unicode White_Space property), which is not the same as {@link Character#isWhitespace}.
 */
final class CodepointClass {
    static final int UNDEFINED = 0, NUMBER = 1, LETTER = 2, SEPARATOR = 3, MARK = 4, PUNCTUATION = 5, SYMBOL = 6,
            CONTROL = 7;
    /** Bit set in {@link #of} for whitespace; the low three bits hold the category. */
    static final int WHITESPACE = 8;
    /** What {@link #of} returns past the end of a fragment: no category bit at all (llama.cpp's empty flags). */
    static final int OUT_OF_RANGE = -1;

    static final int MAX_CODEPOINT = 0x10FFFF;

    private static final byte[] TABLE = load();

    private CodepointClass() {}

    /** Category in bits 0-2, {@link #WHITESPACE} in bit 3; code points beyond U+10FFFF are unassigned. */
    static int of(int cp) {
        return cp >= 0 && cp <= MAX_CODEPOINT ? TABLE[cp] : UNDEFINED;
    }

    static boolean isLetter(int cls) { return cls >= 0 && (cls & 7) == LETTER; }
    static boolean isNumber(int cls) { return cls >= 0 && (cls & 7) == NUMBER; }
    static boolean isWhitespace(int cls) { return cls >= 0 && (cls & WHITESPACE) != 0; }

    private static boolean whitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    private static byte[] load() {
        byte[] table = new byte[MAX_CODEPOINT + 1];
        try (InputStream in = CodepointClass.class.getResourceAsStream("unicode-categories.txt")) {
            if (in == null) throw new IllegalStateException("resource unicode-categories.txt is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            int start = -1;
            int category = 0;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int space = line.indexOf(' ');
                int next = Integer.parseInt(line, 0, space, 16);
                if (start >= 0) fill(table, start, next, category);
                start = next;
                category = switch (line.substring(space + 1)) {
                    case "Cn" -> UNDEFINED;
                    case "N" -> NUMBER;
                    case "L" -> LETTER;
                    case "Z" -> SEPARATOR;
                    case "M" -> MARK;
                    case "P" -> PUNCTUATION;
                    case "S" -> SYMBOL;
                    case "C" -> CONTROL;
                    default -> throw new IllegalStateException("bad line in unicode-categories.txt: " + line);
                };
            }
            fill(table, start, MAX_CODEPOINT + 1, category);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int cp = 0; cp <= 0x3000; cp++) {
            if (whitespace(cp)) table[cp] |= WHITESPACE;
        }
        return table;
    }

    private static void fill(byte[] table, int from, int to, int category) {
        for (int cp = from; cp < to; cp++) table[cp] = (byte) category;
    }
}
