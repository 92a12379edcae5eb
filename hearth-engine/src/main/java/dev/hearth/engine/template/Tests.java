package dev.hearth.engine.template;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Jinja2's built-in tests ({@code x is defined}, {@code x is divisibleby 3}, ...). */
final class Tests {
    private Tests() { }

    private static final Set<String> NAMES = Set.of("odd", "even", "divisibleby", "defined", "undefined", "filter",
            "test", "none", "boolean", "false", "true", "integer", "float", "lower", "upper", "string", "mapping",
            "number", "sequence", "iterable", "callable", "sameas", "escaped", "in", "==", "eq", "equalto", "!=", "ne",
            ">", "gt", "greaterthan", ">=", "ge", "<", "lt", "lessthan", "<=", "le");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static boolean apply(String name, Object v, List<Object> args) {
        int want = switch (name) {
            case "divisibleby", "sameas", "in", "==", "eq", "equalto", "!=", "ne", ">", "gt", "greaterthan", ">=", "ge",
                    "<", "lt", "lessthan", "<=", "le" -> 1;
            default -> 0;
        };
        if (args.size() != want) {
            throw TemplateException.runtime("test_" + name + "() takes " + (want + 1) + " positional argument"
                    + (want == 0 ? "" : "s") + " but " + (args.size() + 1) + " were given");
        }
        Object a = want == 1 ? args.getFirst() : null;
        return switch (name) {
            case "odd" -> Py.truthy(Py.eq(Py.binary("%", v, 2L), 1L));
            case "even" -> Py.truthy(Py.eq(Py.binary("%", v, 2L), 0L));
            case "divisibleby" -> Py.eq(Py.binary("%", v, a), 0L);
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "filter" -> v instanceof String s && Filters.exists(s);
            case "test" -> v instanceof String s && exists(s);
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "false" -> Boolean.FALSE.equals(v);
            case "true" -> Boolean.TRUE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "lower" -> Methods.isCased(Py.str(v), false);
            case "upper" -> Methods.isCased(Py.str(v), true);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map;
            case "number" -> Py.isNumber(v);
            // Python: has len() and __getitem__ (Undefined defines both).
            case "sequence" -> v instanceof String || (v instanceof List && !(v instanceof DictView)) || v instanceof Map
                    || v instanceof Undefined;
            case "iterable" -> Py.isIterable(v);
            case "callable" -> v instanceof PyCallable || v instanceof Undefined; // Undefined defines __call__
            case "sameas" -> v == a || (v != null && a != null && v.getClass() == a.getClass()
                    && (v instanceof Boolean || v instanceof Long l && l >= -5 && l <= 256) && v.equals(a));
            case "escaped" -> false;
            case "in" -> Py.contains(a, v);
            case "==", "eq", "equalto" -> Py.eq(v, a);
            case "!=", "ne" -> !Py.eq(v, a);
            case ">", "gt", "greaterthan" -> Py.compare(v, a, ">") > 0;
            case ">=", "ge" -> Py.compare(v, a, ">=") >= 0;
            case "<", "lt", "lessthan" -> Py.compare(v, a, "<") < 0;
            case "<=", "le" -> Py.compare(v, a, "<=") <= 0;
            default -> throw new IllegalStateException(name);
        };
    }
}
