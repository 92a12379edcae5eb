package dev.hearth.engine.template;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tree-walking interpreter for a parsed template. One instance per render call: it holds the globals and the
 * clock {@code strftime_now} reads. Scoping follows Jinja2: each for-loop iteration, macro call and with block
 * gets a child scope (so {@code set} inside a loop does not leak out), if blocks do not.
 */
final class Renderer {

    /** A variable scope; lookups walk outwards to the globals. */
    static final class Scope {
        private final Scope parent;
        private final Map<String, Object> vars;

        Scope(Scope parent) {
            this(parent, new HashMap<>(8));
        }

        private Scope(Scope parent, Map<String, Object> vars) {
            this.parent = parent;
            this.vars = vars;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.get(name);
                if (v != null || s.vars.containsKey(name)) return v;
            }
            return Py.MISSING;
        }

        void set(String name, Object value) {
            vars.put(name, value);
        }
    }

    private enum Signal { NORMAL, BREAK, CONTINUE }

    private final Clock clock;

    Renderer(Clock clock) {
        this.clock = clock;
    }

    String render(List<Node> template, Map<String, ?> context) {
        Map<String, Object> globals = new HashMap<>();
        installGlobals(globals);
        for (Map.Entry<String, ?> e : context.entrySet()) globals.put(e.getKey(), Py.fromJava(e.getValue()));
        Scope top = new Scope(new Scope(null, globals));
        StringBuilder out = new StringBuilder(1024);
        execute(template, top, out);
        return out.toString();
    }

    private void installGlobals(Map<String, Object> g) {
        g.put("range", (PyCallable) (args, kwargs) -> range(args));
        g.put("dict", (PyCallable) (args, kwargs) -> {
            Map<Object, Object> d = new LinkedHashMap<>();
            if (!args.isEmpty() && args.getFirst() instanceof Map<?, ?> m) d.putAll(m);
            d.putAll(kwargs);
            return d;
        });
        g.put("namespace", (PyCallable) (args, kwargs) -> {
            Namespace ns = new Namespace();
            if (!args.isEmpty() && args.getFirst() instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> e : m.entrySet()) ns.attrs.put(Py.str(e.getKey()), e.getValue());
            }
            ns.attrs.putAll(kwargs);
            return ns;
        });
        g.put("joiner", (PyCallable) (args, kwargs) -> {
            String sep = args.isEmpty() ? Py.str(kwargs.getOrDefault("sep", ", ")) : Py.str(args.getFirst());
            boolean[] used = {false};
            return (PyCallable) (a, k) -> {
                if (used[0]) return sep;
                used[0] = true;
                return "";
            };
        });
        g.put("raise_exception", (PyCallable) (args, kwargs) -> {
            throw new TemplateException(TemplateException.Kind.RAISED, args.isEmpty() ? "" : Py.str(args.getFirst()));
        });
        g.put("strftime_now", (PyCallable) (args, kwargs) -> {
            Methods.arity("strftime_now", args, 1, 1);
            return PyFormat.strftime(Py.str(args.getFirst()), LocalDateTime.now(clock));
        });
    }

    private static Object range(List<Object> args) {
        Methods.arity("range", args, 1, 3);
        for (Object a : args) {
            if (a instanceof Undefined u) throw u.fail();
            if (!Py.isInt(a)) {
                throw TemplateException.runtime(Py.repr(Py.typeName(a)) + " object cannot be interpreted as an integer");
            }
        }
        long start = args.size() > 1 ? Py.toLong(args.get(0)) : 0;
        long stop = args.size() > 1 ? Py.toLong(args.get(1)) : Py.toLong(args.get(0));
        long step = args.size() > 2 ? Py.toLong(args.get(2)) : 1;
        if (step == 0) throw TemplateException.runtime("range() arg 3 must not be zero");
        long count = step > 0 ? Math.max(0, (stop - start + step - 1) / step) : Math.max(0, (start - stop - step - 1) / -step);
        if (count > 100_000) {
            throw TemplateException.runtime("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        }
        List<Object> out = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) out.add(start + i * step);
        return out;
    }

    // ---- statements

    Signal execute(List<Node> body, Scope scope, StringBuilder out) {
        for (Node node : body) {
            Signal s;
            try {
                s = execute(node, scope, out);
            } catch (TemplateException e) {
                e.lineIfUnknown(node.line());
                throw e;
            } catch (StackOverflowError e) {
                throw new TemplateException(TemplateException.Kind.RUNTIME, "maximum recursion depth exceeded", node.line());
            }
            if (s != Signal.NORMAL) return s;
        }
        return Signal.NORMAL;
    }

    private Signal execute(Node node, Scope scope, StringBuilder out) {
        switch (node) {
            case Node.Text t -> out.append(t.text());
            case Node.Print p -> out.append(Py.str(eval(p.expr(), scope)));
            case Node.If i -> {
                for (int k = 0; k < i.tests().size(); k++) {
                    if (Py.truthy(eval(i.tests().get(k), scope))) return execute(i.bodies().get(k), scope, out);
                }
                return execute(i.otherwise(), scope, out);
            }
            case Node.For f -> renderLoop(f, eval(f.iterable(), scope), scope, out, 0);
            case Node.Set s -> assign(s.target(), eval(s.value(), scope), scope);
            case Node.SetBlock s -> {
                StringBuilder body = new StringBuilder();
                execute(s.body(), new Scope(scope), body);
                Object value = s.filter() == null ? body.toString() : applyFilter((Expr.Filter) s.filter(), scope, body.toString());
                assign(s.target(), value, scope);
            }
            case Node.Macro m -> scope.set(m.name(), macro(m.name(), m.params(), m.defaults(), m.body(), scope));
            case Node.CallBlock c -> {
                Macro caller = macro("caller", c.params(), c.defaults(), c.body(), scope);
                Object callee = eval(c.call().callee(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(c.call().args(), scope, args, kwargs);
                kwargs.put("caller", caller);
                out.append(Py.str(Py.call(callee, args, kwargs)));
            }
            case Node.FilterBlock f -> {
                StringBuilder body = new StringBuilder();
                execute(f.body(), new Scope(scope), body);
                out.append(Py.str(applyFilter((Expr.Filter) f.filter(), scope, body.toString())));
            }
            case Node.With w -> {
                Scope inner = new Scope(scope);
                for (int k = 0; k < w.targets().size(); k++) assign(w.targets().get(k), eval(w.values().get(k), scope), inner);
                return execute(w.body(), inner, out);
            }
            case Node.Break b -> {
                return Signal.BREAK;
            }
            case Node.Continue c -> {
                return Signal.CONTINUE;
            }
            case Node.Generation g -> {
                return execute(g.body(), new Scope(scope), out);
            }
        }
        return Signal.NORMAL;
    }

    private Macro macro(String name, List<String> params, List<Expr> defaults, List<Node> body, Scope scope) {
        List<String> used = Macro.referencedNames(body);
        return new Macro(name, params, defaults, body, scope, this, used.contains("caller"), used.contains("varargs"),
                used.contains("kwargs"));
    }

    private void renderLoop(Node.For f, Object iterable, Scope scope, StringBuilder out, int depth) {
        List<Object> items = Py.iterate(iterable);
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = new Scope(scope);
                assign(f.target(), item, s);
                if (Py.truthy(eval(f.filter(), s))) kept.add(item);
            }
            items = kept;
        } else if (iterable instanceof List<?>) {
            items = new ArrayList<>(items); // the body may not see later mutation; cheap shallow copy
        }
        LoopInfo loop = new LoopInfo(items, depth, f.recursive() ? children -> {
            StringBuilder sb = new StringBuilder();
            renderLoop(f, children, scope, sb, depth + 1);
            return sb.toString();
        } : null);
        for (int i = 0; i < items.size(); i++) {
            loop.index0 = i;
            Scope s = new Scope(scope);
            s.set("loop", loop);
            assign(f.target(), items.get(i), s);
            if (execute(f.body(), s, out) == Signal.BREAK) break;
        }
        if (items.isEmpty()) execute(f.otherwise(), new Scope(scope), out);
    }

    private void assign(Expr target, Object value, Scope scope) {
        switch (target) {
            case Expr.Name n -> scope.set(n.name(), value);
            case Expr.TupleLit t -> {
                List<Object> items = Py.iterate(value);
                int want = t.items().size();
                if (items.size() > want) throw TemplateException.runtime("too many values to unpack (expected " + want + ")");
                if (items.size() < want) {
                    throw TemplateException.runtime("not enough values to unpack (expected " + want + ", got " + items.size() + ")");
                }
                for (int i = 0; i < want; i++) assign(t.items().get(i), items.get(i), scope);
            }
            case Expr.NsRef r -> {
                Object ns = scope.lookup(r.name());
                if (!(ns instanceof Namespace namespace)) {
                    throw TemplateException.runtime("cannot assign attribute on non-namespace object");
                }
                namespace.attrs.put(r.attr(), value);
            }
            default -> throw TemplateException.runtime("can't assign to " + target.getClass().getSimpleName());
        }
    }

    // ---- expressions

    Object eval(Expr e, Scope scope) {
        switch (e) {
            case Expr.Const c -> {
                return c.value();
            }
            case Expr.Name n -> {
                Object v = scope.lookup(n.name());
                return v == Py.MISSING ? Undefined.name(n.name()) : v;
            }
            case Expr.ListLit l -> {
                List<Object> out = new ArrayList<>(l.items().size());
                for (Expr x : l.items()) out.add(eval(x, scope));
                return out;
            }
            case Expr.TupleLit t -> {
                Object[] out = new Object[t.items().size()];
                for (int i = 0; i < out.length; i++) out[i] = eval(t.items().get(i), scope);
                return new Tuple(out);
            }
            case Expr.DictLit d -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object key = Py.hashable(eval(d.keys().get(i), scope));
                    Object existing = Py.findKey(out, key);
                    out.put(existing == Py.MISSING ? key : existing, eval(d.values().get(i), scope));
                }
                return out;
            }
            case Expr.GetAttr g -> {
                return Py.getattr(eval(g.target(), scope), g.name());
            }
            case Expr.GetItem g -> {
                Object target = eval(g.target(), scope);
                if (g.key() instanceof Expr.Slice s) {
                    return Py.slice(target, s.start() == null ? null : eval(s.start(), scope),
                            s.stop() == null ? null : eval(s.stop(), scope), s.step() == null ? null : eval(s.step(), scope));
                }
                return Py.getitem(target, eval(g.key(), scope));
            }
            case Expr.Slice s -> throw TemplateException.runtime("slice outside of a subscript");
            case Expr.Call c -> {
                Object callee = eval(c.callee(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(c.args(), scope, args, kwargs);
                return Py.call(callee, args, kwargs);
            }
            case Expr.Filter f -> {
                return applyFilter(f, scope, null);
            }
            case Expr.Test t -> {
                Object v = eval(t.operand(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(t.args(), scope, args, kwargs);
                return Tests.apply(t.name(), v, args);
            }
            case Expr.Unary u -> {
                Object v = eval(u.operand(), scope);
                return u.op().equals("-") ? Py.negate(v) : Py.plus(v);
            }
            case Expr.Binary b -> {
                return Py.binary(b.op(), eval(b.left(), scope), eval(b.right(), scope));
            }
            case Expr.Concat c -> {
                StringBuilder sb = new StringBuilder();
                for (Expr p : c.parts()) sb.append(Py.str(eval(p, scope)));
                return sb.toString();
            }
            case Expr.Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.operands().get(i), scope);
                    if (!compare(c.ops().get(i), left, right)) return false;
                    left = right;
                }
                return true;
            }
            case Expr.And a -> {
                Object left = eval(a.left(), scope);
                return Py.truthy(left) ? eval(a.right(), scope) : left;
            }
            case Expr.Or o -> {
                Object left = eval(o.left(), scope);
                return Py.truthy(left) ? left : eval(o.right(), scope);
            }
            case Expr.Not n -> {
                return !Py.truthy(eval(n.operand(), scope));
            }
            case Expr.Cond c -> {
                if (Py.truthy(eval(c.test(), scope))) return eval(c.then(), scope);
                return c.otherwise() == null
                        ? Undefined.of("the inline if-expression evaluated to false and no else section was defined.")
                        : eval(c.otherwise(), scope);
            }
            case Expr.NsRef r -> throw TemplateException.runtime("namespace reference outside of an assignment");
        }
    }

    private static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> Py.eq(a, b);
            case "!=" -> !Py.eq(a, b);
            case "<" -> Py.compare(a, b, op) < 0;
            case "<=" -> Py.compare(a, b, op) <= 0;
            case ">" -> Py.compare(a, b, op) > 0;
            case ">=" -> Py.compare(a, b, op) >= 0;
            case "in" -> Py.contains(b, a);
            case "notin" -> !Py.contains(b, a);
            default -> throw new IllegalStateException(op);
        };
    }

    /** Applies a filter chain; a null innermost operand stands for {@code input} (a filter block's body). */
    private Object applyFilter(Expr.Filter f, Scope scope, Object input) {
        Object value;
        if (f.operand() == null) value = input;
        else if (f.operand() instanceof Expr.Filter inner) value = applyFilter(inner, scope, input);
        else value = eval(f.operand(), scope);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(f.args(), scope, args, kwargs);
        return Filters.apply(f.name(), value, args, kwargs);
    }

    private void evalArgs(Expr.Args a, Scope scope, List<Object> args, Map<String, Object> kwargs) {
        for (Expr x : a.positional()) args.add(eval(x, scope));
        for (int i = 0; i < a.names().size(); i++) kwargs.put(a.names().get(i), eval(a.values().get(i), scope));
        if (a.star() != null) args.addAll(Py.iterate(eval(a.star(), scope)));
        if (a.starStar() != null) {
            Object m = eval(a.starStar(), scope);
            if (!(m instanceof Map<?, ?> map)) throw TemplateException.runtime("argument after ** must be a mapping, not " + Py.typeName(m));
            for (Map.Entry<?, ?> e : map.entrySet()) kwargs.put(Py.str(e.getKey()), e.getValue());
        }
    }
}
