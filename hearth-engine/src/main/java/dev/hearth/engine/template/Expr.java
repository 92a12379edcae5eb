package dev.hearth.engine.template;

import java.util.List;

/** Expression syntax tree, one record per Jinja2 expression node. */
sealed interface Expr {

    /** Positional and keyword arguments of a call, filter or test ({@code *args}/{@code **kwargs} optional). */
    record Args(List<Expr> positional, List<String> names, List<Expr> values, Expr star, Expr starStar) {
        static final Args NONE = new Args(List.of(), List.of(), List.of(), null, null);
    }

    record Const(Object value) implements Expr { }

    record Name(String name, int line) implements Expr { }

    record ListLit(List<Expr> items) implements Expr { }

    record TupleLit(List<Expr> items) implements Expr { }

    record DictLit(List<Expr> keys, List<Expr> values) implements Expr { }

    record GetAttr(Expr target, String name) implements Expr { }

    record GetItem(Expr target, Expr key) implements Expr { }

    /** Only appears as the key of a {@link GetItem}; absent bounds are null. */
    record Slice(Expr start, Expr stop, Expr step) implements Expr { }

    record Call(Expr callee, Args args) implements Expr { }

    /** {@code operand} is null for the filter chain of a filter block or block set (applied to the body). */
    record Filter(Expr operand, String name, Args args, int line) implements Expr { }

    record Test(Expr operand, String name, Args args, int line) implements Expr { }

    record Unary(String op, Expr operand) implements Expr { }

    record Binary(String op, Expr left, Expr right) implements Expr { }

    record Concat(List<Expr> parts) implements Expr { }

    /** Chained comparison: {@code first ops[0] operands[0] ops[1] operands[1] ...}. */
    record Compare(Expr first, List<String> ops, List<Expr> operands) implements Expr { }

    record And(Expr left, Expr right) implements Expr { }

    record Or(Expr left, Expr right) implements Expr { }

    record Not(Expr operand) implements Expr { }

    /** {@code then if test else otherwise}; a missing else yields undefined. */
    record Cond(Expr test, Expr then, Expr otherwise) implements Expr { }

    /** Assignment target {@code ns.attr} of a set statement. */
    record NsRef(String name, String attr) implements Expr { }
}
