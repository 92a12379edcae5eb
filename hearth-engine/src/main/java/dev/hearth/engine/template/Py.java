package dev.hearth.engine.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics over the runtime representation: None = null, bool = Boolean, int = Long,
 * float = Double, str = String, list = List, tuple = {@link Tuple}, dict = Map, plus {@link Undefined},
 * {@link Namespace}, {@link LoopInfo} and {@link PyCallable}.
 */
final class Py {
    private Py() { }

    // ---- conversion of caller values

    /** Deep-converts caller-provided Java values into the runtime representation. */
    static Object fromJava(Object o) {
        return switch (o) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Double d -> d;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Float f -> (double) f;
            case java.math.BigInteger b -> b.longValueExact();
            case BigDecimal b -> b.doubleValue();
            case Number n -> n.doubleValue();
            case CharSequence cs -> cs.toString();
            case Character c -> c.toString();
            case Map<?, ?> m -> {
                Map<Object, Object> copy = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) copy.put(fromJava(e.getKey()), fromJava(e.getValue()));
                yield copy;
            }
            case Collection<?> c -> {
                List<Object> copy = new ArrayList<>(c.size());
                for (Object x : c) copy.add(fromJava(x));
                yield copy;
            }
            case Object[] a -> {
                List<Object> copy = new ArrayList<>(a.length);
                for (Object x : a) copy.add(fromJava(x));
                yield copy;
            }
            default -> o;
        };
    }

    // ---- type predicates

    static boolean isInt(Object o) {
        return o instanceof Long || o instanceof Boolean;
    }

    static boolean isNumber(Object o) {
        return o instanceof Long || o instanceof Double || o instanceof Boolean;
    }

    static long toLong(Object o) {
        if (o instanceof Boolean b) return b ? 1 : 0;
        return (Long) o;
    }

    static double toDouble(Object o) {
        if (o instanceof Boolean b) return b ? 1 : 0;
        return ((Number) o).doubleValue();
    }

    static String typeName(Object o) {
        return switch (o) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Tuple t -> "tuple";
            case DictView v -> v.kind();
            case PyIterator it -> it.typeName();
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Undefined u -> "Undefined";
            case Namespace n -> "Namespace";
            case LoopInfo l -> "LoopContext";
            case Macro m -> "Macro";
            case BoundMethod m -> "builtin_function_or_method";
            default -> "function";
        };
    }

    /** Jinja2's object_type_repr, used in undefined-attribute messages. */
    static String objectTypeRepr(Object o) {
        if (o == null) return "None";
        return switch (o) {
            case Namespace n -> "jinja2.utils.Namespace object";
            case LoopInfo l -> "jinja2.runtime.LoopContext object";
            case Macro m -> "jinja2.runtime.Macro object";
            case Undefined u -> "jinja2.runtime.Undefined object";
            default -> typeName(o) + " object";
        };
    }

    // ---- truthiness, length, iteration

    static boolean truthy(Object o) {
        return switch (o) {
            case null -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0.0;
            case String s -> !s.isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Undefined u -> false;
            default -> true;
        };
    }

    static int len(Object o) {
        return switch (o) {
            case null -> throw TemplateException.runtime("object of type 'NoneType' has no len()");
            case String s -> s.codePointCount(0, s.length());
            case Collection<?> c -> c.size();
            case Map<?, ?> m -> m.size();
            case Undefined u -> 0;
            default -> throw TemplateException.runtime("object of type " + repr(typeName(o)) + " has no len()");
        };
    }

    /** Materialises an iterable: strings iterate code points, dicts their keys, undefined nothing. */
    static List<Object> iterate(Object o) {
        return switch (o) {
            case null -> throw TemplateException.runtime("'NoneType' object is not iterable");
            case List<?> l -> {
                @SuppressWarnings("unchecked") List<Object> list = (List<Object>) l;
                yield list;
            }
            case Collection<?> c -> new ArrayList<>(c);
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case PyIterator it -> it.consume();
            case String s -> {
                List<Object> chars = new ArrayList<>(s.length());
                s.codePoints().forEach(cp -> chars.add(Character.toString(cp)));
                yield chars;
            }
            case Undefined u -> List.of();
            default -> throw TemplateException.runtime(repr(typeName(o)) + " object is not iterable");
        };
    }

    static boolean isIterable(Object o) {
        return o instanceof Collection || o instanceof Map || o instanceof String || o instanceof Undefined
                || o instanceof PyIterator;
    }

    // ---- str / repr

    /** Python's str(); undefined prints as empty, as Jinja's default Undefined does. */
    static String str(Object o) {
        return switch (o) {
            case null -> "None";
            case String s -> s;
            case Undefined u -> "";
            default -> repr(o);
        };
    }

    static String repr(Object o) {
        StringBuilder b = new StringBuilder();
        repr(o, b);
        return b.toString();
    }

    private static void repr(Object o, StringBuilder b) {
        switch (o) {
            case null -> b.append("None");
            case Boolean bool -> b.append(bool ? "True" : "False");
            case Long l -> b.append(l);
            case Double d -> b.append(floatRepr(d));
            case String s -> reprString(s, b);
            case DictView v -> b.append(v);
            case Tuple t -> {
                b.append('(');
                for (int i = 0; i < t.size(); i++) {
                    if (i > 0) b.append(", ");
                    repr(t.get(i), b);
                }
                if (t.size() == 1) b.append(',');
                b.append(')');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(", ");
                    repr(l.get(i), b);
                }
                b.append(']');
            }
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(", ");
                    first = false;
                    repr(e.getKey(), b);
                    b.append(": ");
                    repr(e.getValue(), b);
                }
                b.append('}');
            }
            case Undefined u -> b.append("Undefined");
            default -> b.append(o);
        }
    }

    private static void reprString(String s, StringBuilder b) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        b.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (cp == quote) {
                        b.append('\\').append((char) cp);
                    } else if (isPrintable(cp)) {
                        b.appendCodePoint(cp);
                    } else if (cp < 0x100) {
                        b.append(String.format("\\x%02x", cp));
                    } else if (cp < 0x10000) {
                        b.append(String.format("\\u%04x", cp));
                    } else {
                        b.append(String.format("\\U%08x", cp));
                    }
                }
            }
        }
        b.append(quote);
    }

    /** Python's str.isprintable for one code point: not a control, format, separator (other than space), etc. */
    static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Python's float repr: shortest round-tripping digits, positional for exponents -4..15, else d.ddde+XX. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return 1 / d < 0 ? "-0.0" : "0.0";
        // Double.toString yields the shortest uniquely-identifying decimal (JDK 19+), as Python's repr does.
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale();
        StringBuilder b = new StringBuilder();
        if (d < 0) b.append('-');
        if (exp >= -4 && exp < 16) {
            if (exp >= 0) {
                if (digits.length() <= exp + 1) {
                    b.append(digits).append("0".repeat(exp + 1 - digits.length())).append(".0");
                } else {
                    b.append(digits, 0, exp + 1).append('.').append(digits, exp + 1, digits.length());
                }
            } else {
                b.append("0.").append("0".repeat(-exp - 1)).append(digits);
            }
        } else {
            b.append(digits.charAt(0));
            if (digits.length() > 1) b.append('.').append(digits, 1, digits.length());
            b.append('e').append(exp < 0 ? '-' : '+');
            int a = Math.abs(exp);
            if (a < 10) b.append('0');
            b.append(a);
        }
        return b.toString();
    }

    // ---- whitespace (Python's str.isspace set)

    static boolean isSpace(int c) {
        return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f
                || c == 0x3000;
    }

    static boolean isSpace(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!isSpace(s.charAt(i))) return false;
        }
        return true;
    }

    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) end--;
        return s.substring(0, end);
    }

    // ---- equality and ordering

    static boolean eq(Object a, Object b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return toDouble(a) == toDouble(b);
            return toLong(a) == toLong(b);
        }
        if (a instanceof String s) return s.equals(b);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) {
                if (!eq(x.get(i), y.get(i))) return false;
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                Object key = findKey(y, e.getKey());
                if (key == MISSING || !eq(e.getValue(), y.get(key))) return false;
            }
            return true;
        }
        if (a instanceof Undefined && b instanceof Undefined) return true;
        return a.equals(b);
    }

    static final Object MISSING = new Object();

    /** The key of {@code m} equal (in Python's sense) to {@code key}, or MISSING. */
    static Object findKey(Map<?, ?> m, Object key) {
        if (m.containsKey(key)) return key;
        if (isNumber(key)) {
            for (Object k : m.keySet()) {
                if (isNumber(k) && eq(k, key)) return k;
            }
        }
        return MISSING;
    }

    /** Python dict keys must be hashable: lists, dicts (and undefined-free tuples of them) are not. */
    static Object hashable(Object key) {
        if ((key instanceof List && !(key instanceof Tuple)) || key instanceof Map || key instanceof Namespace) {
            throw TemplateException.runtime("unhashable type: " + repr(typeName(key)));
        }
        return key;
    }

    static int compare(Object a, Object b, String op) {
        if (a instanceof Undefined u) throw u.fail();
        if (b instanceof Undefined u) throw u.fail();
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return Double.compare(toDouble(a), toDouble(b));
            return Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
        if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i), op);
            }
            return Integer.compare(x.size(), y.size());
        }
        throw TemplateException.runtime("'" + op + "' not supported between instances of " + repr(typeName(a))
                + " and " + repr(typeName(b)));
    }

    static int compareCodePoints(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i);
            int b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(x.length() - i, y.length() - j);
    }

    static boolean contains(Object container, Object item) {
        return switch (container) {
            case null -> throw TemplateException.runtime("argument of type 'NoneType' is not iterable");
            case String s -> {
                if (item instanceof Undefined u) throw u.fail();
                if (!(item instanceof String needle)) {
                    throw TemplateException.runtime("'in <string>' requires string as left operand, not " + typeName(item));
                }
                yield s.contains(needle);
            }
            case Map<?, ?> m -> findKey(m, hashable(item)) != MISSING;
            case Collection<?> c -> {
                for (Object x : c) {
                    if (eq(x, item)) yield true;
                }
                yield false;
            }
            case Undefined u -> false;
            default -> throw TemplateException.runtime("argument of type " + repr(typeName(container)) + " is not iterable");
        };
    }

    // ---- arithmetic

    static Object binary(String op, Object a, Object b) {
        if (op.equals("%") && a instanceof String s) return PyFormat.percent(s, b);
        if (a instanceof Undefined u) throw u.fail();
        if (b instanceof Undefined u) throw u.fail();
        boolean numbers = isNumber(a) && isNumber(b);
        boolean ints = numbers && isInt(a) && isInt(b);
        switch (op) {
            case "+" -> {
                if (ints) return exact(() -> Math.addExact(toLong(a), toLong(b)));
                if (numbers) return toDouble(a) + toDouble(b);
                if (a instanceof String x && b instanceof String y) return x + y;
                if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof Tuple) == (b instanceof Tuple)) {
                    List<Object> r = new ArrayList<>(x);
                    r.addAll(y);
                    return a instanceof Tuple ? Tuple.of(r) : r;
                }
                if (a instanceof String || (a instanceof List && !(b instanceof List))) {
                    throw TemplateException.runtime("can only concatenate " + typeName(a) + " (not \"" + typeName(b)
                            + "\") to " + typeName(a));
                }
            }
            case "-" -> {
                if (ints) return exact(() -> Math.subtractExact(toLong(a), toLong(b)));
                if (numbers) return toDouble(a) - toDouble(b);
            }
            case "*" -> {
                if (ints) return exact(() -> Math.multiplyExact(toLong(a), toLong(b)));
                if (numbers) return toDouble(a) * toDouble(b);
                if (a instanceof String s && isInt(b)) return s.repeat(repeatCount(s.length(), toLong(b)));
                if (b instanceof String s && isInt(a)) return s.repeat(repeatCount(s.length(), toLong(a)));
                if (a instanceof List<?> l && isInt(b)) return repeat(l, toLong(b), a instanceof Tuple);
                if (b instanceof List<?> l && isInt(a)) return repeat(l, toLong(a), b instanceof Tuple);
            }
            case "/" -> {
                if (numbers) {
                    if (toDouble(b) == 0) throw TemplateException.runtime(ints ? "division by zero" : "float division by zero");
                    return toDouble(a) / toDouble(b);
                }
            }
            case "//" -> {
                if (ints) {
                    if (toLong(b) == 0) throw TemplateException.runtime("integer division or modulo by zero");
                    return Math.floorDiv(toLong(a), toLong(b));
                }
                if (numbers) {
                    if (toDouble(b) == 0) throw TemplateException.runtime("float floor division by zero");
                    return Math.floor(toDouble(a) / toDouble(b));
                }
            }
            case "%" -> {
                if (ints) {
                    if (toLong(b) == 0) throw TemplateException.runtime("integer modulo by zero");
                    return Math.floorMod(toLong(a), toLong(b));
                }
                if (numbers) {
                    double x = toDouble(a);
                    double y = toDouble(b);
                    if (y == 0) throw TemplateException.runtime("float modulo");
                    double r = x % y;
                    if (r != 0 && (r < 0) != (y < 0)) r += y;
                    return r;
                }
                if (a instanceof String s) return PyFormat.percent(s, b);
            }
            case "**" -> {
                if (ints && toLong(b) >= 0) return exact(() -> powExact(toLong(a), toLong(b)));
                if (numbers) {
                    double base = toDouble(a);
                    double exp = toDouble(b);
                    if (base < 0 && exp != Math.rint(exp)) {
                        throw TemplateException.runtime("complex numbers are not supported (negative base ** fractional exponent)");
                    }
                    if (base == 0 && exp < 0) {
                        throw TemplateException.runtime("0.0 cannot be raised to a negative power");
                    }
                    return Math.pow(base, exp);
                }
            }
            default -> throw new IllegalStateException(op);
        }
        throw TemplateException.runtime("unsupported operand type(s) for " + op + ": " + repr(typeName(a)) + " and "
                + repr(typeName(b)));
    }

    /** Python would try to allocate it; a template asking for gigabytes gets an error instead. */
    private static int repeatCount(int size, long times) {
        if (times <= 0 || size == 0) return 0;
        if (times > 10_000_000 / size) throw TemplateException.runtime("MemoryError: repetition result too large");
        return (int) times;
    }

    private static List<Object> repeat(List<?> l, long times, boolean tuple) {
        times = repeatCount(l.size(), times);
        List<Object> r = new ArrayList<>();
        for (long i = 0; i < times; i++) r.addAll(l);
        return tuple ? Tuple.of(r) : r;
    }

    private static long powExact(long base, long exp) {
        long result = 1;
        for (long i = 0; i < exp; i++) result = Math.multiplyExact(result, base);
        return result;
    }

    private interface LongOp {
        long apply();
    }

    private static Object exact(LongOp op) {
        try {
            return op.apply();
        } catch (ArithmeticException e) {
            throw TemplateException.runtime("integer overflow (Hearth integers are 64-bit)");
        }
    }

    static Object negate(Object a) {
        if (a instanceof Undefined u) throw u.fail();
        if (isInt(a)) return exact(() -> Math.negateExact(toLong(a)));
        if (a instanceof Double d) return -d;
        throw TemplateException.runtime("bad operand type for unary -: " + repr(typeName(a)));
    }

    static Object plus(Object a) {
        if (a instanceof Undefined u) throw u.fail();
        if (isInt(a)) return toLong(a);
        if (a instanceof Double) return a;
        throw TemplateException.runtime("bad operand type for unary +: " + repr(typeName(a)));
    }

    // ---- attribute and item access (Jinja's sandboxed getattr / getitem)

    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) throw u.fail();
        if (name.startsWith("_")) return Undefined.unsafe(obj, name);
        switch (obj) {
            case Namespace ns -> {
                return ns.attrs.containsKey(name) ? ns.attrs.get(name) : Undefined.attribute(obj, name);
            }
            case LoopInfo loop -> {
                return loop.attribute(name);
            }
            case GroupTuple g -> {
                Object method = Methods.bind(obj, name);
                return method != null ? method : g.attribute(name);
            }
            case Map<?, ?> m -> {
                Object method = Methods.bind(obj, name);
                if (method != null) return method;
                Object key = findKey(m, name);
                return key != MISSING ? m.get(key) : Undefined.attribute(obj, name);
            }
            case null -> {
                return Undefined.attribute(null, name);
            }
            default -> {
                Object method = Methods.bind(obj, name);
                return method != null ? method : Undefined.attribute(obj, name);
            }
        }
    }

    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) throw u.fail();
        if (key instanceof Undefined u) {
            if (obj instanceof Map<?, ?>) return Undefined.element(obj, key);
            throw u.fail();
        }
        switch (obj) {
            case null -> { }
            case DictView v -> { }
            case Map<?, ?> m -> {
                Object k = findKey(m, key);
                if (k != MISSING) return m.get(k);
            }
            case List<?> l -> {
                if (isInt(key)) {
                    long i = toLong(key);
                    if (i < 0) i += l.size();
                    if (i >= 0 && i < l.size()) return l.get((int) i);
                    return Undefined.element(obj, key);
                }
            }
            case String s -> {
                if (isInt(key)) {
                    int n = s.codePointCount(0, s.length());
                    long i = toLong(key);
                    if (i < 0) i += n;
                    if (i >= 0 && i < n) {
                        int at = s.offsetByCodePoints(0, (int) i);
                        return s.substring(at, s.offsetByCodePoints(at, 1));
                    }
                    return Undefined.element(obj, key);
                }
            }
            case LoopInfo loop -> {
                if (key instanceof String name) return loop.attribute(name);
            }
            case Namespace ns -> { }
            default -> { }
        }
        if (key instanceof String name) {
            if (name.startsWith("_")) return Undefined.unsafe(obj, name);
            if (obj instanceof Namespace ns) return getattr(ns, name);
            Object method = Methods.bind(obj, name);
            if (method != null) return method;
        }
        return Undefined.element(obj, key);
    }

    /** Python slicing {@code obj[start:stop:step]} of a list, tuple or string. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        if (obj instanceof Undefined u) throw u.fail();
        long st = step == null ? 1 : sliceIndex(step);
        if (st == 0) throw TemplateException.runtime("slice step cannot be zero");
        List<Object> items;
        if (obj instanceof String s) items = iterate(s);
        else if (obj instanceof List<?> l && !(obj instanceof DictView)) items = iterate(l);
        // Jinja compiles slices to a plain Python subscript, so other types raise instead of going undefined.
        else if (obj instanceof Map<?, ?>) throw TemplateException.runtime("unhashable type: 'slice'");
        else throw TemplateException.runtime(repr(typeName(obj)) + " object is not subscriptable");
        int n = items.size();
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(sliceIndex(start), n, 0, n);
            hi = stop == null ? n : clamp(sliceIndex(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(sliceIndex(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(sliceIndex(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) {
            for (long i = lo; i < hi; i += st) out.add(items.get((int) i));
        } else {
            for (long i = lo; i > hi; i += st) out.add(items.get((int) i));
        }
        if (obj instanceof String) {
            StringBuilder b = new StringBuilder();
            for (Object c : out) b.append((String) c);
            return b.toString();
        }
        return obj instanceof Tuple ? Tuple.of(out) : out;
    }

    private static long sliceIndex(Object o) {
        if (o instanceof Undefined u) throw u.fail();
        if (!isInt(o)) {
            throw TemplateException.runtime("slice indices must be integers or None or have an __index__ method");
        }
        return toLong(o);
    }

    private static long clamp(long i, int n, long min, long max) {
        if (i < 0) i += n;
        return Math.max(min, Math.min(max, i));
    }

    static Object call(Object callee, List<Object> args, Map<String, Object> kwargs) {
        if (callee instanceof Undefined u) throw u.fail();
        if (callee instanceof PyCallable c) return c.call(args, kwargs);
        throw TemplateException.runtime(repr(typeName(callee)) + " object is not callable");
    }
}
