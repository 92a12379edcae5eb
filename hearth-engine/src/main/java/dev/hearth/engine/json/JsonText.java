package dev.hearth.engine.json;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's little JSON (it depends on the JDK only): where a value written by a model ends, strict parsing into
 * plain Java values (LinkedHashMap, ArrayList, String, Long or Double, Boolean, null), and compact writing back, as
 * tool-call parsing and grammar compilation (enum and const values) need it.
 */
public final class JsonText {
    private JsonText() {}

    /** Thrown for text that is not JSON. */
    public static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The index just past the object or array that starts at {@code from} (after optional whitespace), -1 while it
     * is still open, or -2 when the text there cannot start one. Only brackets and strings are tracked here; the
     * contents are checked by {@link #parse}.
     */
    public static int valueEnd(CharSequence s, int from) {
        int i = from;
        while (i < s.length() && isSpace(s.charAt(i))) i++;
        if (i == s.length()) return -1;
        char first = s.charAt(i);
        if (first != '{' && first != '[') return -2;
        int depth = 0;
        boolean inString = false;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return -1;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    public static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    /** Parses exactly one JSON value (surrounding whitespace allowed). */
    public static Object parse(String text) throws Malformed {
        Reader r = new Reader(text);
        r.skipSpace();
        Object v = r.value(0);
        r.skipSpace();
        if (r.i != text.length()) throw new Malformed("unexpected text after the value at " + r.i);
        return v;
    }

    /**
     * Compact JSON ({@code {"a":1,"b":[true,null]}}), non-ASCII characters kept as they are, whole-valued doubles
     * written as integers.
     *
     * @throws IllegalArgumentException for a value that is not a JSON tree of plain Java values
     */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(value, b);
        return b.toString();
    }

    private static void write(Object v, StringBuilder b) {
        switch (v) {
            case null -> b.append("null");
            case String s -> quote(s, b);
            case Boolean x -> b.append(x);
            case Double d when d == Math.rint(d) && Math.abs(d) < 1e15 -> b.append(d.longValue());
            case Float f when f == Math.rint(f) && Math.abs(f) < 1e7 -> b.append(f.longValue());
            case BigDecimal d -> b.append(d.toString());
            case Number n -> b.append(n);
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    quote(String.valueOf(e.getKey()), b);
                    b.append(':');
                    write(e.getValue(), b);
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(',');
                    write(l.get(i), b);
                }
                b.append(']');
            }
            default -> throw new IllegalArgumentException("not a JSON value: " + v.getClass().getSimpleName());
        }
    }

    public static void quote(String s, StringBuilder b) {
        quote(s, b, false);
    }

    /** {@code s} as a JSON string; with {@code ensureAscii} every character outside space..'~' escaped, as Python's json.dumps does. */
    public static void quote(String s, StringBuilder b, boolean ensureAscii) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }

    private static final class Reader {
        private static final int MAX_DEPTH = 256;
        final String s;
        int i;

        Reader(String s) {
            this.s = s;
        }

        void skipSpace() {
            while (i < s.length() && isSpace(s.charAt(i))) i++;
        }

        Malformed error(String what) {
            return new Malformed(what + " at " + i);
        }

        Object value(int depth) throws Malformed {
            if (depth > MAX_DEPTH) throw error("nested too deeply");
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || c >= '0' && c <= '9') yield number();
                    throw error("unexpected character '" + c + "'");
                }
            };
        }

        private Map<String, Object> object(int depth) throws Malformed {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            skipSpace();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                skipSpace();
                if (i >= s.length() || s.charAt(i) != '"') throw error("expected a key");
                String key = string();
                skipSpace();
                if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':'");
                i++;
                skipSpace();
                m.put(key, value(depth + 1));
                skipSpace();
                if (i >= s.length()) throw error("unexpected end");
                char c = s.charAt(i++);
                if (c == '}') return m;
                if (c != ',') throw error("expected ',' or '}'");
            }
        }

        private List<Object> array(int depth) throws Malformed {
            List<Object> l = new ArrayList<>();
            i++;
            skipSpace();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return l;
            }
            while (true) {
                skipSpace();
                l.add(value(depth + 1));
                skipSpace();
                if (i >= s.length()) throw error("unexpected end");
                char c = s.charAt(i++);
                if (c == ']') return l;
                if (c != ',') throw error("expected ',' or ']'");
            }
        }

        private String string() throws Malformed {
            StringBuilder b = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) throw error("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c < 0x20) throw error("control character in a string");
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) throw error("unterminated string");
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw error("bad \\u escape");
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("bad \\u escape");
                        }
                        i += 4;
                    }
                    default -> throw error("bad escape '\\" + e + "'");
                }
            }
        }

        private Object literal(String word, Boolean value) throws Malformed {
            if (!s.startsWith(word, i)) throw error("expected " + word);
            i += word.length();
            return value;
        }

        /** Long when integral and in range, else Double (BigDecimal for integers too long for a long). */
        private Number number() throws Malformed {
            int start = i;
            if (s.charAt(i) == '-') i++;
            int digits = i;
            while (i < s.length() && isDigit(s.charAt(i))) i++;
            if (i == digits || s.charAt(digits) == '0' && i - digits > 1) throw error("bad number");
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                int f = i;
                while (i < s.length() && isDigit(s.charAt(i))) i++;
                if (i == f) throw error("bad number");
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
                int e = i;
                while (i < s.length() && isDigit(s.charAt(i))) i++;
                if (i == e) throw error("bad number");
            }
            String text = s.substring(start, i);
            boolean integral = text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0;
            if (!integral) return Double.parseDouble(text);
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooLong) {
                return new BigDecimal(text);
            }
        }
    }
}
