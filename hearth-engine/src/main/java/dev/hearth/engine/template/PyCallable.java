package dev.hearth.engine.template;

import java.util.List;
import java.util.Map;

/** Anything a template can call: globals like {@code range}, macros, bound Python methods, {@code loop.cycle}. */
@FunctionalInterface
interface PyCallable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
