package dev.hearth.engine.sampling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringsTest {

    /** Pushes the pieces, then flushes; returns everything emitted, with the matched stop appended as "|stop". */
    private static String stream(StopStrings s, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (String p : pieces) out.append(s.push(p));
        out.append(s.flush());
        return s.stopped() ? out + "|" + s.matchedStop() : out.toString();
    }

    @Test
    void noStopStringsPassesTextThrough() {
        StopStrings s = new StopStrings(List.of());
        assertEquals("Hello", s.push("Hello"));
        assertEquals(" world", s.push(" world"));
        assertEquals("", s.flush());
        assertFalse(s.stopped());
    }

    @Test
    void holdsBackAPossibleBeginningAndReleasesItWhenItIsNot() {
        StopStrings s = StopStrings.of("</s>");
        assertEquals("Hello ", s.push("Hello <"));
        assertEquals(1, s.heldBack());
        assertEquals("<b", s.push("b"));
        assertEquals("", s.push("</"));
        assertEquals("</x", s.push("x"));
        assertFalse(s.stopped());
    }

    @Test
    void stopSplitAcrossSeveralPieces() {
        StopStrings s = StopStrings.of("<|end|>");
        assertEquals("answer", s.push("answer<"));
        assertEquals("", s.push("|e"));
        assertEquals("", s.push("nd"));
        assertEquals("", s.push("|>trailing text"));
        assertTrue(s.stopped());
        assertEquals("<|end|>", s.matchedStop());
        assertEquals("", s.push("more"));
        assertEquals("", s.flush());
    }

    @Test
    void falseStartThenRealStop() {
        // "##" starts like "###" twice before the real one
        assertEquals("a## b##c|###", stream(StopStrings.of("###"), "a#", "# b", "##", "c###", "d"));
        assertEquals("xab|abc", stream(StopStrings.of("abc"), "xa", "bab", "c"));
        // the self-overlapping case: "aab" inside "aaab"
        assertEquals("a|aab", stream(StopStrings.of("aab"), "a", "a", "a", "b"));
    }

    @Test
    void textAfterTheStopInTheSamePieceIsDropped() {
        StopStrings s = StopStrings.of("STOP");
        assertEquals("keep ", s.push("keep STOP drop"));
        assertEquals("STOP", s.matchedStop());
    }

    @Test
    void oneStopIsAPrefixOfAnother() {
        // "ab" completes before "abc" could: it wins, whatever the pieces
        assertEquals("x|ab", stream(StopStrings.of("abc", "ab"), "xabc"));
        assertEquals("x|ab", stream(StopStrings.of("abc", "ab"), "x", "a", "b", "c"));
        // "bc" and "abc" end together: the longer wins so no part of a stop string is emitted
        assertEquals("x|abc", stream(StopStrings.of("bc", "abc"), "xab", "c"));
        assertEquals("x|abc", stream(StopStrings.of("bc", "abc"), "xabc"));
        // a prefix that never completes its longer sibling is released at the end
        assertEquals("x<|im", stream(StopStrings.of("<|im_end|>", "<|im_start|>"), "x<|i", "m"));
    }

    @Test
    void multipleStopStringsEarliestEndingWins() {
        assertEquals("one |two", stream(StopStrings.of("three", "two"), "one two three"));
        assertEquals("one |two", stream(StopStrings.of("three", "two"), "one tw", "o three"));
    }

    @Test
    void unicodeStopStringsAndSurrogatePairs() {
        // stop made of an emoji (a surrogate pair) and CJK
        assertEquals("你好|🛑停", stream(StopStrings.of("🛑停"), "你好\uD83D", "\uDED1", "停止"));
        // a high surrogate at the end of a piece is held so a pair is never split between two returns
        StopStrings s = new StopStrings(List.of());
        assertEquals("a", s.push("a\uD83D"));
        assertEquals("\uD83D\uDE00", s.push("\uDE00"));
        assertEquals("é", stream(StopStrings.of("é!"), "é"));
    }

    @Test
    void flushReleasesAHeldPrefixWhenGenerationEndsOtherwise() {
        StopStrings s = StopStrings.of("\n\nUser:");
        assertEquals("The end.", s.push("The end.\n\nUs"));
        assertEquals("\n\nUs", s.flush());
        assertFalse(s.stopped());
        assertNull(s.matchedStop());
    }

    /**
     * Independent of the cut: for random texts and random piece boundaries the emitted text and the matched stop
     * equal a direct computation on the whole text (first occurrence to end, longest at the same end).
     */
    @Test
    void resultDoesNotDependOnHowTheTextIsCut() {
        SplittableRandom rnd = new SplittableRandom(42);
        String alphabet = "ab#<>é";
        for (int trial = 0; trial < 2000; trial++) {
            List<String> stops = new ArrayList<>();
            int nStops = 1 + rnd.nextInt(3);
            for (int i = 0; i < nStops; i++) stops.add(randomString(rnd, alphabet, 1 + rnd.nextInt(4)));
            String text = randomString(rnd, alphabet, rnd.nextInt(30));

            String expected = reference(text, stops);
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < text.length(); ) {
                int len = Math.min(text.length() - i, rnd.nextInt(5));
                pieces.add(text.substring(i, i + len));
                i += len;
            }
            String actual = stream(new StopStrings(stops), pieces.toArray(String[]::new));
            assertEquals(expected, actual, "stops " + stops + " text '" + text + "' pieces " + pieces);
        }
    }

    private static String randomString(SplittableRandom rnd, String alphabet, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        return b.toString();
    }

    private static String reference(String text, List<String> stops) {
        int bestEnd = Integer.MAX_VALUE, bestStart = -1;
        String best = null;
        for (String s : stops) {
            int i = text.indexOf(s);
            if (i < 0) continue;
            int end = i + s.length();
            if (end < bestEnd || (end == bestEnd && i < bestStart)) {
                bestEnd = end;
                bestStart = i;
                best = s;
            }
        }
        return best == null ? text : text.substring(0, bestStart) + "|" + best;
    }
}
