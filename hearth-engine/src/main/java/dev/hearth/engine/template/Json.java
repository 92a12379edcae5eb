package dev.hearth.engine.template;

import dev.hearth.engine.json.JsonText;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} as transformers' {@code tojson} filter calls it (ensure_ascii=False by default,
 * optional indent, separators and sort_keys), byte for byte.
 */
final class Json {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    Json(boolean ensureAscii, Object indent, Object separators, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = switch (indent) {
            case null -> null;
            case String s -> s;
            case Long n -> " ".repeat((int) Math.max(0, n));
            case Boolean b -> b ? " " : "";
            default -> throw TemplateException.runtime("indent must be an int or a string");
        };
        if (separators instanceof List<?> l && l.size() == 2) {
            this.itemSeparator = Py.str(l.get(0));
            this.keySeparator = Py.str(l.get(1));
        } else if (separators == null) {
            this.itemSeparator = this.indent != null ? "," : ", ";
            this.keySeparator = ": ";
        } else {
            throw TemplateException.runtime("separators must be a (item_separator, key_separator) pair");
        }
        this.sortKeys = sortKeys;
    }

    String dumps(Object value) {
        StringBuilder b = new StringBuilder();
        write(value, b, 0);
        return b.toString();
    }

    private void newline(StringBuilder b, int level) {
        b.append('\n');
        for (int i = 0; i < level; i++) b.append(indent);
    }

    private void write(Object v, StringBuilder b, int level) {
        switch (v) {
            case null -> b.append("null");
            case Boolean bool -> b.append(bool ? "true" : "false");
            case Long l -> b.append(l);
            case Double d -> b.append(floatJson(d));
            case String s -> string(s, b);
            case List<?> list -> {
                if (list.isEmpty()) {
                    b.append("[]");
                    return;
                }
                b.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) b.append(itemSeparator);
                    if (indent != null) newline(b, level + 1);
                    write(list.get(i), b, level + 1);
                }
                if (indent != null) newline(b, level);
                b.append(']');
            }
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    b.append("{}");
                    return;
                }
                List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
                if (sortKeys) entries.sort((x, y) -> Py.compare(x.getKey(), y.getKey(), "<"));
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : entries) {
                    if (!first) b.append(itemSeparator);
                    first = false;
                    if (indent != null) newline(b, level + 1);
                    string(key(e.getKey()), b);
                    b.append(keySeparator);
                    write(e.getValue(), b, level + 1);
                }
                if (indent != null) newline(b, level);
                b.append('}');
            }
            default -> throw TemplateException.runtime("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private static String key(Object k) {
        return switch (k) {
            case String s -> s;
            case null -> "null";
            case Boolean bool -> bool ? "true" : "false";
            case Long l -> l.toString();
            case Double d -> floatJson(d);
            default -> throw TemplateException.runtime("keys must be str, int, float, bool or None, not " + Py.typeName(k));
        };
    }

    private static String floatJson(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return Py.floatRepr(d);
    }

    private void string(String s, StringBuilder b) {
        JsonText.quote(s, b, ensureAscii);
    }
}
