package dev.hearth.engine.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates call on str, dict and list values ({@code message.content.strip()},
 * {@code tool.get('x')}). Mutating methods are refused as the immutable sandbox does: reading them gives an
 * undefined that raises a SecurityError when called.
 */
final class Methods {
    private Methods() { }

    private static final Set<String> STR = Set.of("strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
            "startswith", "endswith", "upper", "lower", "title", "capitalize", "swapcase", "casefold", "replace",
            "find", "rfind", "index", "rindex", "count", "format", "format_map", "join", "isdigit", "isalpha",
            "isalnum", "isspace", "isupper", "islower", "istitle", "isnumeric", "isdecimal", "center", "ljust",
            "rjust", "zfill", "partition", "rpartition", "removeprefix", "removesuffix", "expandtabs");
    private static final Set<String> DICT = Set.of("get", "keys", "values", "items", "copy");
    private static final Set<String> DICT_MUTATING = Set.of("clear", "pop", "popitem", "setdefault", "update");
    private static final Set<String> LIST = Set.of("index", "count", "copy");
    private static final Set<String> LIST_MUTATING = Set.of("append", "clear", "pop", "reverse", "insert", "sort",
            "extend", "remove");

    /** A bound method of {@code self} named {@code name}, an unsafe-undefined for mutators, or null if none. */
    static Object bind(Object self, String name) {
        if (self == null) return null;
        switch (self) {
            case String s when STR.contains(name) -> {
                return new BoundMethod((args, kwargs) -> callStr(s, name, args, kwargs));
            }
            case Map<?, ?> m when DICT.contains(name) -> {
                return new BoundMethod((args, kwargs) -> callDict(m, name, args));
            }
            case Map<?, ?> m when DICT_MUTATING.contains(name) -> {
                return Undefined.unsafe(self, name);
            }
            case Tuple t when name.equals("index") || name.equals("count") -> {
                return new BoundMethod((args, kwargs) -> callList(t, name, args));
            }
            case Tuple t -> {
                return null;
            }
            case DictView v -> {
                return null;
            }
            case List<?> l when LIST.contains(name) -> {
                return new BoundMethod((args, kwargs) -> callList(l, name, args));
            }
            case List<?> l when LIST_MUTATING.contains(name) -> {
                return Undefined.unsafe(self, name);
            }
            default -> {
                return null;
            }
        }
    }

    static void arity(String name, List<Object> args, int min, int max) {
        if (args.size() < min || args.size() > max) {
            String expected = min == max ? "exactly " + min : args.size() < min ? "at least " + min : "at most " + max;
            throw TemplateException.runtime(name + "() takes " + expected + " argument" + (max == 1 && min == 1 ? "" : "s")
                    + " (" + args.size() + " given)");
        }
    }

    static String str(String method, Object o) {
        if (o instanceof String s) return s;
        throw TemplateException.runtime(method + "() argument must be str, not " + Py.typeName(o));
    }

    private static Object arg(List<Object> args, Map<String, Object> kwargs, int i, String name, Object dflt) {
        if (i < args.size()) return args.get(i);
        if (kwargs.containsKey(name)) return kwargs.get(name);
        return dflt;
    }

    private static Object callStr(String s, String name, List<Object> args, Map<String, Object> kwargs) {
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                arity(name, args, 0, 1);
                Object chars = args.isEmpty() ? null : args.getFirst();
                return strip(s, chars == null ? null : str(name, chars), !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split", "rsplit" -> {
                Object sep = arg(args, kwargs, 0, "sep", null);
                long max = Py.toLong(arg(args, kwargs, 1, "maxsplit", -1L));
                return name.equals("split") ? split(s, sep == null ? null : str(name, sep), max)
                        : rsplit(s, sep == null ? null : str(name, sep), max);
            }
            case "splitlines" -> {
                return splitlines(s, Py.truthy(arg(args, kwargs, 0, "keepends", false)));
            }
            case "startswith", "endswith" -> {
                arity(name, args, 1, 3);
                String sub = substring(s, args, 1);
                Object prefix = args.getFirst();
                List<Object> options = prefix instanceof Tuple t ? t : List.of(prefix);
                for (Object p : options) {
                    if (!(p instanceof String ps)) {
                        throw TemplateException.runtime(name + " first arg must be str or a tuple of str, not "
                                + Py.typeName(p));
                    }
                    if (name.equals("startswith") ? sub.startsWith(ps) : sub.endsWith(ps)) return true;
                }
                return false;
            }
            case "upper" -> {
                return s.toUpperCase(Locale.ROOT);
            }
            case "lower", "casefold" -> {
                return s.toLowerCase(Locale.ROOT);
            }
            case "title" -> {
                return title(s);
            }
            case "capitalize" -> {
                return capitalize(s);
            }
            case "swapcase" -> {
                StringBuilder b = new StringBuilder();
                s.codePoints().forEach(c -> b.appendCodePoint(Character.isUpperCase(c) ? Character.toLowerCase(c)
                        : Character.isLowerCase(c) ? Character.toUpperCase(c) : c));
                return b.toString();
            }
            case "replace" -> {
                arity(name, args, 2, 3);
                long count = args.size() > 2 ? Py.toLong(args.get(2)) : -1;
                return replace(s, str(name, args.get(0)), str(name, args.get(1)), count);
            }
            case "find", "rfind", "index", "rindex" -> {
                arity(name, args, 1, 3);
                String sub = str(name, args.getFirst());
                int[] range = bounds(s, args, 1);
                String hay = s.substring(range[0], range[1]);
                int at = name.startsWith("r") ? hay.lastIndexOf(sub) : hay.indexOf(sub);
                if (at < 0) {
                    if (name.endsWith("index")) throw TemplateException.runtime("substring not found");
                    return -1L;
                }
                return (long) s.codePointCount(0, range[0] + at);
            }
            case "count" -> {
                arity(name, args, 1, 3);
                String sub = str(name, args.getFirst());
                String hay = substring(s, args, 1);
                if (sub.isEmpty()) return (long) hay.codePointCount(0, hay.length()) + 1;
                long n = 0;
                for (int i = hay.indexOf(sub); i >= 0; i = hay.indexOf(sub, i + sub.length())) n++;
                return n;
            }
            case "format" -> {
                return PyFormat.format(s, args, kwargs);
            }
            case "format_map" -> {
                arity(name, args, 1, 1);
                @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) args.getFirst();
                return PyFormat.format(s, List.of(), m);
            }
            case "join" -> {
                arity(name, args, 1, 1);
                List<Object> items = Py.iterate(args.getFirst());
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String item)) {
                        throw TemplateException.runtime("sequence item " + i + ": expected str instance, "
                                + Py.typeName(items.get(i)) + " found");
                    }
                    if (i > 0) b.append(s);
                    b.append(item);
                }
                return b.toString();
            }
            case "isdigit", "isnumeric", "isdecimal" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            }
            case "isalpha" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            }
            case "isalnum" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            }
            case "isspace" -> {
                return !s.isEmpty() && s.chars().allMatch(Py::isSpace);
            }
            case "isupper", "islower" -> {
                return isCased(s, name.equals("isupper"));
            }
            case "istitle" -> {
                return !s.isEmpty() && title(s).equals(s) && s.codePoints().anyMatch(Character::isLetter);
            }
            case "center", "ljust", "rjust" -> {
                arity(name, args, 1, 2);
                String fill = args.size() > 1 ? str(name, args.get(1)) : " ";
                return pad(s, (int) Py.toLong(args.getFirst()), fill, name);
            }
            case "zfill" -> {
                arity(name, args, 1, 1);
                int width = (int) Py.toLong(args.getFirst());
                int n = s.codePointCount(0, s.length());
                if (n >= width) return s;
                String zeros = "0".repeat(width - n);
                if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) return s.charAt(0) + zeros + s.substring(1);
                return zeros + s;
            }
            case "partition", "rpartition" -> {
                arity(name, args, 1, 1);
                String sep = str(name, args.getFirst());
                int at = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (at < 0) return name.equals("partition") ? new Tuple(s, "", "") : new Tuple("", "", s);
                return new Tuple(s.substring(0, at), sep, s.substring(at + sep.length()));
            }
            case "removeprefix" -> {
                String p = str(name, args.getFirst());
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = str(name, args.getFirst());
                return s.endsWith(p) && !p.isEmpty() ? s.substring(0, s.length() - p.length()) : s;
            }
            case "expandtabs" -> {
                int size = args.isEmpty() ? 8 : (int) Py.toLong(args.getFirst());
                StringBuilder b = new StringBuilder();
                int col = 0;
                for (char c : s.toCharArray()) {
                    if (c == '\t') {
                        int spaces = size > 0 ? size - col % size : 0;
                        b.append(" ".repeat(spaces));
                        col += spaces;
                    } else {
                        b.append(c);
                        col = c == '\n' || c == '\r' ? 0 : col + 1;
                    }
                }
                return b.toString();
            }
            default -> throw new IllegalStateException(name);
        }
    }

    /** Python's str.isupper / str.islower: at least one cased character and all of them in that case. */
    static boolean isCased(String s, boolean upper) {
        boolean cased = false;
        for (int c : s.codePoints().toArray()) {
            if (Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c)) {
                if (upper ? !Character.isUpperCase(c) : !Character.isLowerCase(c)) return false;
                cased = true;
            }
        }
        return cased;
    }

    private static int[] bounds(String s, List<Object> args, int from) {
        int n = s.codePointCount(0, s.length());
        long start = args.size() > from && args.get(from) != null ? Py.toLong(args.get(from)) : 0;
        long end = args.size() > from + 1 && args.get(from + 1) != null ? Py.toLong(args.get(from + 1)) : n;
        if (start < 0) start = Math.max(0, start + n);
        if (end < 0) end = Math.max(0, end + n);
        start = Math.min(start, n);
        end = Math.max(start, Math.min(end, n));
        return new int[] {s.offsetByCodePoints(0, (int) start), s.offsetByCodePoints(0, (int) end)};
    }

    private static String substring(String s, List<Object> args, int from) {
        int[] r = bounds(s, args, from);
        return s.substring(r[0], r[1]);
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end && stripped(s.charAt(start), chars)) start++;
        }
        if (right) {
            while (end > start && stripped(s.charAt(end - 1), chars)) end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Py.isSpace(c) : chars.indexOf(c) >= 0;
    }

    static List<Object> split(String s, String sep, long max) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (max >= 0 && out.size() >= max) {
                    out.add(s.substring(i));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw TemplateException.runtime("empty separator");
        int i = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, i);
            if (at < 0) break;
            out.add(s.substring(i, at));
            i = at + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    static List<Object> rsplit(String s, String sep, long max) {
        if (max < 0) return split(s, sep, max);
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && Py.isSpace(s.charAt(j - 1))) j--;
                if (j <= 0) break;
                if (out.size() >= max) {
                    out.addFirst(s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !Py.isSpace(s.charAt(i - 1))) i--;
                out.addFirst(s.substring(i, j));
                j = i;
            }
            return out;
        }
        if (sep.isEmpty()) throw TemplateException.runtime("empty separator");
        int end = s.length();
        while (out.size() < max) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0) break;
            out.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        out.addFirst(s.substring(0, end));
        return out;
    }

    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int brk = 0;
            if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') brk = 2;
            else if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85
                    || c == 0x2028 || c == 0x2029) brk = 1;
            if (brk > 0) {
                out.add(s.substring(start, keepends ? i + brk : i));
                i += brk;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) out.add(s.substring(start));
        return out;
    }

    static String replace(String s, String old, String rep, long count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder b = new StringBuilder(rep);
                s.codePoints().forEach(c -> b.appendCodePoint(c).append(rep));
                return b.toString();
            }
            return s.replace(old, rep);
        }
        StringBuilder b = new StringBuilder();
        int i = 0;
        long done = 0;
        if (old.isEmpty()) {
            int[] cps = s.codePoints().toArray();
            for (int k = 0; k < cps.length; k++) {
                if (done < count) {
                    b.append(rep);
                    done++;
                }
                b.appendCodePoint(cps[k]);
            }
            if (done < count) b.append(rep);
            return b.toString();
        }
        while (done < count) {
            int at = s.indexOf(old, i);
            if (at < 0) break;
            b.append(s, i, at).append(rep);
            i = at + old.length();
            done++;
        }
        return b.append(s.substring(i)).toString();
    }

    /** Python's str.title: a letter is upper-cased after an uncased character, lower-cased after a cased one. */
    static String title(String s) {
        StringBuilder b = new StringBuilder();
        boolean prevCased = false;
        for (int c : s.codePoints().toArray()) {
            if (prevCased) b.append(new String(Character.toChars(c)).toLowerCase(Locale.ROOT));
            else b.appendCodePoint(Character.toTitleCase(c));
            prevCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
        }
        return b.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return Character.toString(Character.toTitleCase(first)) + s.substring(n).toLowerCase(Locale.ROOT);
    }

    static String pad(String s, int width, String fill, String how) {
        int n = s.codePointCount(0, s.length());
        if (width <= n) return s;
        int total = width - n;
        int left = switch (how) {
            case "ljust" -> 0;
            case "rjust" -> total;
            // Python's center puts the extra space on the left when the string length is odd.
            default -> total / 2 + (total & width & 1);
        };
        return fill.repeat(left) + s + fill.repeat(total - left);
    }

    private static Object callDict(Map<?, ?> m, String name, List<Object> args) {
        switch (name) {
            case "get" -> {
                arity("get", args, 1, 2);
                Object key = Py.findKey(m, args.getFirst());
                return key != Py.MISSING ? m.get(key) : args.size() > 1 ? args.get(1) : null;
            }
            case "keys" -> {
                arity("keys", args, 0, 0);
                return new DictView("dict_keys", new ArrayList<>(m.keySet()));
            }
            case "values" -> {
                arity("values", args, 0, 0);
                return new DictView("dict_values", new ArrayList<>(m.values()));
            }
            case "items" -> {
                arity("items", args, 0, 0);
                List<Object> items = new ArrayList<>(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) items.add(new Tuple(e.getKey(), e.getValue()));
                return new DictView("dict_items", items);
            }
            default -> {
                return new LinkedHashMap<>(m);
            }
        }
    }

    private static Object callList(List<?> l, String name, List<Object> args) {
        switch (name) {
            case "index" -> {
                arity("index", args, 1, 3);
                int start = args.size() > 1 ? (int) Py.toLong(args.get(1)) : 0;
                int end = args.size() > 2 ? (int) Py.toLong(args.get(2)) : l.size();
                if (start < 0) start = Math.max(0, start + l.size());
                if (end < 0) end = Math.max(0, end + l.size());
                for (int i = start; i < Math.min(end, l.size()); i++) {
                    if (Py.eq(l.get(i), args.getFirst())) return (long) i;
                }
                throw TemplateException.runtime(l instanceof Tuple ? "tuple.index(x): x not in tuple"
                        : Py.repr(args.getFirst()) + " is not in list");
            }
            case "count" -> {
                arity("count", args, 1, 1);
                long n = 0;
                for (Object x : l) {
                    if (Py.eq(x, args.getFirst())) n++;
                }
                return n;
            }
            default -> {
                return new ArrayList<>(l);
            }
        }
    }
}
