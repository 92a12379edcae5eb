package dev.hearth.engine.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A template macro bound to the scope it was defined in; calling it renders its body to a string. */
final class Macro implements PyCallable {
    private final String name;
    private final List<String> params;
    private final List<Expr> defaults;
    private final List<Node> body;
    private final Renderer.Scope closure;
    private final Renderer renderer;
    private final boolean catchVarargs;
    private final boolean catchKwargs;
    private final boolean usesCaller;

    Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, Renderer.Scope closure,
            Renderer renderer, boolean usesCaller, boolean catchVarargs, boolean catchKwargs) {
        this.name = name;
        this.params = params;
        this.defaults = defaults;
        this.body = body;
        this.closure = closure;
        this.renderer = renderer;
        this.usesCaller = usesCaller;
        this.catchVarargs = catchVarargs;
        this.catchKwargs = catchKwargs;
    }

    @Override
    public Object call(List<Object> args, Map<String, Object> kwargs) {
        Renderer.Scope scope = new Renderer.Scope(closure);
        Map<String, Object> rest = new LinkedHashMap<>(kwargs);
        int firstDefault = params.size() - defaults.size();
        if (args.size() > params.size() && !catchVarargs) {
            throw TemplateException.runtime("macro " + Py.repr(name) + " takes not more than " + params.size()
                    + " argument(s)");
        }
        for (int i = 0; i < params.size(); i++) {
            String p = params.get(i);
            Object value;
            if (i < args.size()) {
                if (rest.containsKey(p)) {
                    throw TemplateException.runtime("macro " + Py.repr(name) + " got multiple values for argument " + Py.repr(p));
                }
                value = args.get(i);
            } else if (rest.containsKey(p)) {
                value = rest.remove(p);
            } else if (i >= firstDefault) {
                value = renderer.eval(defaults.get(i - firstDefault), scope);
            } else {
                value = Undefined.of("parameter " + Py.repr(p) + " was not provided");
            }
            scope.set(p, value);
        }
        if (usesCaller) {
            Object caller = rest.remove("caller");
            scope.set("caller", caller != null ? caller : Undefined.of("No caller defined"));
        }
        if (catchVarargs) {
            scope.set("varargs", Tuple.of(args.size() > params.size() ? args.subList(params.size(), args.size()) : List.of()));
        }
        if (catchKwargs) {
            scope.set("kwargs", new LinkedHashMap<Object, Object>(rest));
        } else if (!rest.isEmpty()) {
            throw TemplateException.runtime("macro " + Py.repr(name) + " takes no keyword argument "
                    + Py.repr(rest.keySet().iterator().next()));
        }
        StringBuilder out = new StringBuilder();
        renderer.execute(body, scope, out);
        return out.toString();
    }

    @Override
    public String toString() {
        return "<Macro " + Py.repr(name) + ">";
    }

    static List<String> referencedNames(List<Node> body) {
        List<String> names = new ArrayList<>();
        NameCollector.collect(body, names);
        return names;
    }
}
