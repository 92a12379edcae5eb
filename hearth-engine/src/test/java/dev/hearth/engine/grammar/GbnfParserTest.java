package dev.hearth.engine.grammar;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.hearth.engine.grammar.GrammarTesting.matches;
import static dev.hearth.engine.grammar.GrammarTesting.prefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GbnfParserTest {
    @Test
    void literalsAlternativesAndRules() {
        Grammar g = Grammar.parse("""
                # a comment
                root ::= greeting " " name   # trailing comment
                greeting ::= "hello" | "hi"
                name ::= [A-Z] [a-z]*
                """);
        assertTrue(matches(g, "hello World"));
        assertTrue(matches(g, "hi X"));
        assertFalse(matches(g, "hey World"));
        assertFalse(matches(g, "hello world"));
        assertFalse(matches(g, "hello"));
        assertTrue(prefix(g, "hel"));
    }

    @Test
    void groupsSpanLinesAndRepetitionsCount() {
        Grammar g = Grammar.parse("""
                root ::= (
                  "a"{2} "b"{1,3} "c"{2,} "d"? ("e" | "f")+
                )
                """);
        assertTrue(matches(g, "aabccde"));
        assertTrue(matches(g, "aabbbcccccef"));
        assertFalse(matches(g, "abccde"));        // a{2}
        assertFalse(matches(g, "aabbbbccde"));    // b{1,3}
        assertFalse(matches(g, "aabcde"));        // c{2,}
        assertFalse(matches(g, "aabccdd"));       // d?, then (e|f)+
        assertFalse(matches(g, "aabccd"));        // + needs one
    }

    @Test
    void repetitionAppliesToTheWholeLiteralOrGroup() {
        Grammar g = Grammar.parse("root ::= \"ab\"* (\"x\" \"y\"){2}");
        assertTrue(matches(g, "ababxyxy"));
        assertTrue(matches(g, "xyxy"));
        assertFalse(matches(g, "abaxyxy"));
        assertFalse(matches(g, "ababxy"));
    }

    @Test
    void classesEscapesAndNegation() {
        Grammar g = Grammar.parse("root ::= [^\"\\\\\\n] [\\x41-\\x43] [\\u00e9] \"\\t\\\"\" . [a-c-]");
        assertTrue(matches(g, "zBé\t\"日-"));
        assertTrue(matches(g, "zAé\t\"xb"));
        assertFalse(matches(g, "\"Bé\t\"x-"));
        assertFalse(matches(g, "zDé\t\"x-"));
        assertFalse(matches(g, "zBe\t\"x-"));
    }

    @Test
    void multiByteCharactersSplitAcrossTokens() {
        Grammar g = Grammar.parse("root ::= [日本]+");
        GrammarMatcher m = g.newMatcher(GrammarTesting.TRIE);
        byte[] utf8 = "日".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : utf8) {
            assertTrue(m.allows(b & 0xFF), "byte " + (b & 0xFF));
            m.accept(b & 0xFF);
        }
        assertTrue(m.canStop());
        assertTrue(m.allows(GrammarTesting.token("日本")));
        assertFalse(m.allows(GrammarTesting.token("é")));
        assertFalse(m.allows('a'));
        assertFalse(m.allows(0xC3)); // the lead byte of é cannot become 日 or 本
        assertTrue(m.allows(0xE6)); // the lead byte of 日 and 本
    }

    @Test
    void endOfGenerationOnlyWhereTheRootIsComplete() {
        Grammar g = Grammar.parse("root ::= \"ab\" \"c\"?");
        GrammarMatcher m = g.newMatcher(GrammarTesting.TRIE);
        assertFalse(m.allows(GrammarTesting.EOS));
        assertTrue(m.allows(GrammarTesting.token("ab")));
        assertTrue(m.allows('a'));
        assertFalse(m.allows('b'));
        assertFalse(m.allows(GrammarTesting.EOS - 1)); // an empty piece never
        m.accept(GrammarTesting.token("ab"));
        assertTrue(m.allows(GrammarTesting.EOS));
        assertTrue(m.canStop());
        assertFalse(m.isComplete());
        m.accept('c');
        assertTrue(m.isComplete());
        assertFalse(m.allows('c'));
        assertThrows(IllegalStateException.class, () -> m.accept('c'));
    }

    @Test
    void maskSetsRejectedTokensToMinusInfinity() {
        Grammar g = Grammar.parse("root ::= \"true\" | \"false\"");
        GrammarMatcher m = g.newMatcher(GrammarTesting.TRIE);
        float[] logits = new float[GrammarTesting.PIECES.size()];
        m.mask(logits);
        int allowed = 0;
        for (int i = 0; i < logits.length; i++) if (logits[i] == 0) allowed++;
        StringBuilder which = new StringBuilder();
        for (int i = 0; i < logits.length; i++) if (logits[i] == 0) which.append(i).append(' ');
        assertEquals(4, allowed, which.toString()); // t, f, "true", "false"
        assertEquals(0, logits[GrammarTesting.token("true")]);
        assertEquals(Float.NEGATIVE_INFINITY, logits['x']);
    }

    @Test
    void rightRecursionStaysFlat() {
        Grammar g = Grammar.parse("root ::= item*\nitem ::= \"x\" | \"(\" root \")\"");
        assertTrue(matches(g, "x".repeat(5000)));
        assertTrue(matches(g, "x((x)x)"));
        assertFalse(matches(g, "x((x)x"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            root ::= "abc                | line 1, column 14: unterminated literal
            root ::= foo                 | line 1, column 10: undefined rule 'foo'
            rule ::= "a"                 | no 'root' rule
            root ::= [a-                 | line 1, column 13: unterminated character class
            root ::= ("a"                | line 1, column 14: expected ')'
            root ::= * "a"               | line 1, column 10: '*' has nothing to repeat
            root ::= "a"{3,1}            | line 1, column 18: repetition {3,1} has max < min
            root ::= "\\q"               | line 1, column 11: unknown escape '\\q'
            root := "a"                  | line 1, column 6: expected ::= after rule name 'root'
            root ::= root "a"            | rule 'root' is left-recursive
            root ::= "a" ) "b"           | line 1, column 14: unexpected ')'
            root ::= "a" @               | line 1, column 14: unexpected '@'
            root ::= [z-a]               | line 1, column 14: character range is out of order
            ''                           | the grammar is empty
            """)
    void invalidGrammarsNameTheProblem(String gbnf, String message) {
        GrammarException e = assertThrows(GrammarException.class, () -> Grammar.parse(gbnf == null ? "" : gbnf));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void ruleDefinedTwiceAndIndirectLeftRecursion() {
        assertThrows(GrammarException.class, () -> Grammar.parse("root ::= \"a\"\nroot ::= \"b\""));
        GrammarException e = assertThrows(GrammarException.class,
                () -> Grammar.parse("root ::= a\na ::= b? \"x\"\nb ::= root \"y\""));
        assertTrue(e.getMessage().contains("left-recursive"), e.getMessage());
    }
}
