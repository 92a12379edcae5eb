package dev.hearth.engine.template;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Hearth's rendering of every golden case (own construct corpus and model-family templates under every
 * conversation, plus the snippets) must be byte-identical to Python Jinja2's, and fail the same way where
 * Jinja2 fails (same error kind and message, same line for syntax errors).
 */
class ChatTemplateGoldenTest {

    private static final GoldenCorpus CORPUS = new GoldenCorpus();

    @TestFactory
    Stream<DynamicTest> matchesJinja2() {
        return CORPUS.cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            String difference = CORPUS.check(c);
            assertTrue(difference == null, () -> c.name() + ": " + difference);
        }));
    }

    @Test
    void corpusIsLargeAndHasModelTemplates() {
        long models = CORPUS.cases.stream().filter(c -> c.name().startsWith("models/")).count();
        long errors = CORPUS.cases.stream().filter(c -> c.errorType() != null).count();
        assertTrue(models >= 12 * CORPUS.conversations.size(), "model templates x conversations: " + models);
        assertTrue(errors >= 30, "error cases: " + errors);
    }
}
