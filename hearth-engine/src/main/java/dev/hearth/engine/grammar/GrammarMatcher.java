package dev.hearth.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One request's position in a {@link Grammar}: masks the logits to the tokens that keep the output a prefix of a
 * sentence of the grammar, and advances over the chosen token. Not thread-safe; one per sequence.
 *
 * <p>A position is a set of parse stacks (as in llama.cpp), each a list of grammar positions whose top is a
 * character class, plus the bytes of a code point a token has started but not finished (pieces split UTF-8
 * anywhere). Stacks are hash-consed and whole positions interned as states with a lazily filled byte-transition
 * table, so a mask is a preorder walk of the {@link TokenTrie} doing one array lookup per node: inside a JSON string
 * nearly every token stays in the same state and costs a few loads.
 */
public final class GrammarMatcher {
    private static final int EMPTY = 0; // the empty stack: the root rule is complete
    private static final int DEAD = -1;
    /** Interned states beyond this are forgotten (the transition tables are a cache). */
    private static final int MAX_STATES = 4096;

    private final Grammar grammar;
    private final TokenTrie trie;
    private final int[] code;

    // hash-consed stack frames: (position, parent frame)
    private int[] framePos = new int[256], frameParent = new int[256];
    private int frames = 1;
    private final Map<Long, Integer> frameIds = new HashMap<>();

    // interned states
    private final Map<StateKey, Integer> stateIds = new HashMap<>();
    private final List<StateKey> states = new ArrayList<>();
    private int[][] transitions = new int[64][]; // per state: 256 entries, 0 unknown, -1 dead, s+1

    private int current;
    private final int[] walk;      // the state at each trie depth during a mask
    private final long[] allowed;  // bitset by token id
    private int[] seenStamp = new int[256];
    private int stamp;

    GrammarMatcher(Grammar grammar, TokenTrie trie) {
        this.grammar = grammar;
        this.trie = trie;
        this.code = grammar.code;
        this.walk = new int[trie.maxDepth + 1];
        this.allowed = new long[(trie.vocabularySize + 63) >>> 6];
        IntBuffer start = new IntBuffer();
        stamp++;
        for (int a : grammar.alternatives[grammar.root]) expand(frame(a, EMPTY), start);
        current = intern(new StateKey(start.sortedUnique(), 0, 0, 0));
        if (states.get(current).stacks.length == 0) throw new GrammarException("the grammar matches nothing");
    }

    /** Whether the output so far is a complete sentence: end-of-generation is allowed now. */
    public boolean canStop() {
        StateKey s = states.get(current);
        return s.need == 0 && s.stacks[0] == EMPTY;
    }

    /** Whether the output is complete and nothing may follow: the generation is over. */
    public boolean isComplete() {
        StateKey s = states.get(current);
        return s.need == 0 && s.stacks.length == 1 && s.stacks[0] == EMPTY;
    }

    /**
     * Sets the logits of every token the grammar rejects here to -Infinity; end-of-generation tokens stay only
     * where the grammar may stop.
     */
    public void mask(float[] logits) {
        computeAllowed();
        for (int w = 0; w < allowed.length; w++) {
            long bits = allowed[w];
            if (bits == -1L) continue;
            int base = w << 6, limit = Math.min(64, logits.length - base);
            for (int b = 0; b < limit; b++) {
                if ((bits & (1L << b)) == 0) logits[base + b] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Whether {@code token} is allowed now (after the same walk as {@link #mask}; for tests and checks). */
    public boolean allows(int token) {
        computeAllowed();
        return (allowed[token >>> 6] & (1L << token)) != 0;
    }

    private void computeAllowed() {
        Arrays.fill(allowed, 0);
        if (canStop()) for (int t : trie.endTokens) allowed[t >>> 6] |= 1L << t;
        byte[] label = trie.label;
        int[] depth = trie.depth, end = trie.end, token = trie.token, sameNext = trie.sameNext;
        int[] walk = this.walk;
        walk[0] = current;
        int n = label.length;
        int i = 1;
        while (i < n) {
            int d = depth[i];
            int parent = walk[d - 1], b = label[i] & 0xFF;
            int v = transitions[parent][b]; // step() inlined for the known transitions
            int s = v > 0 ? v - 1 : v < 0 ? DEAD : step(parent, b);
            if (s < 0) {
                i = end[i];
                continue;
            }
            walk[d] = s;
            for (int t = token[i]; t >= 0; t = sameNext[t]) allowed[t >>> 6] |= 1L << t;
            i++;
        }
    }

    /**
     * Advances over a chosen token. End-of-generation tokens change nothing.
     *
     * @throws IllegalStateException if the grammar does not allow the token here
     */
    public void accept(int token) {
        if (trie.isEnd(token)) {
            if (!canStop()) throw new IllegalStateException("the grammar cannot end here");
            return;
        }
        byte[] piece = trie.piece(token);
        if (piece == null) throw new IllegalStateException("token " + token + " emits no text: the grammar does not allow it");
        int s = current;
        for (byte b : piece) {
            s = step(s, b & 0xFF);
            if (s < 0) throw new IllegalStateException("the grammar does not allow token " + token + " here");
        }
        current = s;
        if (states.size() > MAX_STATES) forget();
    }

    /**
     * Advances over raw output bytes, such as the text a lazy grammar's trigger left over inside its token. Returns
     * false, without moving, when the grammar rejects them.
     */
    public boolean acceptBytes(byte[] bytes) {
        int s = current;
        for (byte b : bytes) {
            s = step(s, b & 0xFF);
            if (s < 0) return false;
        }
        current = s;
        if (states.size() > MAX_STATES) forget();
        return true;
    }

    /** Whether {@code text} is accepted as a whole from the current position, without moving (tests). */
    boolean acceptsText(String text, boolean complete) {
        int s = current;
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            s = step(s, b & 0xFF);
            if (s < 0) return false;
        }
        StateKey k = states.get(s);
        return !complete || k.need == 0 && k.stacks[0] == EMPTY;
    }

    /** Drops every state but the current one (their transition tables are only a cache). */
    private void forget() {
        StateKey keep = states.get(current);
        states.clear();
        transitions = new int[64][];
        stateIds.clear();
        current = intern(keep);
    }

    private int step(int state, int b) {
        int v = transitions[state][b];
        if (v != 0) return v > 0 ? v - 1 : DEAD;
        int next = computeStep(states.get(state), b);
        transitions[state][b] = next < 0 ? -1 : next + 1; // the array may have grown meanwhile: index again
        return next;
    }

    private int computeStep(StateKey s, int b) {
        if (s.need == 0) {
            if (b < 0x80) return advance(s.stacks, b);
            int need, partial;
            if (b >= 0xC2 && b <= 0xDF) { need = 1; partial = b & 0x1F; }
            else if (b >= 0xE0 && b <= 0xEF) { need = 2; partial = b & 0x0F; }
            else if (b >= 0xF0 && b <= 0xF4) { need = 3; partial = b & 0x07; }
            else return DEAD;
            return partial(s.stacks, partial, need, need + 1);
        }
        if ((b & 0xC0) != 0x80) return DEAD;
        if (s.need == s.width - 1 && !validSecondByte(s.width, s.partial, b)) return DEAD;
        int partial = s.partial << 6 | (b & 0x3F);
        if (s.need == 1) return advance(s.stacks, partial);
        return partial(s.stacks, partial, s.need - 1, s.width);
    }

    /** Well-formed UTF-8 (RFC 3629): no overlong forms, surrogates or code points past U+10FFFF. */
    private static boolean validSecondByte(int width, int lead, int b) {
        if (width == 3 && lead == 0x0) return b >= 0xA0;
        if (width == 3 && lead == 0xD) return b < 0xA0;
        if (width == 4 && lead == 0x0) return b >= 0x90;
        if (width == 4 && lead == 0x4) return b < 0x90;
        return true;
    }

    /** A state inside a code point, if some stack can take a code point starting with these bits. */
    private int partial(int[] stacks, int partial, int need, int width) {
        int lo = partial << (6 * need), hi = lo | ((1 << (6 * need)) - 1);
        lo = Math.max(lo, width == 2 ? 0x80 : width == 3 ? 0x800 : 0x10000); // shorter forms would be overlong
        hi = Math.min(hi, 0x10FFFF);
        for (int st : stacks) {
            if (st != EMPTY && grammar.intersects(Grammar.id(code[framePos[st]]), lo, hi)) {
                return intern(new StateKey(stacks, partial, need, width));
            }
        }
        return DEAD;
    }

    private int advance(int[] stacks, int cp) {
        IntBuffer out = new IntBuffer();
        stamp++;
        for (int st : stacks) {
            if (st == EMPTY) continue;
            int pos = framePos[st];
            if (grammar.matches(Grammar.id(code[pos]), cp)) expand(frame(pos + 1, frameParent[st]), out);
        }
        if (out.size == 0) return DEAD;
        return intern(new StateKey(out.sortedUnique(), 0, 0, 0));
    }

    /** Adds the stacks reachable from {@code stack} without consuming input whose top is a character class. */
    private void expand(int stack, IntBuffer out) {
        while (true) {
            if (stack == EMPTY) {
                out.add(EMPTY);
                return;
            }
            if (stack < seenStamp.length && seenStamp[stack] == stamp) return;
            if (stack >= seenStamp.length) seenStamp = Arrays.copyOf(seenStamp, Math.max(stack + 1, seenStamp.length * 2));
            seenStamp[stack] = stamp;
            int pos = framePos[stack];
            int el = code[pos];
            switch (Grammar.kind(el)) {
                case Grammar.CHAR -> {
                    out.add(stack);
                    return;
                }
                case Grammar.END -> stack = frameParent[stack];
                default -> {
                    int parent = frameParent[stack];
                    // a reference in tail position returns straight to the parent: right recursion stays flat
                    int rest = Grammar.kind(code[pos + 1]) == Grammar.END ? parent : frame(pos + 1, parent);
                    int[] alts = grammar.alternatives[Grammar.id(el)];
                    for (int i = 0; i < alts.length - 1; i++) expand(frame(alts[i], rest), out);
                    stack = frame(alts[alts.length - 1], rest);
                }
            }
        }
    }

    private int frame(int pos, int parent) {
        long key = (long) pos << 32 | parent;
        Integer id = frameIds.get(key);
        if (id != null) return id;
        if (frames == framePos.length) {
            framePos = Arrays.copyOf(framePos, frames * 2);
            frameParent = Arrays.copyOf(frameParent, frames * 2);
        }
        framePos[frames] = pos;
        frameParent[frames] = parent;
        frameIds.put(key, frames);
        return frames++;
    }

    private int intern(StateKey key) {
        Integer id = stateIds.get(key);
        if (id != null) return id;
        int s = states.size();
        states.add(key);
        if (s == transitions.length) transitions = Arrays.copyOf(transitions, s * 2);
        transitions[s] = new int[256];
        stateIds.put(key, s);
        return s;
    }

    /** Sorted stack ids (EMPTY first when present) and the unfinished code point: its bits, bytes to come, width. */
    private record StateKey(int[] stacks, int partial, int need, int width) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StateKey k && k.partial == partial && k.need == need && Arrays.equals(k.stacks, stacks);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(stacks) * 31 + partial * 7 + need;
        }
    }
}
