package dev.hearth.engine.template;

import java.util.List;

/** Statement syntax tree: template data, output and the block tags Hugging Face chat templates use. */
sealed interface Node {

    int line();

    record Text(String text, int line) implements Node { }

    record Print(Expr expr, int line) implements Node { }

    record If(List<Expr> tests, List<List<Node>> bodies, List<Node> otherwise, int line) implements Node { }

    record For(Expr target, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise, boolean recursive,
            int line) implements Node { }

    record Set(Expr target, Expr value, int line) implements Node { }

    /** {@code {% set x | filters %}body{% endset %}}; filter is a chain with a null innermost operand, or null. */
    record SetBlock(Expr target, Expr filter, List<Node> body, int line) implements Node { }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, int line) implements Node { }

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: body becomes the callee's {@code caller}. */
    record CallBlock(List<String> params, List<Expr> defaults, Expr.Call call, List<Node> body, int line)
            implements Node { }

    record FilterBlock(Expr filter, List<Node> body, int line) implements Node { }

    record With(List<Expr> targets, List<Expr> values, List<Node> body, int line) implements Node { }

    record Break(int line) implements Node { }

    record Continue(int line) implements Node { }

    /** transformers' {@code {% generation %}} marker: renders its body unchanged. */
    record Generation(List<Node> body, int line) implements Node { }
}
