package dev.hearth.cli.synth;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A byte-level BPE vocabulary of a given size, as GPT-2 style tokenizers store it: the 256 byte tokens (in GPT-2's
 * byte-to-character mapping), then tokens each made by a merge of two earlier ones, listed in {@code merges} in
 * the order they were made, so that every merge's parts and result are in the vocabulary. The merged tokens are
 * made-up letter strings, words with and without a leading space ({@code Ġ}), as a real vocabulary is mostly.
 *
 * @param types llama.cpp token types: 1 normal, 3 control, 5 unused
 */
public record SynthVocab(String[] tokens, int[] types, String[] merges) {
    static final int NORMAL = 1, CONTROL = 3, UNUSED = 5;

    public static SynthVocab build(SynthShape shape, long seed) {
        int size = shape.vocabulary();
        String[] tokens = new String[size];
        int[] types = new int[size];
        for (SynthShape.Special s : shape.specials()) {
            tokens[s.id()] = s.text();
            types[s.id()] = CONTROL;
        }
        if (shape.padFrom() >= 0) {
            for (int id = shape.padFrom(); id < size; id++) {
                tokens[id] = "[PAD" + id + "]";
                types[id] = UNUSED;
            }
        }
        int free = 0;
        for (String t : tokens) if (t == null) free++;
        if (free < 256) throw new IllegalArgumentException("vocabulary of " + size + " has no room for the 256 byte tokens");

        // The regular tokens, in id order: bytes first, then merges.
        List<String> regular = new ArrayList<>(free);
        char[] byteChar = byteToChar();
        for (int b = 0; b < 256; b++) regular.add(String.valueOf(byteChar[b]));
        Set<String> seen = new HashSet<>(regular);
        for (String t : tokens) if (t != null) seen.add(t);
        // Parts a merge may use: word pieces that may start a word (letters, or Ġ + letters) and pieces that may
        // continue one (letters only). Merges start with common letters so short tokens come first, as in real BPE.
        List<String> starts = new ArrayList<>(), continues = new ArrayList<>();
        for (char c = 'a'; c <= 'z'; c++) { starts.add(String.valueOf(c)); continues.add(String.valueOf(c)); }
        for (char c = 'A'; c <= 'Z'; c++) starts.add(String.valueOf(c));
        String space = String.valueOf(byteChar[' ']);
        List<String> merges = new ArrayList<>(free - 256);
        for (char c = 'a'; c <= 'z' && regular.size() < free; c++) { // "Ġa" ... "Ġz": the space merges
            String t = space + c;
            regular.add(t);
            seen.add(t);
            merges.add(space + " " + c);
            starts.add(t);
        }
        Random random = new Random(seed);
        while (regular.size() < free) {
            // Bias toward recent pieces (longer ones) half the time, so lengths grow as merges go on.
            String left = pick(starts, random), right = pick(continues, random);
            String t = left + right;
            if (t.length() > 18 || !seen.add(t)) continue;
            regular.add(t);
            merges.add(left + " " + right);
            starts.add(t);
            if (t.charAt(0) != space.charAt(0) && Character.isLowerCase(t.charAt(0))) continues.add(t);
        }
        int next = 0;
        for (int id = 0; id < size; id++) {
            if (tokens[id] == null) {
                tokens[id] = regular.get(next++);
                types[id] = NORMAL;
            }
        }
        return new SynthVocab(tokens, types, merges.toArray(String[]::new));
    }

    private static String pick(List<String> pieces, Random random) {
        int n = pieces.size();
        return random.nextBoolean() ? pieces.get(random.nextInt(n)) : pieces.get(n - 1 - random.nextInt(Math.min(n, 512)));
    }

    /** GPT-2's byte-level mapping: printable bytes stand for themselves, the others for 256 + k. */
    static char[] byteToChar() {
        char[] map = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int extra = 0;
        for (int b = 0; b < 256; b++) map[b] = printable[b] ? (char) b : (char) (256 + extra++);
        return map;
    }
}
