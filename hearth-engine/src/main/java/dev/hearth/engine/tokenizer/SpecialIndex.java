package dev.hearth.engine.tokenizer;

import java.util.Map;
import java.util.TreeMap;

/**
 * Finds which special tokens occur in a text with one pass over it, so that splitting only searches for those:
 * some vocabularies have thousands of USER_DEFINED tokens, which are split out of every text. Tokens are indexed
 * by their first two bytes (or their only byte).
 */
final class SpecialIndex {
    private final byte[][] texts;
    /** For each first byte, then each second byte (index 256: one-byte tokens), positions in the special order. */
    private final int[][][] byPrefix = new int[256][][];

    SpecialIndex(int[] order, byte[][] textBytes) {
        texts = new byte[order.length][];
        Map<Integer, IntList> lists = new TreeMap<>(); // key: first byte * 257 + second byte (256: none)
        for (int k = 0; k < order.length; k++) {
            byte[] t = textBytes[order[k]];
            texts[k] = t;
            if (t.length == 0) continue;
            int b0 = t[0] & 0xFF, b1 = t.length > 1 ? t[1] & 0xFF : 256;
            lists.computeIfAbsent(b0 * 257 + b1, x -> new IntList()).add(k);
        }
        lists.forEach((key, ks) -> {
            int b0 = key / 257, b1 = key % 257;
            if (byPrefix[b0] == null) byPrefix[b0] = new int[257][];
            byPrefix[b0][b1] = ks.toArray();
        });
    }

    /** Which tokens (by position in the special order) occur in the text; null when none does. */
    boolean[] occurring(byte[] text) {
        boolean[] present = null;
        for (int i = 0; i < text.length; i++) {
            int[][] second = byPrefix[text[i] & 0xFF];
            if (second == null) continue;
            if (second[256] != null) present = mark(present, second[256]);
            if (i + 1 < text.length) {
                int[] candidates = second[text[i + 1] & 0xFF];
                if (candidates != null) {
                    for (int k : candidates) {
                        if ((present == null || !present[k]) && matchesAt(texts[k], text, i)) {
                            if (present == null) present = new boolean[texts.length];
                            present[k] = true;
                        }
                    }
                }
            }
        }
        return present;
    }

    private boolean[] mark(boolean[] present, int[] ks) {
        if (present == null) present = new boolean[texts.length];
        for (int k : ks) present[k] = true;
        return present;
    }

    private static boolean matchesAt(byte[] pattern, byte[] text, int at) {
        if (at + pattern.length > text.length) return false;
        for (int j = 2; j < pattern.length; j++) if (text[at + j] != pattern[j]) return false;
        return true;
    }
}
