package dev.hearth.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The streaming {@link SpaceCleaner} against the three in-place passes of llama_detokenize's clean_spaces (written
 * out below as the specification), on every string over the characters the passes look at, fed in random chunks.
 */
class SpaceCleanerTest {
    /** The three passes of llama.cpp's detokenize (llama-vocab.cpp), on a byte array, in place. */
    static byte[] reference(byte[] in) {
        byte[] text = in.clone();
        int total = text.length;
        // first pass: " ?", " !", " .", " ," lose the space
        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) total--;
            text[total++] = x;
        }
        // second pass: " ' " becomes "'"; the skipped space is blanked with '\0'
        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++) {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }
        // third pass: " 's", " 'm", " 're", " 've" lose the space
        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
                byte x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < total3) {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' || x1 == 'v') && x2 == 'e') total--;
                }
            }
            text[total++] = x;
        }
        return Arrays.copyOf(text, total);
    }

    static byte[] streamed(byte[] in, Random chunks) {
        ByteList out = new ByteList();
        SpaceCleaner c = new SpaceCleaner(out);
        for (int i = 0; i < in.length; ) {
            int n = 1 + chunks.nextInt(3);
            n = Math.min(n, in.length - i);
            c.push(in, i, n);
            i += n;
        }
        c.finish();
        return out.toArray();
    }

    @Test
    void matchesTheInPlacePassesOnEveryShortString() {
        byte[] alphabet = " '?.svrex".getBytes();
        Random chunks = new Random(1);
        int checked = 0;
        for (int len = 0; len <= 6; len++) {
            int combos = (int) Math.pow(alphabet.length, len);
            for (int code = 0; code < combos; code++) {
                byte[] s = new byte[len];
                for (int i = 0, c = code; i < len; i++, c /= alphabet.length) s[i] = alphabet[c % alphabet.length];
                assertArrayEquals(reference(s), streamed(s, chunks), () -> "'" + new String(s) + "'");
                checked++;
            }
        }
        assertEquals(597871, checked); // 9^0 + ... + 9^6
    }

    @Test
    void matchesTheInPlacePassesOnLongRandomStrings() {
        byte[] alphabet = " '?!.,smtdlrvex\n".getBytes();
        Random r = new Random(2);
        for (int k = 0; k < 2000; k++) {
            byte[] s = new byte[1 + r.nextInt(60)];
            for (int i = 0; i < s.length; i++) s[i] = alphabet[r.nextInt(alphabet.length)];
            assertArrayEquals(reference(s), streamed(s, r), () -> "'" + new String(s) + "'");
        }
    }

    @Test
    void examples() {
        // pass 1 drops the spaces before , ! ? .; pass 2 turns both " ' " into "'"; pass 3 joins 's 'm 're, not 't
        assertEquals("Hello, world! It's? I'm here. They're'quoted'isn 't",
                clean("Hello , world ! It 's ? I 'm here . They 're ' quoted ' isn 't"));
        assertEquals("value!= null", clean("value != null")); // README section 2
    }

    private static String clean(String s) {
        return new String(streamed(s.getBytes(), new Random(3)));
    }
}
