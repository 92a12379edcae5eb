/**
 * Chat templates: the Jinja2 subset Hugging Face chat templates use, rendered byte-for-byte as Python's Jinja2
 * renders them under transformers' settings (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loop
 * controls, {@code raise_exception}, {@code strftime_now}, json.dumps-based {@code tojson}).
 *
 * <p>Entry points: {@link dev.hearth.engine.template.ChatTemplate} (compile once, render per request) and
 * {@link dev.hearth.engine.template.ChatTemplates} (built-in formats for models without a template). Inside,
 * {@code Lexer} and {@code Parser} build an {@code Expr}/{@code Node} tree that {@code Renderer} walks with
 * Python value semantics from {@code Py}, {@code Methods}, {@code Filters}, {@code Tests}, {@code Json} and
 * {@code PyFormat}. Golden tests against Python Jinja2 live in src/test/resources/templates (generate.py).
 */
package dev.hearth.engine.template;
