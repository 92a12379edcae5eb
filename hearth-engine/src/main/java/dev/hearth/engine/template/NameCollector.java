package dev.hearth.engine.template;

import java.util.List;

/** Collects the variable names a macro body reads, to know whether it takes caller, varargs or kwargs. */
final class NameCollector {
    private NameCollector() { }

    static void collect(List<Node> body, List<String> names) {
        for (Node n : body) collect(n, names);
    }

    private static void collect(Node node, List<String> names) {
        switch (node) {
            case Node.Text t -> { }
            case Node.Print p -> expr(p.expr(), names);
            case Node.If i -> {
                i.tests().forEach(e -> expr(e, names));
                i.bodies().forEach(b -> collect(b, names));
                collect(i.otherwise(), names);
            }
            case Node.For f -> {
                expr(f.iterable(), names);
                expr(f.filter(), names);
                collect(f.body(), names);
                collect(f.otherwise(), names);
            }
            case Node.Set s -> expr(s.value(), names);
            case Node.SetBlock s -> {
                expr(s.filter(), names);
                collect(s.body(), names);
            }
            case Node.Macro m -> { }
            case Node.CallBlock c -> expr(c.call(), names);
            case Node.FilterBlock f -> {
                expr(f.filter(), names);
                collect(f.body(), names);
            }
            case Node.With w -> {
                w.values().forEach(e -> expr(e, names));
                collect(w.body(), names);
            }
            case Node.Break b -> { }
            case Node.Continue c -> { }
            case Node.Generation g -> collect(g.body(), names);
        }
    }

    private static void args(Expr.Args a, List<String> names) {
        a.positional().forEach(e -> expr(e, names));
        a.values().forEach(e -> expr(e, names));
        expr(a.star(), names);
        expr(a.starStar(), names);
    }

    private static void expr(Expr e, List<String> names) {
        switch (e) {
            case null -> { }
            case Expr.Const c -> { }
            case Expr.Name n -> names.add(n.name());
            case Expr.ListLit l -> l.items().forEach(x -> expr(x, names));
            case Expr.TupleLit t -> t.items().forEach(x -> expr(x, names));
            case Expr.DictLit d -> {
                d.keys().forEach(x -> expr(x, names));
                d.values().forEach(x -> expr(x, names));
            }
            case Expr.GetAttr g -> expr(g.target(), names);
            case Expr.GetItem g -> {
                expr(g.target(), names);
                expr(g.key(), names);
            }
            case Expr.Slice s -> {
                expr(s.start(), names);
                expr(s.stop(), names);
                expr(s.step(), names);
            }
            case Expr.Call c -> {
                expr(c.callee(), names);
                args(c.args(), names);
            }
            case Expr.Filter f -> {
                expr(f.operand(), names);
                args(f.args(), names);
            }
            case Expr.Test t -> {
                expr(t.operand(), names);
                args(t.args(), names);
            }
            case Expr.Unary u -> expr(u.operand(), names);
            case Expr.Binary b -> {
                expr(b.left(), names);
                expr(b.right(), names);
            }
            case Expr.Concat c -> c.parts().forEach(x -> expr(x, names));
            case Expr.Compare c -> {
                expr(c.first(), names);
                c.operands().forEach(x -> expr(x, names));
            }
            case Expr.And a -> {
                expr(a.left(), names);
                expr(a.right(), names);
            }
            case Expr.Or o -> {
                expr(o.left(), names);
                expr(o.right(), names);
            }
            case Expr.Not n -> expr(n.operand(), names);
            case Expr.Cond c -> {
                expr(c.test(), names);
                expr(c.then(), names);
                expr(c.otherwise(), names);
            }
            case Expr.NsRef r -> names.add(r.name());
        }
    }
}
