package dev.hearth.engine.grammar;

import dev.hearth.engine.json.JsonText;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A JSON schema as GBNF, in the spirit of llama.cpp's json-schema-to-grammar: each (sub)schema becomes a rule and
 * JSON's own syntax comes from shared primitive rules. Every keyword either is enforced or fails the compilation
 * with a {@link GrammarException} naming it; only annotations are ignored.
 *
 * <p>Choices that keep the output valid while narrowing it: properties come in declaration order, required ones
 * first; without {@code additionalProperties: true} (or a schema) no other property is produced; additional
 * property names never equal a declared one and hold no escapes; {@code oneOf} is compiled like {@code anyOf}
 * (the generated value may match several alternatives only when the alternatives overlap).
 */
final class JsonSchemaCompiler {
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
            "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties",
            "items", "prefixItems", "minItems", "maxItems", "enum", "const", "anyOf", "oneOf", "allOf", "$ref",
            "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "format", "uniqueItems", "additionalItems");
    private static final long MAX_BOUND = 1L << 60;

    private static final Map<String, String> PRIMITIVES = new LinkedHashMap<>();
    static {
        PRIMITIVES.put("space", "| \" \" | \"\\n\" [ \\t]{0,20}");
        PRIMITIVES.put("char", "[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})");
        PRIMITIVES.put("string", "\"\\\"\" char* \"\\\"\" space");
        PRIMITIVES.put("integral-part", "[0] | [1-9] [0-9]{0,15}");
        PRIMITIVES.put("decimal-part", "[0-9]{1,16}");
        PRIMITIVES.put("number", "(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)? space");
        PRIMITIVES.put("integer", "(\"-\"? integral-part) space");
        PRIMITIVES.put("boolean", "(\"true\" | \"false\") space");
        PRIMITIVES.put("null", "\"null\" space");
        PRIMITIVES.put("value", "object | array | string | number | boolean | null");
        PRIMITIVES.put("object", "\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? \"}\" space");
        PRIMITIVES.put("array", "\"[\" space ( value (\",\" space value)* )? \"]\" space");
        PRIMITIVES.put("date", "[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" ( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )");
        PRIMITIVES.put("time", "( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{1,6} )? "
                + "( \"Z\" | [+-] ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )");
        PRIMITIVES.put("date-time", "date \"T\" time");
        PRIMITIVES.put("uuid", "[0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12}");
    }
    private static final Map<String, List<String>> DEPENDS = Map.of(
            "string", List.of("char", "space"), "number", List.of("integral-part", "decimal-part", "space"),
            "integer", List.of("integral-part", "space"), "boolean", List.of("space"), "null", List.of("space"),
            "value", List.of("object", "array", "string", "number", "boolean", "null"),
            "object", List.of("space", "string", "value"), "array", List.of("space", "value"),
            "date-time", List.of("date", "time"));

    private final Object root;
    private final Map<String, String> rules = new LinkedHashMap<>();
    private final Map<String, String> ruleByBody = new HashMap<>();
    private final Map<String, String> refs = new HashMap<>();

    private JsonSchemaCompiler(Object root) {
        this.root = root;
    }

    static String toGbnf(Object schema) {
        JsonSchemaCompiler c = new JsonSchemaCompiler(schema);
        String body = c.visit(schema, "root", "#");
        StringBuilder out = new StringBuilder("root ::= ").append(body).append('\n');
        c.rules.forEach((name, b) -> out.append(name).append(" ::= ").append(b).append('\n'));
        return out.toString();
    }

    /** A GBNF expression for the JSON values the schema accepts (trailing whitespace included). */
    private String visit(Object schema, String name, String path) {
        if (schema instanceof Boolean b) {
            if (b) return primitive("value");
            throw unsupported(path, "false", "the schema 'false' accepts nothing");
        }
        if (!(schema instanceof Map<?, ?> raw)) throw new GrammarException("schema at " + path + " must be an object or a boolean");
        Map<String, Object> s = map(raw, path);
        for (String k : s.keySet()) {
            if (!KEYWORDS.contains(k) && !ANNOTATIONS.contains(k)) {
                throw unsupported(path, k, "this server cannot enforce it");
            }
        }
        if (s.containsKey("$ref")) {
            only(s, path, "$ref");
            return ref(string(s.get("$ref"), path, "$ref"), path);
        }
        if (s.containsKey("allOf")) return visit(mergeAllOf(s, path), name, path);
        for (String k : List.of("anyOf", "oneOf")) {
            if (!s.containsKey(k)) continue;
            only(s, path, k);
            List<Object> options = list(s.get(k), path, k);
            if (options.isEmpty()) throw unsupported(path, k, "an empty list accepts nothing");
            List<String> alts = new ArrayList<>();
            for (int i = 0; i < options.size(); i++) alts.add(rule(name + "-" + i, visit(options.get(i), name + "-" + i, path + "/" + k + "/" + i)));
            return "(" + String.join(" | ", alts) + ")";
        }
        if (s.containsKey("const")) {
            only(s, path, "const");
            return Gbnf.literal(JsonText.write(s.get("const"))) + " " + primitive("space");
        }
        if (s.containsKey("enum")) {
            only(s, path, "enum", "type");
            List<String> alts = new ArrayList<>();
            for (Object v : list(s.get("enum"), path, "enum")) alts.add(Gbnf.literal(JsonText.write(v)));
            if (alts.isEmpty()) throw unsupported(path, "enum", "an empty enum accepts nothing");
            return "(" + String.join(" | ", alts) + ") " + primitive("space");
        }
        Object type = s.get("type");
        if (type instanceof List<?> types) {
            List<String> alts = new ArrayList<>();
            for (Object t : types) {
                String typeName = string(t, path, "type");
                Map<String, Object> one = new LinkedHashMap<>();
                // JSON Schema applies each keyword to its own type only
                for (Map.Entry<String, Object> e : s.entrySet()) {
                    String owner = keywordType(e.getKey());
                    if (owner == null || owner.equals(typeName) || owner.equals("number") && typeName.equals("integer")) {
                        one.put(e.getKey(), e.getValue());
                    }
                }
                one.put("type", typeName);
                alts.add(visit(one, name, path));
            }
            if (alts.isEmpty()) throw unsupported(path, "type", "an empty list of types accepts nothing");
            return "(" + String.join(" | ", alts) + ")";
        }
        String t = type == null ? inferType(s) : string(type, path, "type");
        return switch (t) {
            case "object" -> object(s, name, path);
            case "array" -> array(s, name, path);
            case "string" -> string(s, name, path);
            case "integer" -> integer(s, path);
            case "number" -> number(s, path);
            case "boolean" -> { only(s, path, "type"); yield primitive("boolean"); }
            case "null" -> { only(s, path, "type"); yield primitive("null"); }
            case "any" -> primitive("value");
            default -> throw unsupported(path, "type", "unknown type '" + t + "'");
        };
    }

    private static String inferType(Map<String, Object> s) {
        for (String k : s.keySet()) {
            String t = keywordType(k);
            if (t != null) return t;
        }
        return "any";
    }

    /** The type a keyword constrains, or null for keywords about every type. */
    private static String keywordType(String keyword) {
        return switch (keyword) {
            case "properties", "required", "additionalProperties" -> "object";
            case "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "additionalItems" -> "array";
            case "pattern", "minLength", "maxLength", "format" -> "string";
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> "number";
            default -> null;
        };
    }

    private String ref(String ref, String path) {
        String known = refs.get(ref);
        if (known != null) return known;
        Object target = resolve(ref, path);
        String name = uniqueName("ref" + ref.substring(ref.lastIndexOf('/') + 1));
        refs.put(ref, name);
        rules.put(name, ""); // reserved: a recursive schema refers to itself by name
        rules.put(name, visit(target, name, ref));
        return name;
    }

    private Map<String, Object> mergeAllOf(Map<String, Object> s, String path) {
        Map<String, Object> merged = new LinkedHashMap<>(s);
        merged.remove("allOf");
        Map<String, Object> properties = new LinkedHashMap<>();
        Set<Object> required = new LinkedHashSet<>();
        List<Map<String, Object>> parts = new ArrayList<>();
        parts.add(new LinkedHashMap<>(merged));
        for (Object part : list(s.get("allOf"), path, "allOf")) {
            Object resolved = part;
            while (resolved instanceof Map<?, ?> m && m.containsKey("$ref")) resolved = resolve(string(m.get("$ref"), path, "$ref"), path);
            if (!(resolved instanceof Map<?, ?> m)) throw unsupported(path, "allOf", "each part must be an object schema");
            parts.add(map(m, path));
        }
        merged.clear();
        for (Map<String, Object> p : parts) {
            for (Map.Entry<String, Object> e : p.entrySet()) {
                String k = e.getKey();
                if (k.equals("properties")) properties.putAll(map(e.getValue(), path));
                else if (k.equals("required")) required.addAll(list(e.getValue(), path, "required"));
                else if (ANNOTATIONS.contains(k)) continue;
                else if (k.equals("allOf")) throw unsupported(path, "allOf", "nested allOf is not supported");
                else if (merged.containsKey(k) && !merged.get(k).equals(e.getValue())) {
                    throw unsupported(path, "allOf", "its parts disagree on '" + k + "'");
                } else {
                    merged.put(k, e.getValue());
                }
            }
        }
        if (!properties.isEmpty()) merged.put("properties", properties);
        if (!required.isEmpty()) merged.put("required", new ArrayList<>(required));
        return merged;
    }

    private Object resolve(String ref, String path) {
        if (!ref.startsWith("#")) throw unsupported(path, "$ref", "only local references (#/...) are supported, got '" + ref + "'");
        Object target = root;
        String pointer = ref.substring(1);
        if (pointer.isEmpty()) return target;
        for (String part : pointer.substring(1).split("/", -1)) {
            String key = part.replace("~1", "/").replace("~0", "~");
            if (target instanceof Map<?, ?> m && m.containsKey(key)) target = m.get(key);
            else throw unsupported(path, "$ref", "cannot resolve '" + ref + "'");
        }
        return target;
    }

    private String object(Map<String, Object> s, String name, String path) {
        only(s, path, "type", "properties", "required", "additionalProperties");
        Map<String, Object> properties = s.containsKey("properties") ? map(s.get("properties"), path) : Map.of();
        Set<String> required = new LinkedHashSet<>();
        if (s.containsKey("required")) for (Object r : list(s.get("required"), path, "required")) required.add(string(r, path, "required"));
        Object additional = s.get("additionalProperties");
        if (properties.isEmpty() && required.isEmpty() && (additional == null || Boolean.TRUE.equals(additional))) {
            return primitive("object");
        }
        for (String r : required) {
            if (!properties.containsKey(r)) throw unsupported(path, "required", "property '" + r + "' is required but not declared in properties");
        }
        List<String> requiredKvs = new ArrayList<>(), optionalKvs = new ArrayList<>();
        for (Map.Entry<String, Object> e : properties.entrySet()) {
            String prop = e.getKey();
            String propName = name + "-" + sanitize(prop);
            String value = visit(e.getValue(), propName, path + "/properties/" + prop);
            String kv = rule(propName + "-kv", Gbnf.literal(JsonText.write(prop)) + " " + primitive("space") + " \":\" "
                    + primitive("space") + " " + value);
            (required.contains(prop) ? requiredKvs : optionalKvs).add(kv);
        }
        String extraKv = null;
        if (additional != null && !Boolean.FALSE.equals(additional)) {
            String value = Boolean.TRUE.equals(additional) ? primitive("value")
                    : visit(additional, name + "-additional", path + "/additionalProperties");
            extraKv = rule(name + "-additional-kv", keyNotIn(properties.keySet(), name) + " \":\" " + primitive("space") + " " + value);
        }
        String comma = "\",\" " + primitive("space") + " ";
        String extras = extraKv == null ? "" : " (" + comma + extraKv + ")*";
        StringBuilder body = new StringBuilder("\"{\" " + primitive("space") + " ");
        if (!requiredKvs.isEmpty()) {
            body.append(String.join(" " + comma, requiredKvs));
            for (String kv : optionalKvs) body.append(" (").append(comma).append(kv).append(")?");
            body.append(extras);
        } else {
            // any subset of the optional properties, in order, then extras; the first one has no comma
            List<String> alts = new ArrayList<>();
            for (int i = 0; i < optionalKvs.size(); i++) {
                StringBuilder alt = new StringBuilder(optionalKvs.get(i));
                for (int j = i + 1; j < optionalKvs.size(); j++) alt.append(" (").append(comma).append(optionalKvs.get(j)).append(")?");
                alt.append(extras);
                alts.add(rule(name + "-from-" + i, alt.toString()));
            }
            if (extraKv != null) alts.add(extraKv + extras);
            if (!alts.isEmpty()) body.append("(").append(String.join(" | ", alts)).append(")?");
        }
        body.append(" \"}\" ").append(primitive("space"));
        return body.toString();
    }

    /** A JSON string (then whitespace) that is none of {@code names}, without escapes. */
    private String keyNotIn(Set<String> names, String name) {
        return "\"\\\"\" " + notIn(new ArrayList<>(names), "", name + "-key") + " " + primitive("space");
    }

    private String notIn(List<String> names, String prefix, String ruleName) {
        String safe = "[^\"\\\\\\x7F\\x00-\\x1F]";
        TreeMap<Integer, List<String>> next = new TreeMap<>();
        boolean terminal = false;
        for (String n : names) {
            if (n.equals(prefix)) terminal = true;
            else if (n.startsWith(prefix)) next.computeIfAbsent(n.codePointAt(prefix.length()), k -> new ArrayList<>()).add(n);
        }
        String tail = rule(ruleName + "-tail", safe + "* \"\\\"\"");
        List<String> alts = new ArrayList<>();
        if (!terminal) alts.add("\"\\\"\"");
        List<int[]> taken = new ArrayList<>();
        for (Map.Entry<Integer, List<String>> e : next.entrySet()) {
            int cp = e.getKey();
            taken.add(new int[] {cp, cp});
            String child = notIn(e.getValue(), prefix + Character.toString(cp), ruleName);
            alts.add(Gbnf.charClass(new int[] {cp, cp}) + " " + child);
        }
        taken.add(new int[] {'"', '"'});
        taken.add(new int[] {'\\', '\\'});
        taken.add(new int[] {0, 0x1F});
        taken.add(new int[] {0x7F, 0x7F});
        alts.add(Gbnf.charClass(GbnfParser.normalize(taken, true)) + " " + tail);
        return rule(ruleName, String.join(" | ", alts));
    }

    private String array(Map<String, Object> s, String name, String path) {
        only(s, path, "type", "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "additionalItems");
        if (Boolean.TRUE.equals(s.get("uniqueItems"))) throw unsupported(path, "uniqueItems", "this server cannot enforce it");
        String space = primitive("space");
        String comma = "\",\" " + space + " ";
        Object items = s.get("items");
        List<Object> tuple = null;
        if (s.containsKey("prefixItems")) tuple = list(s.get("prefixItems"), path, "prefixItems");
        else if (items instanceof List<?> l) {
            tuple = new ArrayList<>(l);
            items = null;
        }
        if (tuple != null) {
            if (s.containsKey("minItems") || s.containsKey("maxItems")) throw unsupported(path, "minItems", "cannot be combined with prefixItems");
            if (items != null && !Boolean.FALSE.equals(items)) throw unsupported(path, "items", "cannot follow prefixItems here (only items: false)");
            if (s.containsKey("additionalItems") && !Boolean.FALSE.equals(s.get("additionalItems"))) throw unsupported(path, "additionalItems", "only false is supported");
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < tuple.size(); i++) parts.add(visit(tuple.get(i), name + "-" + i, path + "/prefixItems/" + i));
            return "\"[\" " + space + " " + String.join(" " + comma, parts) + " \"]\" " + space;
        }
        if (s.containsKey("additionalItems")) throw unsupported(path, "additionalItems", "only meaningful with prefixItems");
        String item = items == null ? primitive("value") : rule(name + "-item", visit(items, name + "-item", path + "/items"));
        int min = count(s, "minItems", path, 0);
        int max = count(s, "maxItems", path, -1);
        if (max >= 0 && max < min) throw unsupported(path, "maxItems", "is below minItems");
        String list;
        if (max == 0) list = "";
        else {
            String more = "(" + comma + item + ")" + (max < 0 ? "{" + Math.max(min - 1, 0) + ",}" : "{" + Math.max(min - 1, 0) + "," + (max - 1) + "}");
            list = item + " " + more;
            if (min == 0) list = "(" + list + ")?";
        }
        return "\"[\" " + space + " " + list + " \"]\" " + space;
    }

    private String string(Map<String, Object> s, String name, String path) {
        only(s, path, "type", "pattern", "minLength", "maxLength", "format");
        String q = "\"\\\"\"";
        if (s.containsKey("format")) {
            only(s, path, "type", "format");
            String format = string(s.get("format"), path, "format");
            if (!List.of("date", "time", "date-time", "uuid").contains(format)) {
                throw unsupported(path, "format", "format '" + format + "' is not supported (date, time, date-time, uuid are)");
            }
            return q + " " + primitive(format) + " " + q + " " + primitive("space");
        }
        if (s.containsKey("pattern")) {
            if (s.containsKey("minLength") || s.containsKey("maxLength")) throw unsupported(path, "pattern", "cannot be combined with minLength/maxLength");
            String regex = string(s.get("pattern"), path, "pattern");
            String body = new RegexCompiler(regex, true).compile();
            return q + " " + rule(name + "-pattern", body) + " " + q + " " + primitive("space");
        }
        int min = count(s, "minLength", path, 0), max = count(s, "maxLength", path, -1);
        if (min == 0 && max < 0) return primitive("string");
        if (max >= 0 && max < min) throw unsupported(path, "maxLength", "is below minLength");
        String chars = primitive("char") + "{" + min + "," + (max < 0 ? "" : max) + "}";
        return q + " " + chars + " " + q + " " + primitive("space");
    }

    private String integer(Map<String, Object> s, String path) {
        only(s, path, "type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
        Long min = bound(s, "minimum", path, true, false), max = bound(s, "maximum", path, false, false);
        Long xmin = bound(s, "exclusiveMinimum", path, true, true), xmax = bound(s, "exclusiveMaximum", path, false, true);
        if (xmin != null) min = min == null ? xmin : Math.max(min, xmin);
        if (xmax != null) max = max == null ? xmax : Math.min(max, xmax);
        if (min == null && max == null) return primitive("integer");
        if (min != null && max != null && min > max) throw unsupported(path, "minimum", "the range is empty");
        return "(" + IntegerRanges.signed(min, max) + ") " + primitive("space");
    }

    private String number(Map<String, Object> s, String path) {
        only(s, path, "type", "minimum", "maximum");
        Long min = integral(s, "minimum", path), max = integral(s, "maximum", path);
        if (min == null && max == null) return primitive("number");
        if (min != null && max != null && min > max) throw unsupported(path, "minimum", "the range is empty");
        return "(" + IntegerRanges.decimal(min, max) + ") " + primitive("space");
    }

    /** An integer bound; fractional bounds round inward, exclusive ones step in by one. */
    private static Long bound(Map<String, Object> s, String key, String path, boolean lower, boolean exclusive) {
        Object v = s.get(key);
        if (v == null) return null;
        if (!(v instanceof Number n)) throw unsupported(path, key, "must be a number");
        BigDecimal d = new BigDecimal(n.toString());
        BigDecimal r = d.setScale(0, lower ? java.math.RoundingMode.CEILING : java.math.RoundingMode.FLOOR);
        if (exclusive && r.compareTo(d) == 0) r = lower ? r.add(BigDecimal.ONE) : r.subtract(BigDecimal.ONE);
        if (r.abs().compareTo(BigDecimal.valueOf(MAX_BOUND)) > 0) throw unsupported(path, key, "bounds beyond ±2^60 are not supported");
        return r.longValueExact();
    }

    private static Long integral(Map<String, Object> s, String key, String path) {
        Object v = s.get(key);
        if (v == null) return null;
        if (!(v instanceof Number n)) throw unsupported(path, key, "must be a number");
        BigDecimal d = new BigDecimal(n.toString());
        if (d.stripTrailingZeros().scale() > 0) throw unsupported(path, key, "only whole-number bounds are supported for type number");
        if (d.abs().compareTo(BigDecimal.valueOf(MAX_BOUND)) > 0) throw unsupported(path, key, "bounds beyond ±2^60 are not supported");
        return d.longValueExact();
    }

    private static int count(Map<String, Object> s, String key, String path, int absent) {
        Object v = s.get(key);
        if (v == null) return absent;
        if (!(v instanceof Number n) || new BigDecimal(n.toString()).stripTrailingZeros().scale() > 0 || n.doubleValue() < 0) {
            throw unsupported(path, key, "must be a non-negative integer");
        }
        if (n.doubleValue() > 10_000) throw unsupported(path, key, "values above 10000 are not supported");
        return n.intValue();
    }

    /** Fails when the schema has constraint keywords beyond {@code allowed} (annotations are always fine). */
    private static void only(Map<String, Object> s, String path, String... allowed) {
        List<String> ok = List.of(allowed);
        for (String k : s.keySet()) {
            if (!ok.contains(k) && !ANNOTATIONS.contains(k)) {
                throw unsupported(path, k, "cannot be combined with '" + allowed[0] + "' here");
            }
        }
    }

    private String primitive(String name) {
        if (!rules.containsKey(name)) {
            rules.put(name, PRIMITIVES.get(name));
            for (String d : DEPENDS.getOrDefault(name, List.of())) primitive(d);
        }
        return name;
    }

    /** A named rule for body (an existing rule with the same body is reused). */
    private String rule(String name, String body) {
        if (body.matches("[a-zA-Z0-9-]+") && rules.containsKey(body)) return body; // already a rule name
        String existing = ruleByBody.get(body);
        if (existing != null) return existing;
        String unique = uniqueName(name);
        rules.put(unique, body);
        ruleByBody.put(body, unique);
        return unique;
    }

    private String uniqueName(String name) {
        String base = sanitize(name);
        String n = base;
        for (int i = 1; rules.containsKey(n) || PRIMITIVES.containsKey(n) || n.equals("root"); i++) n = base + "-" + i;
        return n;
    }

    private static String sanitize(String s) {
        String r = s.replaceAll("[^a-zA-Z0-9-]+", "-");
        return r.isEmpty() ? "x" : r;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object v, String path) {
        if (!(v instanceof Map<?, ?> m)) throw new GrammarException("expected an object at " + path);
        for (Object k : m.keySet()) if (!(k instanceof String)) throw new GrammarException("expected string keys at " + path);
        return (Map<String, Object>) m;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object v, String path, String key) {
        if (!(v instanceof List<?> l)) throw unsupported(path, key, "must be a list");
        return (List<Object>) l;
    }

    private static String string(Object v, String path, String key) {
        if (!(v instanceof String str)) throw unsupported(path, key, "must be a string");
        return str;
    }

    private static GrammarException unsupported(String path, String keyword, String why) {
        return new GrammarException("JSON schema keyword '" + keyword + "' at " + path + ": " + why);
    }
}
