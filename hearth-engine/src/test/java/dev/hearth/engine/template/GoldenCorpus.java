package dev.hearth.engine.template;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The golden corpus in src/test/resources/templates: templates x conversations and snippets, with Python
 * Jinja2's output (or error) for each, as written by generate.py.
 */
final class GoldenCorpus {

    /** A lenient case (random expressions) only requires Hearth to fail where Jinja2 fails, with any message. */
    record Case(String name, String source, Map<String, Object> context, String output, String errorType,
            String errorMessage, Integer errorLine, boolean lenient) { }

    private static final ObjectMapper JSON = new ObjectMapper();

    final Clock clock;
    final List<Case> cases = new ArrayList<>();
    final Map<String, Map<String, Object>> conversations = new LinkedHashMap<>();

    @SuppressWarnings("unchecked")
    GoldenCorpus() {
        Map<String, Object> spec = json("conversations.json");
        Map<String, Object> defaults = (Map<String, Object>) spec.get("defaults");
        clock = Clock.fixed(LocalDateTime.parse((String) spec.get("clock")).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        for (Map<String, Object> conv : (List<Map<String, Object>>) spec.get("conversations")) {
            Map<String, Object> extra = conv.containsKey("extra") ? (Map<String, Object>) conv.get("extra") : Map.of();
            conversations.put((String) conv.get("name"), ChatTemplate.chatContext(
                    (List<Map<String, Object>>) conv.get("messages"),
                    (List<Map<String, Object>>) conv.get("tools"),
                    (Boolean) conv.get("add_generation_prompt"),
                    (String) conv.getOrDefault("bos_token", defaults.get("bos_token")),
                    (String) conv.getOrDefault("eos_token", defaults.get("eos_token")),
                    extra));
        }
        Map<String, Object> snippetContext = (Map<String, Object>) spec.get("snippet_context");
        Map<String, String> sources = new HashMap<>();
        Map<String, Object> golden = json("golden.json");
        for (Map<String, Object> c : (List<Map<String, Object>>) golden.get("cases")) {
            String name;
            String source;
            Map<String, Object> context;
            if (c.containsKey("snippet")) {
                name = "snippet " + c.get("snippet");
                source = (String) c.get("source");
                context = snippetContext;
            } else {
                String template = (String) c.get("template");
                name = template + " x " + c.get("conversation");
                source = sources.computeIfAbsent(template, GoldenCorpus::text);
                context = conversations.get((String) c.get("conversation"));
            }
            Map<String, Object> error = (Map<String, Object>) c.get("error");
            cases.add(new Case(name, source, context, (String) c.get("output"),
                    error == null ? null : (String) error.get("type"),
                    error == null ? null : (String) error.get("message"),
                    error == null ? null : (Integer) error.get("line"),
                    Boolean.TRUE.equals(c.get("lenient_error"))));
        }
    }

    static String text(String resource) {
        String path = resource.startsWith("fallback/") ? "/dev/hearth/engine/template/" + resource : "/templates/" + resource;
        try (InputStream in = GoldenCorpus.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("missing test resource templates/" + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String resource) {
        try {
            return JSON.readValue(text(resource), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TemplateException.Kind kindOf(String pythonType) {
        return switch (pythonType) {
            case "TemplateSyntaxError", "TemplateAssertionError" -> TemplateException.Kind.SYNTAX;
            case "TemplateError" -> TemplateException.Kind.RAISED;
            case "UndefinedError" -> TemplateException.Kind.UNDEFINED;
            case "SecurityError" -> TemplateException.Kind.SECURITY;
            default -> TemplateException.Kind.RUNTIME;
        };
    }

    /** Null if Hearth matches Jinja2 on this case, else a description of the difference. */
    String check(Case c) {
        String actual;
        try {
            actual = ChatTemplate.compile(c.source()).withClock(clock).render(c.context());
        } catch (TemplateException e) {
            if (c.errorType() == null) {
                return "expected output " + show(c.output()) + " but got " + e.kind() + ": " + e.getMessage();
            }
            if (c.lenient()) return null;
            TemplateException.Kind want = kindOf(c.errorType());
            if (e.kind() != want || !e.detail().equals(c.errorMessage())) {
                return "expected " + want + " " + show(c.errorMessage()) + " but got " + e.kind() + " " + show(e.detail());
            }
            if (c.errorLine() != null && e.line() != c.errorLine()) {
                return "expected error on line " + c.errorLine() + " but got line " + e.line();
            }
            return null;
        }
        if (c.errorType() != null) {
            return "expected " + c.errorType() + " " + show(c.errorMessage()) + " but rendered " + show(actual);
        }
        if (!actual.equals(c.output())) return firstDifference(c.output(), actual);
        return null;
    }

    private static String firstDifference(String expected, String actual) {
        int i = 0;
        while (i < Math.min(expected.length(), actual.length()) && expected.charAt(i) == actual.charAt(i)) i++;
        int from = Math.max(0, expected.lastIndexOf('\n', i - 1) + 1);
        return "output differs at char " + i + " (line from there):\n  expected " + show(snippet(expected, from))
                + "\n  actual   " + show(snippet(actual, from));
    }

    private static String snippet(String s, int from) {
        if (from >= s.length()) return "";
        int end = s.indexOf('\n', from);
        end = end < 0 ? s.length() : Math.min(end, from + 300);
        return s.substring(from, Math.max(from, end)).replace("\t", "\\t");
    }

    private static String show(String s) {
        return s == null ? "null" : "«" + s + "»";
    }
}
