package dev.hearth.engine.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Jinja2's built-in filters (plus transformers' tojson), with Jinja2 3.1's argument names and defaults. */
final class Filters {
    private Filters() { }

    /** Parameter names (after the filtered value) and defaults; a name prefixed '*' collects extra positionals. */
    private record Sig(String[] names, Object[] defaults) { }

    private static final Object REQUIRED = new Object();
    private static final Map<String, Sig> SIGS = new HashMap<>();

    private static void sig(String names, Object... defaults) {
        for (String name : names.split(" ")[0].split("\\|")) {
            String rest = names.indexOf(' ') < 0 ? "" : names.substring(names.indexOf(' ') + 1);
            SIGS.put(name, new Sig(rest.isEmpty() ? new String[0] : rest.split(" "), defaults));
        }
    }

    static {
        sig("abs");
        sig("attr name", REQUIRED);
        sig("batch linecount fill_with", REQUIRED, null);
        sig("capitalize|lower|upper|title|string|safe|list|items|first|last|length|count|wordcount|e|escape|forceescape|reverse");
        sig("center width", 80L);
        sig("default|d default_value boolean", "", false);
        sig("dictsort case_sensitive by reverse", false, "key", false);
        sig("float default", 0.0);
        sig("int default base", 0L, 10L);
        sig("indent width first blank", 4L, false, false);
        sig("join d attribute", "", null);
        sig("max|min case_sensitive attribute", false, null);
        sig("replace old new count", REQUIRED, REQUIRED, null);
        sig("round precision method", 0L, "common");
        sig("slice slices fill_with", REQUIRED, null);
        sig("sort reverse case_sensitive attribute", false, false, null);
        sig("sum attribute start", null, 0L);
        sig("tojson ensure_ascii indent separators sort_keys", false, null, null, false);
        sig("trim chars", (Object) null);
        sig("truncate length killwords end leeway", 255L, false, "...", null);
        sig("unique case_sensitive attribute", false, null);
        sig("groupby attribute default case_sensitive", REQUIRED, null, false);
        sig("striptags");
        // variadic ones bind themselves
        for (String v : List.of("map", "select", "reject", "selectattr", "rejectattr", "format")) {
            SIGS.put(v, null);
        }
    }

    static boolean exists(String name) {
        return SIGS.containsKey(name);
    }

    private static Object[] bind(String name, Sig sig, List<Object> args, Map<String, Object> kwargs) {
        Object[] out = new Object[sig.names().length];
        if (args.size() > out.length) {
            throw TemplateException.runtime("do_" + name + "() takes from 1 to " + (out.length + 1)
                    + " positional arguments but " + (args.size() + 1) + " were given");
        }
        for (int i = 0; i < out.length; i++) {
            String pname = sig.names()[i];
            if (i < args.size()) {
                if (kwargs.containsKey(pname)) {
                    throw TemplateException.runtime("do_" + name + "() got multiple values for argument '" + pname + "'");
                }
                out[i] = args.get(i);
            } else if (kwargs.containsKey(pname)) {
                out[i] = kwargs.get(pname);
            } else if (sig.defaults()[i] == REQUIRED) {
                throw TemplateException.runtime("do_" + name + "() missing 1 required positional argument: '" + pname + "'");
            } else {
                out[i] = sig.defaults()[i];
            }
        }
        for (String k : kwargs.keySet()) {
            if (!List.of(sig.names()).contains(k)) {
                throw TemplateException.runtime("do_" + name + "() got an unexpected keyword argument '" + k + "'");
            }
        }
        return out;
    }

    static Object apply(String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        Sig sig = SIGS.get(name);
        if (sig == null) return variadic(name, v, args, kwargs);
        Object[] a = bind(name, sig, args, kwargs);
        switch (name) {
            case "abs" -> {
                if (v instanceof Undefined u) throw u.fail();
                if (Py.isInt(v)) return Math.abs(Py.toLong(v));
                if (v instanceof Double d) return Math.abs(d);
                throw TemplateException.runtime("bad operand type for abs(): " + Py.repr(Py.typeName(v)));
            }
            case "attr" -> {
                // Jinja's attr filter uses Python getattr only: no fallback to dict items.
                String attr = Py.str(a[0]);
                if (v instanceof Map<?, ?> && !(v instanceof Namespace)) {
                    Object method = Methods.bind(v, attr);
                    return method != null ? method : attr.startsWith("_") ? Undefined.unsafe(v, attr) : Undefined.attribute(v, attr);
                }
                return Py.getattr(v, attr);
            }
            case "batch" -> {
                int n = (int) Py.toLong(a[0]);
                List<Object> out = new ArrayList<>();
                List<Object> cur = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    if (cur.size() == n) {
                        out.add(cur);
                        cur = new ArrayList<>();
                    }
                    cur.add(x);
                }
                if (!cur.isEmpty()) {
                    if (a[1] != null) while (cur.size() < n) cur.add(a[1]);
                    out.add(cur);
                }
                return new PyIterator("generator", out);
            }
            case "capitalize" -> {
                return Methods.capitalize(Py.str(v));
            }
            case "lower" -> {
                return Py.str(v).toLowerCase(Locale.ROOT);
            }
            case "upper" -> {
                return Py.str(v).toUpperCase(Locale.ROOT);
            }
            case "title" -> {
                return title(Py.str(v));
            }
            case "string", "safe" -> {
                return Py.str(v);
            }
            case "e", "escape", "forceescape" -> {
                return escape(Py.str(v));
            }
            case "center" -> {
                return Methods.pad(Py.str(v), (int) Py.toLong(a[0]), " ", "center");
            }
            case "default", "d" -> {
                return v instanceof Undefined || (Py.truthy(a[1]) && !Py.truthy(v)) ? a[0] : v;
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) throw TemplateException.runtime("You can only sort by either \"key\" or \"value\"");
                int pos = switch (Py.str(a[1])) {
                    case "key" -> 0;
                    case "value" -> 1;
                    default -> throw TemplateException.runtime("You can only sort by either \"key\" or \"value\"");
                };
                boolean cs = Py.truthy(a[0]);
                List<Object> items = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) items.add(new Tuple(e.getKey(), e.getValue()));
                items.sort((x, y) -> Py.compare(sortKey(((Tuple) x).get(pos), cs), sortKey(((Tuple) y).get(pos), cs), "<"));
                if (Py.truthy(a[2])) items = items.reversed();
                return new ArrayList<>(items);
            }
            case "float" -> {
                return toFloat(v, a[0]);
            }
            case "int" -> {
                return toInt(v, a[0], (int) Py.toLong(a[1]));
            }
            case "indent" -> {
                if (v instanceof Undefined u) throw u.fail();
                if (!(v instanceof String s)) {
                    throw TemplateException.runtime("unsupported operand type(s) for +=: " + Py.repr(Py.typeName(v)) + " and 'str'");
                }
                return indent(s, a[0], Py.truthy(a[1]), Py.truthy(a[2]));
            }
            case "items" -> {
                if (v instanceof Undefined) return new PyIterator("generator", new ArrayList<>());
                if (!(v instanceof Map<?, ?> m)) throw TemplateException.runtime("Can only get item pairs from a mapping.");
                List<Object> items = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) items.add(new Tuple(e.getKey(), e.getValue()));
                return new PyIterator("generator", items);
            }
            case "join" -> {
                List<Object> items = Py.iterate(v);
                StringBuilder b = new StringBuilder();
                String sep = Py.str(a[0]);
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) b.append(sep);
                    Object item = a[1] == null ? items.get(i) : attribute(items.get(i), a[1], null);
                    b.append(Py.str(item));
                }
                return b.toString();
            }
            case "list" -> {
                return new ArrayList<>(Py.iterate(v));
            }
            case "first" -> {
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? Undefined.of("No first item, sequence was empty.") : items.getFirst();
            }
            case "last" -> {
                if (v instanceof PyIterator it) throw TemplateException.runtime("'" + it.typeName() + "' object is not reversible");
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? Undefined.of("No last item, sequence was empty.") : items.getLast();
            }
            case "length", "count" -> {
                return (long) Py.len(v);
            }
            case "wordcount" -> {
                Matcher m = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS).matcher(Py.str(v));
                long n = 0;
                while (m.find()) n++;
                return n;
            }
            case "reverse" -> {
                if (v instanceof String s) return Py.slice(s, null, null, -1L);
                if (v instanceof Map<?, ?> m) return new PyIterator("dict_reversekeyiterator", new ArrayList<Object>(m.keySet()).reversed());
                if (v instanceof List<?> l) return new PyIterator("list_reverseiterator", new ArrayList<Object>(l).reversed());
                List<Object> items = new ArrayList<>(Py.iterate(v));
                return items.reversed();
            }
            case "max", "min" -> {
                List<Object> items = Py.iterate(v);
                if (items.isEmpty()) return Undefined.of("No aggregated item, sequence was empty.");
                boolean cs = Py.truthy(a[0]);
                Object best = items.getFirst();
                for (Object x : items) {
                    int c = Py.compare(sortKey(attribute(x, a[1], null), cs), sortKey(attribute(best, a[1], null), cs), "<");
                    if (name.equals("max") ? c > 0 : c < 0) best = x;
                }
                return best;
            }
            case "replace" -> {
                long count = a[2] == null ? -1 : Py.toLong(a[2]);
                return Methods.replace(Py.str(v), Py.str(a[0]), Py.str(a[1]), count);
            }
            case "round" -> {
                return round(v, (int) Py.toLong(a[0]), Py.str(a[1]));
            }
            case "slice" -> {
                List<Object> items = Py.iterate(v);
                int slices = (int) Py.toLong(a[0]);
                int per = items.size() / slices;
                int extra = items.size() % slices;
                int offset = 0;
                List<Object> out = new ArrayList<>();
                for (int i = 0; i < slices; i++) {
                    int start = offset + i * per;
                    if (i < extra) offset++;
                    int end = offset + (i + 1) * per;
                    List<Object> part = new ArrayList<>(items.subList(start, end));
                    if (a[1] != null && i >= extra) part.add(a[1]);
                    out.add(part);
                }
                return new PyIterator("generator", out);
            }
            case "sort" -> {
                boolean cs = Py.truthy(a[1]);
                List<Object> items = new ArrayList<>(Py.iterate(v));
                Comparator<Object> cmp = (x, y) -> Py.compare(multiKey(x, a[2], cs), multiKey(y, a[2], cs), "<");
                items.sort(Py.truthy(a[0]) ? cmp.reversed() : cmp);
                return items;
            }
            case "sum" -> {
                Object total = a[1];
                for (Object x : Py.iterate(v)) total = Py.binary("+", total, a[0] == null ? x : attribute(x, a[0], null));
                return total;
            }
            case "tojson" -> {
                return new Json(Py.truthy(a[0]), a[1], a[2], Py.truthy(a[3])).dumps(v);
            }
            case "trim" -> {
                return Methods.strip(Py.str(v), a[0] == null ? null : Py.str(a[0]), true, true);
            }
            case "truncate" -> {
                // Jinja measures the raw value: short non-strings come back unchanged, others fail in Python.
                if (!(v instanceof String)) {
                    int lw = a[3] == null ? 5 : (int) Py.toLong(a[3]);
                    if (Py.len(v) <= Py.toLong(a[0]) + lw) return v;
                    throw TemplateException.runtime("can only concatenate " + Py.typeName(v) + " (not \"str\") to " + Py.typeName(v));
                }
                return truncate((String) v, (int) Py.toLong(a[0]), Py.truthy(a[1]), Py.str(a[2]), a[3]);
            }
            case "unique" -> {
                boolean cs = Py.truthy(a[0]);
                List<Object> seen = new ArrayList<>();
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    Object key = sortKey(attribute(x, a[1], null), cs);
                    if (!Py.contains(seen, key)) {
                        seen.add(key);
                        out.add(x);
                    }
                }
                return new PyIterator("generator", out);
            }
            case "groupby" -> {
                boolean cs = Py.truthy(a[2]);
                List<Object> items = new ArrayList<>(Py.iterate(v));
                items.sort((x, y) -> Py.compare(sortKey(attribute(x, a[0], a[1]), cs), sortKey(attribute(y, a[0], a[1]), cs), "<"));
                List<Object> groups = new ArrayList<>();
                for (Object x : items) {
                    Object key = sortKey(attribute(x, a[0], a[1]), cs);
                    if (!groups.isEmpty() && Py.eq(((Tuple) groups.getLast()).get(0), key)) {
                        @SuppressWarnings("unchecked") List<Object> list = (List<Object>) ((Tuple) groups.getLast()).get(1);
                        list.add(x);
                    } else {
                        List<Object> list = new ArrayList<>();
                        list.add(x);
                        groups.add(new GroupTuple(key, list));
                    }
                }
                if (!cs) {
                    // the real key of each group's first item, not its lowercased form
                    for (int i = 0; i < groups.size(); i++) {
                        List<?> list = (List<?>) ((Tuple) groups.get(i)).get(1);
                        groups.set(i, new GroupTuple(attribute(list.getFirst(), a[0], a[1]), list));
                    }
                }
                return groups;
            }
            case "striptags" -> {
                String s = Py.str(v).replaceAll("(?s)<!--.*?-->|<[^>]*>", "");
                return String.join(" ", Methods.split(s, null, -1).stream().map(Py::str).toList());
            }
            default -> throw new IllegalStateException(name);
        }
    }

    private static Object variadic(String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        switch (name) {
            case "format" -> {
                if (!args.isEmpty() && !kwargs.isEmpty()) {
                    throw TemplateException.runtime("can't handle positional and keyword arguments at the same time");
                }
                return PyFormat.percent(Py.str(v), kwargs.isEmpty() ? Tuple.of(args) : new LinkedHashMap<>(kwargs));
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                if (!Py.truthy(v)) return new PyIterator("generator", out); // Jinja: "if value:" guards the loop
                if (kwargs.containsKey("attribute")) {
                    Object attr = kwargs.get("attribute");
                    Object dflt = kwargs.get("default");
                    for (Object x : Py.iterate(v)) out.add(attribute(x, attr, dflt));
                } else {
                    if (args.isEmpty()) throw TemplateException.runtime("map requires a filter argument");
                    String filter = Py.str(args.getFirst());
                    if (!exists(filter)) throw TemplateException.runtime("No filter named " + Py.repr(filter) + ".");
                    List<Object> rest = args.subList(1, args.size());
                    for (Object x : Py.iterate(v)) out.add(apply(filter, x, rest, kwargs));
                }
                return new PyIterator("generator", out);
            }
            case "select", "reject", "selectattr", "rejectattr" -> {
                boolean attr = name.endsWith("attr");
                boolean keep = name.startsWith("select");
                if (attr && args.isEmpty()) throw TemplateException.runtime("Missing parameter for attribute name");
                int at = attr ? 1 : 0;
                String test = args.size() > at ? Py.str(args.get(at)) : null;
                if (test != null && !Tests.exists(test)) throw TemplateException.runtime("No test named " + Py.repr(test) + ".");
                List<Object> testArgs = args.size() > at + 1 ? args.subList(at + 1, args.size()) : List.of();
                List<Object> out = new ArrayList<>();
                if (!Py.truthy(v)) return new PyIterator("generator", out); // Jinja: "if value:" guards the loop
                for (Object x : Py.iterate(v)) {
                    Object subject = attr ? attribute(x, args.getFirst(), null) : x;
                    boolean ok = test == null ? Py.truthy(subject) : Tests.apply(test, subject, testArgs);
                    if (ok == keep) out.add(x);
                }
                return new PyIterator("generator", out);
            }
            default -> throw new IllegalStateException(name);
        }
    }

    /** Jinja's make_attrgetter: dotted path of attributes/indices, with an optional default for undefined. */
    static Object attribute(Object item, Object path, Object dflt) {
        if (path == null) return item;
        List<Object> parts = new ArrayList<>();
        if (path instanceof String s) {
            for (String p : s.split("\\.", -1)) parts.add(p.chars().allMatch(Character::isDigit) && !p.isEmpty() ? (Object) Long.parseLong(p) : p);
        } else {
            parts.add(path);
        }
        Object v = item;
        for (Object p : parts) v = Py.getitem(v, p);
        if (dflt != null && v instanceof Undefined) return dflt;
        return v;
    }

    /** Jinja's make_multi_attrgetter: "a,b" sorts by a then b. */
    private static Object multiKey(Object item, Object attrs, boolean caseSensitive) {
        if (!(attrs instanceof String s) || s.indexOf(',') < 0) return sortKey(attribute(item, attrs, null), caseSensitive);
        List<Object> key = new ArrayList<>();
        for (String part : s.split(",")) key.add(sortKey(attribute(item, part, null), caseSensitive));
        return key;
    }

    private static Object sortKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? s.toLowerCase(Locale.ROOT) : v;
    }

    private static String title(String s) {
        // Jinja's title: capitalise each word, words starting after '-', whitespace or an opening bracket.
        StringBuilder b = new StringBuilder();
        Matcher m = Pattern.compile("([-\\s({\\[<]+)", Pattern.UNICODE_CHARACTER_CLASS).matcher(s);
        int last = 0;
        while (m.find()) {
            titleWord(s.substring(last, m.start()), b);
            titleWord(m.group(), b);
            last = m.end();
        }
        titleWord(s.substring(last), b);
        return b.toString();
    }

    private static void titleWord(String w, StringBuilder b) {
        if (w.isEmpty()) return;
        int first = w.codePointAt(0);
        b.append(Character.toString(first).toUpperCase(Locale.ROOT)).append(w.substring(Character.charCount(first)).toLowerCase(Locale.ROOT));
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&#34;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static Object toFloat(Object v, Object dflt) {
        if (v instanceof Undefined u) throw u.fail();
        if (Py.isNumber(v)) return Py.toDouble(v);
        if (v instanceof String s) {
            Double d = parseFloat(s);
            if (d != null) return d;
        }
        return dflt;
    }

    private static Double parseFloat(String s) {
        String t = Methods.strip(s, null, true, true).replace("_", "");
        String lower = t.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "inf", "+inf", "infinity", "+infinity" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf", "-infinity" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "nan", "+nan", "-nan" -> {
                return Double.NaN;
            }
            default -> { }
        }
        if (!t.matches("[+-]?(\\d+\\.?\\d*([eE][+-]?\\d+)?|\\.\\d+([eE][+-]?\\d+)?)")) return null;
        return Double.parseDouble(t);
    }

    private static Object toInt(Object v, Object dflt, int base) {
        if (v instanceof Undefined u) throw u.fail();
        if (Py.isInt(v)) return Py.toLong(v);
        if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) return dflt;
            return (long) d.doubleValue();
        }
        if (v instanceof String s) {
            String t = Methods.strip(s, null, true, true).replace("_", "");
            try {
                String digits = t;
                if (base == 16 && digits.toLowerCase(Locale.ROOT).matches("[+-]?0x.*")) digits = digits.replaceFirst("(?i)0x", "");
                if (base == 8 && digits.toLowerCase(Locale.ROOT).matches("[+-]?0o.*")) digits = digits.replaceFirst("(?i)0o", "");
                if (base == 2 && digits.toLowerCase(Locale.ROOT).matches("[+-]?0b.*")) digits = digits.replaceFirst("(?i)0b", "");
                return Long.parseLong(digits, base);
            } catch (NumberFormatException e) {
                Double d = parseFloat(s);
                if (d != null && !d.isNaN() && !d.isInfinite()) return (long) d.doubleValue();
            }
        }
        return dflt;
    }

    private static Object round(Object v, int precision, String method) {
        if (v instanceof Undefined u) throw u.fail();
        if (!Py.isNumber(v)) throw TemplateException.runtime("type " + Py.typeName(v) + " doesn't define __round__ method");
        if (!List.of("common", "ceil", "floor").contains(method)) {
            throw TemplateException.runtime("method must be common, ceil or floor");
        }
        if (method.equals("common")) {
            if (Py.isInt(v)) return Py.toLong(v);
            double d = (Double) v;
            if (Double.isNaN(d) || Double.isInfinite(d)) return d;
            return new BigDecimal(d).setScale(precision, RoundingMode.HALF_EVEN).doubleValue();
        }
        double scale = Math.pow(10, precision);
        double x = Py.toDouble(v) * scale;
        return (method.equals("ceil") ? Math.ceil(x) : Math.floor(x)) / scale;
    }

    private static String indent(String s, Object width, boolean first, boolean blank) {
        String indention = width instanceof String w ? w : " ".repeat((int) Math.max(0, Py.toLong(width)));
        List<Object> lines = Methods.splitlines(s + "\n", false);
        StringBuilder rv = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) rv.append('\n').append(indention);
                rv.append((String) lines.get(i));
            }
        } else {
            rv.append((String) lines.getFirst());
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                rv.append('\n');
                if (!line.isEmpty()) rv.append(indention);
                rv.append(line);
            }
        }
        return first ? indention + rv : rv.toString();
    }

    private static String truncate(String s, int length, boolean killwords, String end, Object leeway) {
        int lw = leeway == null ? 5 : (int) Py.toLong(leeway);
        if (length < end.length()) throw TemplateException.runtime("expected length >= " + end.length() + ", got " + length);
        if (lw < 0) throw TemplateException.runtime("expected leeway >= 0, got " + lw);
        if (s.length() <= length + lw) return s;
        if (killwords) return s.substring(0, length - end.length()) + end;
        String result = s.substring(0, length - end.length());
        int space = result.lastIndexOf(' ');
        if (space >= 0) result = result.substring(0, space);
        return result + end;
    }
}
