package dev.hearth.engine.template;

import java.util.List;
import java.util.Map;

/** A Python method bound to its receiver, e.g. {@code message.content.strip}. */
record BoundMethod(PyCallable method) implements PyCallable {
    @Override
    public Object call(List<Object> args, Map<String, Object> kwargs) {
        return method.call(args, kwargs);
    }

    @Override
    public String toString() {
        return "<built-in method>";
    }
}
