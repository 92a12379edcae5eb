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
import datetime
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


def make_env(now):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def outcome(env, source, context):
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
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "cases": results}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    errors = sum(1 for r in results if "error" in r)
    print(f"{len(results)} cases ({errors} expected errors) written to golden.json", file=sys.stderr)


if __name__ == "__main__":
    main()
