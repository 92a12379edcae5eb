package dev.hearth.engine.template;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/** Python tuple: an immutable list that prints as {@code (a, b)} and never equals a list. */
class Tuple extends AbstractList<Object> implements RandomAccess {
    private final Object[] items;

    Tuple(Object... items) {
        this.items = items;
    }

    static Tuple of(List<?> items) {
        return new Tuple(items.toArray());
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }
}
