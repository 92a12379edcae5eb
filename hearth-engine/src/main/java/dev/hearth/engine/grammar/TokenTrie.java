package dev.hearth.engine.grammar;

import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * A vocabulary's token pieces (UTF-8 bytes) as a trie laid out in preorder, so that masking walks every shared
 * prefix once and skips a whole subtree with one jump when the grammar rejects its prefix. Built once per model
 * and shared by every request (immutable).
 */
public final class TokenTrie {
    final int vocabularySize;
    final byte[] label;   // node i's byte (node 0 is the root)
    final int[] depth;    // root 0
    final int[] end;      // one past the last node of i's subtree
    final int[] token;    // a token whose piece ends at node i, or -1
    final int[] sameNext; // by token id: the next token with the same piece, or -1
    final int[] endTokens; // end-of-generation tokens: allowed only where the grammar may stop
    final int maxDepth;
    private final byte[][] pieces;
    private final boolean[] isEnd;

    /**
     * @param piece           a token's bytes as the detokenizer emits them; tokens with an empty piece (control
     *                        tokens) are never allowed under a grammar
     * @param endOfGeneration tokens that end generation instead of emitting text
     */
    public static TokenTrie of(int vocabularySize, IntFunction<byte[]> piece, IntPredicate endOfGeneration) {
        byte[][] pieces = new byte[vocabularySize][];
        int ends = 0, used = 0;
        Integer[] order = new Integer[vocabularySize];
        for (int id = 0; id < vocabularySize; id++) {
            if (endOfGeneration.test(id)) {
                ends++;
                continue;
            }
            byte[] p = piece.apply(id);
            if (p == null || p.length == 0) continue;
            pieces[id] = p;
            order[used++] = id;
        }
        int[] endTokens = new int[ends];
        for (int id = 0, e = 0; id < vocabularySize; id++) if (endOfGeneration.test(id)) endTokens[e++] = id;
        Integer[] sorted = Arrays.copyOf(order, used);
        Arrays.sort(sorted, (a, b) -> Arrays.compareUnsigned(pieces[a], pieces[b]));
        return new TokenTrie(vocabularySize, pieces, sorted, endTokens);
    }

    private TokenTrie(int vocabularySize, byte[][] pieces, Integer[] sorted, int[] endTokens) {
        this.vocabularySize = vocabularySize;
        this.endTokens = endTokens;
        this.pieces = pieces;
        this.isEnd = new boolean[vocabularySize];
        for (int id : endTokens) isEnd[id] = true;
        int capacity = 1;
        for (Integer id : sorted) capacity += pieces[id].length;
        byte[] label = new byte[capacity];
        int[] depth = new int[capacity], end = new int[capacity], token = new int[capacity];
        sameNext = new int[vocabularySize];
        Arrays.fill(sameNext, -1);
        Arrays.fill(token, -1);
        int[] path = new int[1 + maxLength(pieces, sorted)]; // node at each depth of the current path
        int pathLength = 1; // the root
        int nodes = 1;
        byte[] previous = new byte[0];
        int maxDepth = 0;
        for (Integer id : sorted) {
            byte[] p = pieces[id];
            int common = Arrays.mismatch(previous, p);
            if (common < 0) { // same piece as the previous token
                int node = path[pathLength - 1];
                sameNext[id] = token[node];
                token[node] = id;
                continue;
            }
            while (pathLength > common + 1) end[path[--pathLength]] = nodes;
            for (int i = common; i < p.length; i++) {
                label[nodes] = p[i];
                depth[nodes] = i + 1;
                path[pathLength++] = nodes++;
            }
            token[path[pathLength - 1]] = id;
            maxDepth = Math.max(maxDepth, p.length);
            previous = p;
        }
        while (pathLength > 1) end[path[--pathLength]] = nodes;
        end[0] = nodes;
        this.label = Arrays.copyOf(label, nodes);
        this.depth = Arrays.copyOf(depth, nodes);
        this.end = Arrays.copyOf(end, nodes);
        this.token = Arrays.copyOf(token, nodes);
        this.maxDepth = maxDepth;
    }

    private static int maxLength(byte[][] pieces, Integer[] ids) {
        int m = 0;
        for (Integer id : ids) m = Math.max(m, pieces[id].length);
        return m;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Trie nodes, the root included: the most a mask can visit. */
    public int nodeCount() {
        return label.length;
    }

    /** A token's piece, or null for tokens that emit no text (end-of-generation, control tokens). */
    byte[] piece(int id) {
        return pieces[id];
    }

    boolean isEnd(int id) {
        return isEnd[id];
    }
}
