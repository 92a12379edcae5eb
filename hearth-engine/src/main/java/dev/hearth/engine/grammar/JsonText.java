package dev.hearth.engine.grammar;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** Compact JSON text of a parsed JSON tree (for enum and const values). */
final class JsonText {
    private JsonText() {}

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b);
        return b.toString();
    }

    private static void write(Object v, StringBuilder b) {
        switch (v) {
            case null -> b.append("null");
            case String s -> string(s, b);
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
                    string(String.valueOf(e.getKey()), b);
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
            default -> throw new GrammarException("not a JSON value: " + v.getClass().getSimpleName());
        }
    }

    private static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
