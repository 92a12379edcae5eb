package dev.hearth.engine.sampling;

import dev.hearth.engine.grammar.Grammar;
import dev.hearth.engine.grammar.TokenTrie;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerGrammarTest {
    private static final List<byte[]> PIECES = new ArrayList<>();
    static {
        for (int b = 0; b < 128; b++) PIECES.add(new byte[] {(byte) b});
        for (String s : List.of("yes", "no", "ye", "s!", "maybe")) PIECES.add(s.getBytes(StandardCharsets.UTF_8));
        PIECES.add(new byte[0]); // end of generation
    }
    private static final int V = PIECES.size(), EOS = V - 1;
    private static final TokenTrie TRIE = TokenTrie.of(V, PIECES::get, id -> id == EOS);

    private static Sampler sampler(SamplingParams p) {
        return new Sampler(p, V, 0, id -> id == EOS, TRIE);
    }

    @Test
    void everySampledTokenKeepsTheOutputInTheGrammar() {
        Grammar g = Grammar.parse("root ::= (\"yes\" | \"no\") \"!\"?");
        Random random = new Random(1);
        for (int seed = 0; seed < 200; seed++) {
            Sampler s = sampler(SamplingParams.builder().neutral().seed(seed).grammar(g).build());
            StringBuilder out = new StringBuilder();
            float[] logits = new float[V];
            for (int step = 0; step < 10; step++) {
                for (int i = 0; i < V; i++) logits[i] = (float) random.nextGaussian() * 3;
                int t = s.sample(logits);
                s.accept(t);
                if (t == EOS) break;
                out.append(new String(PIECES.get(t), StandardCharsets.UTF_8));
                if (s.grammarComplete()) break;
            }
            assertTrue(out.toString().matches("(yes|no)!?"), out.toString());
        }
    }

    @Test
    void greedyTakesTheBestAllowedToken() {
        Sampler s = sampler(SamplingParams.builder().temperature(0).grammar(Grammar.parse("root ::= \"no\"")).build());
        float[] logits = new float[V];
        logits['y'] = 10;
        logits['n'] = 1;
        logits[PIECES.size() - 5] = 5; // "no"
        int t = s.sample(logits);
        assertEquals(PIECES.size() - 5, t);
        s.accept(t);
        assertTrue(s.grammarComplete());
    }

    @Test
    void promptTokensDoNotAdvanceTheGrammar() {
        Sampler s = sampler(SamplingParams.builder().temperature(0).grammar(Grammar.parse("root ::= \"a\"")).build());
        s.accept(new int[] {'x', 'y', 'z'}, 0, 3);
        float[] logits = new float[V];
        logits['x'] = 9;
        assertEquals('a', s.sample(logits));
    }

    @Test
    void withoutAGrammarNothingChanges() {
        float[] logits = new float[V];
        new Random(5).ints(V, -5, 5).forEach(new java.util.function.IntConsumer() {
            int i;
            public void accept(int v) { logits[i++] = v; }
        });
        Sampler a = new Sampler(SamplingParams.builder().seed(9).build(), V, 0, id -> id == EOS);
        Sampler b = sampler(SamplingParams.builder().seed(9).build());
        for (int i = 0; i < 50; i++) assertEquals(a.sampleAndAccept(logits), b.sampleAndAccept(logits));
        assertFalse(b.grammarComplete());
    }

    @Test
    void grammarErrorsNameTheApiField() {
        SamplingParameterException e = assertThrows(SamplingParameterException.class,
                () -> SamplingParams.builder().gbnf("grammar", "root ::= (\"a\"").build());
        assertEquals("grammar", e.parameter());
        assertTrue(e.getMessage().contains("expected ')'"), e.getMessage());
        e = assertThrows(SamplingParameterException.class,
                () -> SamplingParams.builder().jsonSchema("response_format", Map.of("type", "string", "format", "email")).build());
        assertEquals("response_format", e.parameter());
        assertTrue(e.getMessage().contains("'format'"), e.getMessage());
        SamplingParams ok = SamplingParams.builder().regex("grammar", "^[ab]+$").build();
        assertTrue(ok.grammar() != null);
        assertEquals(ok.grammar(), ok.toBuilder().build().grammar());
    }

    @Test
    void aGrammarNeedsTheVocabulary() {
        SamplingParams p = SamplingParams.builder().grammar(Grammar.anyJsonObject()).build();
        assertThrows(IllegalArgumentException.class, () -> new Sampler(p, V, 0, id -> false));
    }

    @Test
    void aLazyGrammarMasksNothingUntilTriggeredThenStartsFromTheTriggersTail() {
        SamplingParams p = SamplingParams.builder().temperature(0).grammar(Grammar.parse("root ::= \"s!\" [0-9]"))
                .grammarTrigger("ye").build();
        Sampler s = sampler(p);
        float[] logits = new float[V];
        logits['x'] = 9;
        logits['5'] = 1;
        assertEquals("ye", s.grammarTrigger());
        assertEquals('x', s.sample(logits), "inactive: no mask");
        s.accept('x');
        assertTrue(s.triggerGrammar("s!")); // e.g. the token "yes!" completed the trigger; "s!" followed it
        assertEquals(null, s.grammarTrigger());
        assertEquals('5', s.sample(logits), "active: only a digit may follow");
        s.accept('5');
        assertTrue(s.grammarComplete());
    }

    @Test
    void aTailThatBreaksTheLazyGrammarDropsIt() {
        Sampler s = sampler(SamplingParams.builder().temperature(0).grammar(Grammar.parse("root ::= \"!\""))
                .grammarTrigger("ye").build());
        assertFalse(s.triggerGrammar("s"));
        assertEquals(null, s.grammarTrigger());
        float[] logits = new float[V];
        logits['x'] = 9;
        assertEquals('x', s.sample(logits), "dropped: no mask");
        s.accept('x');
        assertFalse(s.grammarComplete());
    }
}
