package dev.hearth.engine.template;

import dev.hearth.engine.template.Lexer.Kind;
import dev.hearth.engine.template.Lexer.Token;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive-descent parser following Jinja2's parser.py grammar and precedence (and its error messages). */
final class Parser {

    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final List<Token> tokens;
    private int index;
    private final List<List<String>> endTokenStack = new ArrayList<>();
    private final List<String> tagStack = new ArrayList<>();
    private int loopDepth;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        List<Node> body = p.subparse(null);
        if (p.current().kind() != Kind.EOF) throw p.fail("unexpected " + describe(p.current()), p.current());
        return body;
    }

    // ---- token stream

    private Token current() {
        return tokens.get(index);
    }

    private Token look() {
        return tokens.get(Math.min(index + 1, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(index);
        if (index < tokens.size() - 1) index++;
        return t;
    }

    private boolean skipOp(String op) {
        if (current().isOp(op)) {
            next();
            return true;
        }
        return false;
    }

    private boolean skipName(String name) {
        if (current().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    private Token expect(Kind kind, String description) {
        Token t = current();
        if (t.kind() != kind) throw unexpected(t, description);
        return next();
    }

    private Token expectOp(String op) {
        Token t = current();
        if (!t.isOp(op)) throw unexpected(t, "'" + op + "'");
        return next();
    }

    private Token expectName(String name) {
        Token t = current();
        if (!t.isName(name)) throw unexpected(t, "'" + name + "'");
        return next();
    }

    private TemplateException unexpected(Token t, String expected) {
        if (t.kind() == Kind.EOF) {
            return fail("unexpected end of template, expected " + expected + ".", t);
        }
        return fail("expected token " + expected + ", got " + Py.repr(describe(t)), t);
    }

    private TemplateException fail(String message, Token at) {
        return TemplateException.syntax(message, at.line(), at.column());
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "end of template";
            case BLOCK_END -> "end of statement block";
            case VAR_END -> "end of print statement";
            case BLOCK_BEGIN -> "begin of statement block";
            case VAR_BEGIN -> "begin of print statement";
            case DATA -> "template data / text";
            default -> t.text();
        };
    }

    // ---- statements

    private List<Node> subparse(List<String> endTokens) {
        List<Node> body = new ArrayList<>();
        if (endTokens != null) endTokenStack.add(endTokens);
        try {
            while (current().kind() != Kind.EOF) {
                Token t = current();
                switch (t.kind()) {
                    case DATA -> body.add(new Node.Text(next().text(), t.line()));
                    case VAR_BEGIN -> {
                        next();
                        Expr e = parseTuple(false, true, List.of(), false, false);
                        expect(Kind.VAR_END, "'end of print statement'");
                        body.add(new Node.Print(e, t.line()));
                    }
                    case BLOCK_BEGIN -> {
                        next();
                        if (endTokens != null && current().kind() == Kind.NAME && endTokens.contains(current().text())) {
                            return body;
                        }
                        body.add(parseStatement());
                        expect(Kind.BLOCK_END, "'end of statement block'");
                    }
                    default -> throw fail("internal parsing error", t);
                }
            }
            return body;
        } finally {
            if (endTokens != null) endTokenStack.removeLast();
        }
    }

    private List<Node> parseStatements(List<String> endTokens, boolean dropNeedle) {
        skipOp(":");
        expect(Kind.BLOCK_END, "'end of statement block'");
        List<Node> body = subparse(endTokens);
        if (current().kind() == Kind.EOF) {
            endTokenStack.add(endTokens); // Jinja's fail_eof reports the tags this block was waiting for
            throw failUnknownTag(null, current());
        }
        if (dropNeedle) next();
        return body;
    }

    private Node parseStatement() {
        Token t = current();
        if (t.kind() != Kind.NAME) throw fail("tag name expected", t);
        String tag = t.text();
        boolean known = switch (tag) {
            case "for", "if", "print", "macro", "set", "with", "call", "filter", "break", "continue", "generation" -> true;
            default -> false;
        };
        if (!known) {
            if (Set.of("block", "extends", "include", "from", "import", "autoescape").contains(tag)) {
                throw fail("the '" + tag + "' tag is not supported in chat templates", t);
            }
            throw failUnknownTag(tag, t);
        }
        tagStack.add(tag);
        try {
            return switch (tag) {
                case "for" -> parseFor();
                case "if" -> parseIf();
                case "print" -> {
                    next();
                    yield new Node.Print(parseTuple(false, true, List.of(), false, false), t.line());
                }
                case "macro" -> parseMacro();
                case "set" -> parseSet();
                case "with" -> parseWith();
                case "call" -> parseCallBlock();
                case "filter" -> {
                    next();
                    Expr filter = parseFilter(null, true);
                    yield new Node.FilterBlock(filter, parseStatements(List.of("endfilter"), true), t.line());
                }
                case "break", "continue" -> {
                    next();
                    if (loopDepth == 0) throw fail("'" + tag + "' outside loop", t);
                    yield tag.equals("break") ? new Node.Break(t.line()) : new Node.Continue(t.line());
                }
                default -> {
                    next();
                    yield new Node.Generation(parseStatements(List.of("endgeneration"), true), t.line());
                }
            };
        } finally {
            tagStack.removeLast();
        }
    }

    private TemplateException failUnknownTag(String name, Token at) {
        List<String> expected = new ArrayList<>();
        for (List<String> ends : endTokenStack) expected.addAll(ends);
        List<String> currentlyLooking = endTokenStack.isEmpty() ? null : endTokenStack.getLast();
        StringBuilder m = new StringBuilder(name == null ? "Unexpected end of template."
                : "Encountered unknown tag " + Py.repr(name) + ".");
        if (currentlyLooking != null) {
            List<String> quoted = currentlyLooking.stream().map(Py::repr).toList();
            String looking = String.join(" or ", quoted);
            if (name != null && expected.contains(name)) {
                m.append(" You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ")
                        .append(looking).append('.');
            } else {
                m.append(" Jinja was looking for the following tags: ").append(looking).append('.');
            }
        }
        if (!tagStack.isEmpty()) {
            m.append(" The innermost block that needs to be closed is ").append(Py.repr(tagStack.getLast())).append('.');
        }
        return fail(m.toString(), at);
    }

    private Node parseFor() {
        int line = expectName("for").line();
        Expr target = parseAssignTarget(true, false, List.of("in"), false);
        expectName("in");
        Expr iterable = parseTuple(false, false, List.of("recursive"), false, false);
        Expr filter = null;
        if (skipName("if")) filter = parseExpression(true);
        boolean recursive = skipName("recursive");
        loopDepth++;
        List<Node> body;
        try {
            body = parseStatements(List.of("endfor", "else"), false);
        } finally {
            loopDepth--;
        }
        List<Node> otherwise = List.of();
        if (!next().text().equals("endfor")) otherwise = parseStatements(List.of("endfor"), true);
        return new Node.For(target, iterable, filter, body, otherwise, recursive, line);
    }

    private Node parseIf() {
        int line = expectName("if").line();
        List<Expr> tests = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        List<Node> otherwise = List.of();
        while (true) {
            tests.add(parseTuple(false, false, List.of(), false, false));
            bodies.add(parseStatements(List.of("elif", "else", "endif"), false));
            Token t = next();
            if (t.isName("elif")) continue;
            if (t.isName("else")) otherwise = parseStatements(List.of("endif"), true);
            break;
        }
        return new Node.If(tests, bodies, otherwise, line);
    }

    private Node parseSet() {
        int line = next().line();
        Expr target = parseAssignTarget(true, false, List.of(), true);
        if (skipOp("=")) return new Node.Set(target, parseTuple(false, true, List.of(), false, false), line);
        Expr filter = current().isOp("|") ? parseFilter(null, false) : null;
        return new Node.SetBlock(target, filter, parseStatements(List.of("endset"), true), line);
    }

    private Node parseWith() {
        int line = next().line();
        List<Expr> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (current().kind() != Kind.BLOCK_END) {
            if (!targets.isEmpty()) expectOp(",");
            targets.add(parseAssignTarget(true, false, List.of(), false));
            expectOp("=");
            values.add(parseExpression(true));
        }
        return new Node.With(targets, values, parseStatements(List.of("endwith"), true), line);
    }

    private Node parseMacro() {
        int line = next().line();
        String name = expect(Kind.NAME, "name").text();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseSignature(params, defaults);
        int saved = loopDepth;
        loopDepth = 0;
        try {
            return new Node.Macro(name, params, defaults, parseStatements(List.of("endmacro"), true), line);
        } finally {
            loopDepth = saved;
        }
    }

    private Node parseCallBlock() {
        Token start = next();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (current().isOp("(")) parseSignature(params, defaults);
        Expr call = parseExpression(true);
        if (!(call instanceof Expr.Call c)) throw fail("expected call", start);
        int saved = loopDepth;
        loopDepth = 0;
        try {
            return new Node.CallBlock(params, defaults, c, parseStatements(List.of("endcall"), true), start.line());
        } finally {
            loopDepth = saved;
        }
    }

    private void parseSignature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!current().isOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            String name = expect(Kind.NAME, "name").text();
            if (skipOp("=")) defaults.add(parseExpression(true));
            else if (!defaults.isEmpty()) throw fail("non-default argument follows default argument", current());
            params.add(name);
        }
        expectOp(")");
    }

    private Expr parseAssignTarget(boolean withTuple, boolean nameOnly, List<String> extraEnd, boolean withNamespace) {
        Token start = current();
        Expr target;
        if (nameOnly) {
            target = new Expr.Name(expect(Kind.NAME, "name").text(), start.line());
        } else if (withTuple) {
            target = parseTuple(true, true, extraEnd, false, withNamespace);
        } else {
            target = parsePrimary(withNamespace);
        }
        if (!canAssign(target)) {
            String kind = switch (target) {
                case Expr.Const c -> "const";
                case Expr.ListLit l -> "list";
                case Expr.DictLit d -> "dict";
                default -> target.getClass().getSimpleName().toLowerCase();
            };
            throw fail("can't assign to " + Py.repr(kind), start);
        }
        return target;
    }

    private static boolean canAssign(Expr e) {
        return switch (e) {
            case Expr.Name n -> !Set.of("true", "false", "none", "True", "False", "None").contains(n.name());
            case Expr.NsRef r -> true;
            case Expr.TupleLit t -> t.items().stream().allMatch(Parser::canAssign);
            default -> false;
        };
    }

    // ---- expressions

    private Expr parseExpression(boolean withCondExpr) {
        return withCondExpr ? parseCondExpr() : parseOr();
    }

    private Expr parseCondExpr() {
        Expr expr = parseOr();
        while (skipName("if")) {
            Expr test = parseOr();
            Expr otherwise = skipName("else") ? parseCondExpr() : null;
            expr = new Expr.Cond(test, expr, otherwise);
        }
        return expr;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (skipName("or")) left = new Expr.Or(left, parseAnd());
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (skipName("and")) left = new Expr.And(left, parseNot());
        return left;
    }

    private Expr parseNot() {
        if (skipName("not")) return new Expr.Not(parseNot());
        return parseCompare();
    }

    private Expr parseCompare() {
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = current();
            if (t.kind() == Kind.OP && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (skipName("in")) {
                ops.add("in");
            } else if (t.isName("not") && look().isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            operands.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(first, ops, operands);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (current().isOp("+") || current().isOp("-")) {
            String op = next().text();
            left = new Expr.Binary(op, left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        List<Expr> parts = new ArrayList<>();
        parts.add(parseMath2());
        while (skipOp("~")) parts.add(parseMath2());
        return parts.size() == 1 ? parts.getFirst() : new Expr.Concat(parts);
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (current().kind() == Kind.OP && Set.of("*", "/", "//", "%").contains(current().text())) {
            String op = next().text();
            left = new Expr.Binary(op, left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (skipOp("**")) left = new Expr.Binary("**", left, parseUnary(true));
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Expr node;
        if (current().isOp("-") || current().isOp("+")) {
            String op = next().text();
            node = new Expr.Unary(op, parseUnary(false));
        } else {
            node = parsePrimary(false);
        }
        node = parsePostfix(node);
        if (withFilter) node = parseFilterExpr(node);
        return node;
    }

    private Expr parsePrimary(boolean withNamespace) {
        Token t = current();
        switch (t.kind()) {
            case NAME -> {
                next();
                switch (t.text()) {
                    case "true", "True" -> {
                        return new Expr.Const(Boolean.TRUE);
                    }
                    case "false", "False" -> {
                        return new Expr.Const(Boolean.FALSE);
                    }
                    case "none", "None" -> {
                        return new Expr.Const(null);
                    }
                    default -> {
                        if (withNamespace && current().isOp(".")) {
                            next();
                            return new Expr.NsRef(t.text(), expect(Kind.NAME, "name").text());
                        }
                        return new Expr.Name(t.text(), t.line());
                    }
                }
            }
            case STRING -> {
                StringBuilder b = new StringBuilder();
                while (current().kind() == Kind.STRING) b.append((String) next().value());
                return new Expr.Const(b.toString());
            }
            case INTEGER, FLOAT -> {
                return new Expr.Const(next().value());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        next();
                        Expr e = parseTuple(false, true, List.of(), true, false);
                        expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        return parseList();
                    }
                    case "{" -> {
                        return parseDict();
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw fail("unexpected " + Py.repr(describe(t)), t);
    }

    private boolean isTupleEnd(List<String> extraEnd) {
        Token t = current();
        if (t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.isOp(")")) return true;
        return t.kind() == Kind.NAME && extraEnd.contains(t.text());
    }

    private Expr parseTuple(boolean simplified, boolean withCondExpr, List<String> extraEnd, boolean explicitParens,
            boolean withNamespace) {
        List<Expr> items = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!items.isEmpty()) expectOp(",");
            if (isTupleEnd(extraEnd)) break;
            items.add(simplified ? parsePrimary(withNamespace) : parseExpression(withCondExpr));
            if (current().isOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple) {
            if (!items.isEmpty()) return items.getFirst();
            if (!explicitParens) {
                throw fail("Expected an expression, got " + Py.repr(describe(current())), current());
            }
        }
        return new Expr.TupleLit(items);
    }

    private Expr parseList() {
        expectOp("[");
        List<Expr> items = new ArrayList<>();
        while (!current().isOp("]")) {
            if (!items.isEmpty()) expectOp(",");
            if (current().isOp("]")) break;
            items.add(parseExpression(true));
        }
        expectOp("]");
        return new Expr.ListLit(items);
    }

    private Expr parseDict() {
        expectOp("{");
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!current().isOp("}")) {
            if (!keys.isEmpty()) expectOp(",");
            if (current().isOp("}")) break;
            keys.add(parseExpression(true));
            expectOp(":");
            values.add(parseExpression(true));
        }
        expectOp("}");
        return new Expr.DictLit(keys, values);
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            if (current().isOp(".") || current().isOp("[")) node = parseSubscript(node);
            else if (current().isOp("(")) node = new Expr.Call(node, parseCallArgs());
            else return node;
        }
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            if (current().isOp("|")) node = parseFilter(node, false);
            else if (current().isName("is")) node = parseTest(node);
            else if (current().isOp("(")) node = new Expr.Call(node, parseCallArgs());
            else return node;
        }
    }

    private Expr parseSubscript(Expr node) {
        Token t = next();
        if (t.isOp(".")) {
            Token attr = next();
            if (attr.kind() == Kind.NAME) return new Expr.GetAttr(node, attr.text());
            if (attr.kind() != Kind.INTEGER) throw fail("expected name or number", attr);
            return new Expr.GetItem(node, new Expr.Const(attr.value()));
        }
        List<Expr> args = new ArrayList<>();
        while (!current().isOp("]")) {
            if (!args.isEmpty()) expectOp(",");
            args.add(parseSubscribed());
        }
        expectOp("]");
        return new Expr.GetItem(node, args.size() == 1 ? args.getFirst() : new Expr.TupleLit(args));
    }

    private Expr parseSubscribed() {
        Expr start = null;
        if (current().isOp(":")) {
            next();
        } else {
            Expr e = parseExpression(true);
            if (!current().isOp(":")) return e;
            next();
            start = e;
        }
        Expr stop = null;
        if (!current().isOp(":") && !current().isOp("]") && !current().isOp(",")) stop = parseExpression(true);
        Expr step = null;
        if (current().isOp(":")) {
            next();
            if (!current().isOp("]") && !current().isOp(",")) step = parseExpression(true);
        }
        return new Expr.Slice(start, stop, step);
    }

    private Expr.Args parseCallArgs() {
        Token open = expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        Expr star = null;
        Expr starStar = null;
        boolean requireComma = false;
        while (!current().isOp(")")) {
            if (requireComma) {
                expectOp(",");
                if (current().isOp(")")) break;
            }
            if (current().isOp("*")) {
                if (star != null || starStar != null) throw fail("invalid syntax for function call expression", open);
                next();
                star = parseExpression(true);
            } else if (current().isOp("**")) {
                if (starStar != null) throw fail("invalid syntax for function call expression", open);
                next();
                starStar = parseExpression(true);
            } else if (current().kind() == Kind.NAME && look().isOp("=")) {
                if (starStar != null) throw fail("invalid syntax for function call expression", open);
                String key = next().text();
                next();
                names.add(key);
                values.add(parseExpression(true));
            } else {
                if (star != null || starStar != null || !names.isEmpty()) {
                    throw fail("invalid syntax for function call expression", open);
                }
                positional.add(parseExpression(true));
            }
            requireComma = true;
        }
        expectOp(")");
        return new Expr.Args(positional, names, values, star, starStar);
    }

    private Expr parseFilter(Expr node, boolean startInline) {
        while (current().isOp("|") || startInline) {
            if (!startInline) next();
            Token t = expect(Kind.NAME, "name");
            StringBuilder name = new StringBuilder(t.text());
            while (current().isOp(".")) {
                next();
                name.append('.').append(expect(Kind.NAME, "name").text());
            }
            if (!Filters.exists(name.toString())) {
                throw fail("No filter named " + Py.repr(name.toString()) + ".", t);
            }
            Expr.Args args = current().isOp("(") ? parseCallArgs() : Expr.Args.NONE;
            node = new Expr.Filter(node, name.toString(), args, t.line());
            startInline = false;
        }
        return node;
    }

    private Expr parseTest(Expr node) {
        Token is = next();
        boolean negated = skipName("not");
        Token t = expect(Kind.NAME, "name");
        StringBuilder name = new StringBuilder(t.text());
        while (current().isOp(".")) {
            next();
            name.append('.').append(expect(Kind.NAME, "name").text());
        }
        Expr.Args args;
        Token c = current();
        if (c.isOp("(")) {
            args = parseCallArgs();
        } else if ((c.kind() == Kind.NAME || c.kind() == Kind.STRING || c.kind() == Kind.INTEGER
                || c.kind() == Kind.FLOAT || c.isOp("(") || c.isOp("[") || c.isOp("{"))
                && !c.isName("else") && !c.isName("or") && !c.isName("and")) {
            if (c.isName("is")) throw fail("You cannot chain multiple tests with is", c);
            Expr arg = parsePostfix(parsePrimary(false));
            args = new Expr.Args(List.of(arg), List.of(), List.of(), null, null);
        } else {
            args = Expr.Args.NONE;
        }
        if (!Tests.exists(name.toString())) {
            throw fail("No test named " + Py.repr(name.toString()) + ".", t);
        }
        Expr test = new Expr.Test(node, name.toString(), args, is.line());
        return negated ? new Expr.Not(test) : test;
    }
}
