package dev.hearth.engine.template;

import java.util.AbstractList;
import java.util.List;

/** Result of dict.keys()/values()/items(): sized and iterable but not subscriptable; prints as dict_items([...]). */
final class DictView extends AbstractList<Object> {
    private final String kind;
    private final List<Object> items;

    DictView(String kind, List<Object> items) {
        this.kind = kind;
        this.items = items;
    }

    String kind() {
        return kind;
    }

    @Override
    public Object get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public String toString() {
        return kind + "(" + Py.repr(new java.util.ArrayList<>(items)) + ")";
    }
}
