package dev.hearth.engine.template;

import java.util.ArrayList;
import java.util.List;

/**
 * A one-shot Python iterator, which is what Jinja2's map/select/reject/unique/reverse filters return: always
 * truthy, no len(), and empty once consumed (so iterating the same filtered value twice yields nothing the
 * second time, as in Python).
 */
final class PyIterator {
    private final String typeName;
    private List<Object> remaining;

    PyIterator(String typeName, List<Object> items) {
        this.typeName = typeName;
        this.remaining = items;
    }

    String typeName() {
        return typeName;
    }

    List<Object> consume() {
        List<Object> items = remaining;
        remaining = new ArrayList<>();
        return items;
    }

    @Override
    public String toString() {
        return "<" + typeName + " object>";
    }
}
