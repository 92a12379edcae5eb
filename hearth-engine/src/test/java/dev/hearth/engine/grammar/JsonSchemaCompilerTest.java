package dev.hearth.engine.grammar;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static dev.hearth.engine.grammar.GrammarTesting.matches;
import static dev.hearth.engine.grammar.GrammarTesting.schema;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonSchemaCompilerTest {
    private static Grammar compile(String json) {
        return Grammar.fromJsonSchema(schema(json));
    }

    private static void check(String schema, List<String> accepted, List<String> rejected) {
        Grammar g = compile(schema);
        for (String s : accepted) assertTrue(matches(g, s), () -> "should accept " + s + " for " + schema + "\n" + g.gbnf());
        for (String s : rejected) assertFalse(matches(g, s), () -> "should reject " + s + " for " + schema + "\n" + g.gbnf());
    }

    @Test
    void primitives() {
        check("{\"type\":\"string\"}", List.of("\"\"", "\"a b\"", "\"q\\\"\\\\\\n\\u00e9\"", "\"日本\" "), List.of("\"a", "a", "\"\n\"", "\"\\x\""));
        check("{\"type\":\"integer\"}", List.of("0", "-12", "1234567"), List.of("01", "1.5", "+1", "", "--1"));
        check("{\"type\":\"number\"}", List.of("0", "-1.25", "3e10", "1.0E-5"), List.of("1.", ".5", "--1", "0x10"));
        check("{\"type\":\"boolean\"}", List.of("true", "false"), List.of("True", "1"));
        check("{\"type\":\"null\"}", List.of("null"), List.of("nil"));
        check("{}", List.of("{\"a\":[1,{\"b\":null}]}", "\"x\"", "3"), List.of("{a:1}", "[1,]"));
        check("true", List.of("[]", "{}"), List.of("[", "}"));
    }

    @Test
    void typeArrays() {
        check("{\"type\":[\"string\",\"null\"]}", List.of("\"x\"", "null"), List.of("1", "true"));
        check("{\"type\":[\"integer\",\"boolean\"],\"minimum\":5}", List.of("5", "true"), List.of("4", "\"5\""));
    }

    @Test
    void objectsWithRequiredAndOptionalProperties() {
        String s = """
                {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
                 "required":["b"]}""";
        check(s, List.of("{\"b\":\"x\"}", "{ \"b\": \"x\", \"a\": 1, \"c\": true }", "{\"b\":\"x\",\"c\":false}"),
                List.of("{}", "{\"a\":1}", "{\"b\":1}", "{\"b\":\"x\",\"d\":1}", "{\"b\":\"x\",}", "{\"b\":\"x\",\"a\":1,\"a\":2}"));
        String none = """
                {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"additionalProperties":false}""";
        check(none, List.of("{}", "{\"a\":1}", "{\"b\":2}", "{\"a\":1,\"b\":2}"), List.of("{,\"b\":2}", "{\"c\":1}", "{\"a\":1,}"));
    }

    @Test
    void additionalPropertiesNeverRepeatADeclaredName() {
        String s = """
                {"type":"object","properties":{"ab":{"type":"integer"}},"additionalProperties":{"type":"string"}}""";
        check(s, List.of("{\"ab\":1,\"a\":\"x\"}", "{\"abc\":\"x\"}", "{\"\":\"x\",\"b\":\"y\"}", "{}"),
                List.of("{\"ab\":\"x\"}", "{\"ab\":1,\"ab\":\"x\"}", "{\"x\":1}"));
        check("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}",
                List.of("{\"k\":1,\"j\":2}", "{}"), List.of("{\"k\":\"1\"}"));
    }

    @Test
    void arrays() {
        check("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}",
                List.of("[1]", "[1, 2,3]"), List.of("[]", "[1,2,3,4]", "[\"a\"]", "[1,]"));
        check("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2}",
                List.of("[1,2]", "[1,2,3,4,5]"), List.of("[1]"));
        check("{\"type\":\"array\",\"maxItems\":0}", List.of("[]"), List.of("[1]"));
        check("{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}",
                List.of("[\"a\",1]"), List.of("[\"a\"]", "[1,\"a\"]", "[\"a\",1,2]"));
    }

    @Test
    void enumConstAndAlternatives() {
        check("{\"enum\":[\"red\",1,null,{\"a\":[true]}]}", List.of("\"red\"", "1", "null", "{\"a\":[true]}"), List.of("\"blue\"", "2", "{}"));
        check("{\"const\":\"x\\\"y\"}", List.of("\"x\\\"y\""), List.of("\"xy\""));
        check("{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\",\"maxLength\":1}]}", List.of("1", "\"a\""), List.of("\"ab\"", "true"));
        check("{\"oneOf\":[{\"type\":\"boolean\"},{\"type\":\"null\"}]}", List.of("true", "null"), List.of("0"));
    }

    @Test
    void allOfMergesObjects() {
        String s = """
                {"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},
                          {"properties":{"b":{"type":"string"}},"required":["b"]}]}""";
        check(s, List.of("{\"a\":1,\"b\":\"x\"}"), List.of("{\"a\":1}", "{\"b\":\"x\"}"));
    }

    @Test
    void localReferencesIncludingRecursion() {
        String s = """
                {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
                  "next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}},"required":["v","next"]}},
                 "$ref":"#/$defs/node"}""";
        check(s, List.of("{\"v\":1,\"next\":null}", "{\"v\":1,\"next\":{\"v\":2,\"next\":null}}"), List.of("{\"v\":1}", "{\"v\":1,\"next\":{}}"));
        check("{\"definitions\":{\"x\":{\"type\":\"boolean\"}},\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/x\"}}",
                List.of("[true,false]"), List.of("[1]"));
    }

    @Test
    void stringLengthsPatternsAndFormats() {
        check("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", List.of("\"ab\"", "\"a\\nb\"", "\"日本語\""), List.of("\"a\"", "\"abcd\""));
        check("{\"type\":\"string\",\"pattern\":\"^[a-z]+-\\\\d{2,3}$\"}", List.of("\"ab-12\"", "\"x-123\""), List.of("\"ab-1\"", "\"AB-12\"", "\"ab-1234\""));
        check("{\"type\":\"string\",\"pattern\":\"^(cat|dog)s?$\"}", List.of("\"cat\"", "\"dogs\""), List.of("\"cow\"", "\"cats?\""));
        check("{\"type\":\"string\",\"pattern\":\"ab\"}", List.of("\"ab\"", "\"xaby\"", "\"x\\\"ab\""), List.of("\"a\"", "\"ba\""));
        check("{\"type\":\"string\",\"pattern\":\"^a.c$\"}", List.of("\"abc\"", "\"a\\\"c\"", "\"a\\\\c\""), List.of("\"a\"c\"", "\"ac\""));
        check("{\"type\":\"string\",\"format\":\"date\"}", List.of("\"2024-02-29\""), List.of("\"2024-13-01\"", "\"24-01-01\""));
        check("{\"type\":\"string\",\"format\":\"time\"}", List.of("\"12:30:00Z\"", "\"23:59:59.123+02:00\""), List.of("\"24:00:00Z\"", "\"12:30\""));
        check("{\"type\":\"string\",\"format\":\"date-time\"}", List.of("\"2024-01-31T08:00:00Z\""), List.of("\"2024-01-31 08:00:00Z\""));
        check("{\"type\":\"string\",\"format\":\"uuid\"}", List.of("\"123e4567-e89b-12d3-a456-426614174000\""), List.of("\"123e4567e89b12d3a456426614174000\""));
    }

    @Test
    void integerRangesAreExact() {
        Random random = new Random(7);
        long[][] ranges = {{0, 0}, {0, 9}, {5, 123}, {-20, 7}, {-999, -10}, {17, 4321}, {100, 100}, {-5, -5}, {99, 1000}, {-1, 0}};
        for (long[] r : ranges) {
            Grammar g = compile("{\"type\":\"integer\",\"minimum\":" + r[0] + ",\"maximum\":" + r[1] + "}");
            for (long v = r[0] - 30; v <= r[1] + 30; v++) {
                boolean in = v >= r[0] && v <= r[1];
                long value = v;
                if (in != matches(g, Long.toString(v))) throw new AssertionError(value + " for " + r[0] + ".." + r[1] + "\n" + g.gbnf());
            }
            for (int i = 0; i < 200; i++) {
                long v = random.nextLong(-100_000, 100_000);
                boolean in = v >= r[0] && v <= r[1];
                if (in != matches(g, Long.toString(v))) throw new AssertionError(v + " for " + r[0] + ".." + r[1]);
            }
        }
        Grammar min = compile("{\"type\":\"integer\",\"exclusiveMinimum\":41}");
        for (long v = -200; v < 2000; v++) assertTrue(matches(min, Long.toString(v)) == (v > 41), "" + v);
        Grammar max = compile("{\"type\":\"integer\",\"maximum\":-3}");
        for (long v = -2000; v < 200; v++) assertTrue(matches(max, Long.toString(v)) == (v <= -3), "" + v);
    }

    @Test
    void numberRangesWithWholeBounds() {
        Grammar g = compile("{\"type\":\"number\",\"minimum\":-2,\"maximum\":3}");
        for (String s : List.of("0", "-2", "-1.999", "3", "3.000", "2.5", "-0.5", "0.25")) assertTrue(matches(g, s), s);
        for (String s : List.of("3.001", "-2.01", "4", "-3", "1e2")) assertFalse(matches(g, s), s);
        Grammar pos = compile("{\"type\":\"number\",\"minimum\":0}");
        assertTrue(matches(pos, "12.5"));
        assertFalse(matches(pos, "-0.1"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"type":"string","format":"email"}                  | 'format'
            {"type":"array","uniqueItems":true}                 | 'uniqueItems'
            {"type":"number","multipleOf":2}                    | 'multipleOf'
            {"type":"object","minProperties":1}                 | 'minProperties'
            {"not":{"type":"string"}}                           | 'not'
            {"$ref":"https://example.com/schema.json"}          | '$ref'
            {"$ref":"#/$defs/missing"}                          | '$ref'
            {"type":"number","minimum":0.5}                     | 'minimum'
            {"type":"string","pattern":"^(a)\\\\1$"}            | 'pattern'
            {"type":"string","pattern":"(?=a)"}                 | lookaround
            {"type":"object","patternProperties":{}}            | 'patternProperties'
            {"type":"object","properties":{},"required":["x"]}  | 'required'
            {"type":"frob"}                                     | 'type'
            {"enum":[]}                                         | 'enum'
            """)
    void unenforceableKeywordsAreNamed(String schema, String named) {
        GrammarException e = assertThrows(GrammarException.class, () -> compile(schema));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void randomWalksThroughTheMaskProduceValidJson() throws Exception {
        String schema = """
                {"type":"object","properties":{"name":{"type":"string","maxLength":6},"n":{"type":"integer","minimum":-5,"maximum":50},
                 "tags":{"type":"array","items":{"enum":["x","y"]},"maxItems":3},"ok":{"type":"boolean"}},"required":["name","n"]}""";
        Grammar g = compile(schema);
        Random random = new Random(3);
        float[] logits = new float[GrammarTesting.PIECES.size()];
        for (int run = 0; run < 200; run++) {
            GrammarMatcher m = g.newMatcher(GrammarTesting.TRIE);
            StringBuilder bytes = new StringBuilder();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int step = 0; step < 400 && !m.isComplete(); step++) {
                java.util.Arrays.fill(logits, 0);
                m.mask(logits);
                int[] allowed = java.util.stream.IntStream.range(0, logits.length).filter(i -> logits[i] == 0).toArray();
                if (allowed.length == 0) throw new AssertionError("nothing allowed after " + out);
                int t = allowed[random.nextInt(allowed.length)];
                if (t == GrammarTesting.EOS) break;
                m.accept(t);
                out.writeBytes(GrammarTesting.PIECES.get(t));
            }
            if (!m.canStop()) continue; // ran out of steps inside a value
            String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
            var node = GrammarTesting.JSON.readTree(text);
            assertTrue(node.get("name").isTextual() && node.get("name").asText().codePointCount(0, node.get("name").asText().length()) <= 6, text);
            int n = node.get("n").asInt();
            assertTrue(node.get("n").isInt() && n >= -5 && n <= 50, text);
            bytes.append(text);
        }
    }
}
