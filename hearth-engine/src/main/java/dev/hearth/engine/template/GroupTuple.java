package dev.hearth.engine.template;

import java.util.List;

/** An item of the groupby filter's result: a (grouper, list) tuple whose fields are also attributes. */
final class GroupTuple extends Tuple {
    GroupTuple(Object grouper, List<?> list) {
        super(grouper, list);
    }

    Object attribute(String name) {
        return switch (name) {
            case "grouper" -> get(0);
            case "list" -> get(1);
            default -> Undefined.attribute(this, name);
        };
    }
}
