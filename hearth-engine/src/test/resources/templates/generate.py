#!/usr/bin/env python3
"""Regenerates golden.json: Python Jinja2's rendering of every template in corpus/, models/ and Hearth's
built-in fallback formats (src/main/resources/.../template/fallback) under every
conversation in conversations.json, and of every case in snippets.txt under the snippet context.

The environment is the one transformers' apply_chat_template builds (utils/chat_template_utils.py,
_compile_jinja_template): ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the
loopcontrols extension and transformers' AssistantTracker ({% generation %}), its tojson filter
(json.dumps, ensure_ascii=False) and the raise_exception / strftime_now globals. transformers itself is not
needed; strftime_now reads the fixed clock from conversations.json so the output is deterministic.

    python3 generate.py        # from this directory; needs jinja2 (tested with 3.1.6)
"""
import copy
import datetime
import re
import json
import os
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
# Hearth's built-in formats for models without a template (ChatTemplates.Format), rendered like the others.
FALLBACK = os.path.join(HERE, "..", "..", "..", "main", "resources", "dev", "hearth", "engine", "template", "fallback")


class AssistantTracker(Extension):
    """transformers' {% generation %} block; outside training-mask mode it just renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_env(now, optimized=True):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, optimized=optimized,
                                        extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def outcome(env, source, context):
    context = copy.deepcopy(context)  # a template can mutate its context (list += str in the indent filter)
    try:
        template = env.from_string(source)
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": {"type": type(e).__name__, "message": e.message, "line": e.lineno}}
    except SyntaxError as e:  # e.g. {% break %} outside a loop fails when Python compiles the generated code
        return {"error": {"type": "TemplateSyntaxError", "message": e.msg}}
    try:
        return {"output": template.render(**context)}
    except Exception as e:  # the Java side must fail the same way
        return {"error": {"type": type(e).__name__, "message": str(e)}}


def chat_context(conv, defaults):
    ctx = {
        "messages": conv["messages"],
        "tools": conv.get("tools"),
        "documents": None,
        "add_generation_prompt": conv["add_generation_prompt"],
        "bos_token": conv.get("bos_token", defaults["bos_token"]),
        "eos_token": conv.get("eos_token", defaults["eos_token"]),
    }
    ctx.update(conv.get("extra", {}))
    return ctx


def read_snippets(path):
    """Cases separated by lines '=== name'; a case's source excludes the newline before the next marker."""
    cases, name, lines = [], None, []
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith("=== "):
                if name is not None:
                    cases.append((name, "\n".join(lines)))
                name, lines = line[4:].strip(), []
            elif name is not None:
                lines.append(line)
    if name is not None:
        cases.append((name, "\n".join(lines).removesuffix("\n")))
    return cases


ATOMS = ["0", "1", "2", "3", "7", "-3", "10", "0.5", "2.25", "-1.5", "1e3", "'a'", "'Hello World'", "''", "'l'",
         "'42'", "' pad '", "[1, 2, 3]", "[]", "['b', 'a', 'B']", "(1, 'x')", "{'a': 1, 'b': 2}", "{}", "none",
         "true", "false", "n", "f", "s", "nums", "words", "d", "people", "nothing", "missing", "csv", "floats",
         "unicode", "big", "neg", "zero", "empty_list", "t", "fl"]
VARIABLES = {a for a in ATOMS if a.isidentifier() and a not in ("none", "true", "false")}
BINARY = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in"]
FILTERS = ["length", "upper", "lower", "trim", "join(',')", "join", "first", "last", "sort", "reverse | list",
           "unique | list", "sum", "abs", "round", "round(1)", "int", "float", "string", "default('z')",
           "default('z', true)", "tojson", "list", "count", "wordcount", "title", "capitalize", "replace('l', 'L')",
           "center(9)", "indent(2)", "batch(2) | list", "map('string') | list", "select | list", "reject | list",
           "dictsort", "items | list", "min", "max", "e", "truncate(8)", "tojson(indent=1)", "sort(reverse=true)",
           "map('upper') | join('-')", "select('odd') | list", "reject('none') | list", "string | length"]
TESTS = ["defined", "undefined", "none", "number", "string", "sequence", "mapping", "iterable", "odd", "even",
         "divisibleby 2", "integer", "float", "boolean", "true", "false", "in [1, 'a']", "eq 1", "gt 2", "lower",
         "upper", "callable"]
METHODS = [".upper()", ".split()", ".strip()", ".startswith('H')", ".count('l')", ".replace('l', 'L')",
           ".title()", ".get('a')", ".lstrip('H')", ".endswith(('d', 'x'))", ".find('o')", ".splitlines()",
           ".items() | list", ".keys() | list", ".index(1)", ".split(',')", ".rsplit(' ', 1)", ".capitalize()",
           ".isdigit()", "[0]", "[-1]", "[1:]", "[::-1]", "[:2]", "['a']", ".a", "[1::2]", ".format(1)"]


def random_expression(rng, depth):
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(ATOMS)
    kind = rng.random()
    a = random_expression(rng, depth - 1)
    if kind < 0.30:
        return f"({a} {rng.choice(BINARY)} {random_expression(rng, depth - 1)})"
    if kind < 0.50:
        return f"({a} | {rng.choice(FILTERS)})"
    if kind < 0.62:
        return f"({a} is {'not ' if rng.random() < 0.3 else ''}{rng.choice(TESTS)})"
    if kind < 0.80:
        method = rng.choice(METHODS)
        if ":" in method and not VARIABLES.intersection(re.findall(r"[A-Za-z_]+", a)):
            # Jinja evaluates constant output at compile time, where a bad slice gives undefined, not an error
            method = "[0]"
        return f"{a}{method}"
    if kind < 0.88:
        return f"({a} if {random_expression(rng, depth - 1)} else {random_expression(rng, depth - 1)})"
    if kind < 0.94:
        return f"(not {a})"
    return f"(-{a})"


def random_cases(count=1500, seed=20260721):
    """Deterministic random expressions; an error only needs to be an error on the Java side (lenient)."""
    import random
    rng = random.Random(seed)
    return [(f"random_{i:03d}", "{{ " + random_expression(rng, rng.randint(1, 3)) + " }}") for i in range(count)]


def main():
    with open(os.path.join(HERE, "conversations.json"), encoding="utf-8") as f:
        spec = json.load(f)
    env = make_env(datetime.datetime.fromisoformat(spec["clock"]))
    results = []
    for folder, path in (("corpus", os.path.join(HERE, "corpus")), ("models", os.path.join(HERE, "models")),
                         ("fallback", FALLBACK)):
        for file in sorted(os.listdir(path)):
            if not file.endswith(".jinja"):
                continue
            with open(os.path.join(path, file), encoding="utf-8", newline="") as f:
                source = f.read()
            for conv in spec["conversations"]:
                case = {"template": f"{folder}/{file}", "conversation": conv["name"]}
                case.update(outcome(env, source, chat_context(conv, spec["defaults"])))
                results.append(case)
    for name, source in read_snippets(os.path.join(HERE, "snippets.txt")):
        case = {"snippet": name, "source": source}
        case.update(outcome(env, source, spec["snippet_context"]))
        results.append(case)
    plain_env = make_env(datetime.datetime.fromisoformat(spec["clock"]), optimized=False)
    for name, source in random_cases():
        case = {"snippet": name, "source": source, "lenient_error": True}
        case.update(outcome(env, source, spec["snippet_context"]))
        if "output" in case and "object at 0x" in case["output"]:
            continue  # Python prints an address for functions and generators: not reproducible
        if outcome(plain_env, source, spec["snippet_context"]) != outcome(env, source, spec["snippet_context"]):
            continue  # Jinja's constant folding changes the result (e.g. slicing a constant bool): an artifact
        results.append(case)
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "cases": results}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    errors = sum(1 for r in results if "error" in r)
    print(f"{len(results)} cases ({errors} expected errors) written to golden.json", file=sys.stderr)


if __name__ == "__main__":
    main()
