package dev.hearth.engine.template;

import java.util.List;
import java.util.function.Function;

/** The {@code loop} variable inside a for block (Jinja2's LoopContext). */
final class LoopInfo implements PyCallable {
    private final List<Object> items;
    private final int depth0;
    private final Function<Object, String> recurse;
    int index0;
    private Object lastChanged = Py.MISSING;

    LoopInfo(List<Object> items, int depth0, Function<Object, String> recurse) {
        this.items = items;
        this.depth0 = depth0;
        this.recurse = recurse;
    }

    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.of("there is no previous item");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : Undefined.of("there is no next item");
            case "cycle" -> (PyCallable) (args, kwargs) -> {
                if (args.isEmpty()) throw TemplateException.runtime("no items for cycling given");
                return args.get(index0 % args.size());
            };
            case "changed" -> (PyCallable) (args, kwargs) -> {
                Object value = new Tuple(args.toArray());
                if (lastChanged != Py.MISSING && Py.eq(lastChanged, value)) return false;
                lastChanged = value;
                return true;
            };
            default -> Undefined.attribute(this, name);
        };
    }

    /** {@code loop(children)} in a recursive for loop renders the loop body over the children. */
    @Override
    public Object call(List<Object> args, java.util.Map<String, Object> kwargs) {
        if (recurse == null) {
            throw TemplateException.runtime("Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.");
        }
        if (args.size() != 1) throw TemplateException.runtime("loop() takes exactly one argument");
        return recurse.apply(args.getFirst());
    }
}
