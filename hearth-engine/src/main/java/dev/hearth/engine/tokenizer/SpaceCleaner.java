package dev.hearth.engine.tokenizer;

/**
 * llama.cpp's {@code clean_spaces} post-processing of detokenized text, as a stream: it removes the space before
 * {@code ? ! . ,}, collapses {@code " ' "} to {@code "'"}, and removes the space before the contractions
 * {@code 's 'm 're 've} (not {@code 't 'd 'll}). llama_detokenize runs these as three in-place passes over the
 * whole text; each pass only looks a few bytes ahead, so here each is a small stage that holds back just the
 * bytes it cannot decide yet, and {@link #finish()} decides the rest the way the passes treat the end of text.
 */
final class SpaceCleaner {
    private final ByteList out;
    // stage 1: a space waiting to see whether punctuation follows
    private boolean heldSpace;
    // stage 2: the last two bytes seen (y1 before y2), and whether " ' " collapsed at their positions - 1
    private int count2;
    private int y1, y2;
    private boolean collapsedBeforeY1, collapsedBeforeY2;
    // stage 3: up to four bytes waiting for their lookahead
    private final int[] window = new int[4];
    private int count3;

    SpaceCleaner(ByteList out) {
        this.out = out;
    }

    void push(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) push(b[i] & 0xFF);
    }

    void push(int b) {
        if (heldSpace) {
            heldSpace = false;
            if (!(b == '?' || b == '!' || b == '.' || b == ',')) stage2(' ');
        }
        if (b == ' ') heldSpace = true;
        else stage2(b);
    }

    /** Flushes the held-back bytes; the text has ended. */
    void finish() {
        if (heldSpace) {
            heldSpace = false;
            stage2(' ');
        }
        // stage 2: nothing collapses at the last byte (it has no right neighbour)
        if (count2 >= 2 && !collapsedBeforeY1) stage3(y1);
        if (count2 >= 1 && !collapsedBeforeY2) stage3(y2);
        count2 = 0;
        collapsedBeforeY1 = collapsedBeforeY2 = false;
        while (count3 > 0) decideStage3(true);
    }

    /**
     * Byte v arrives at index k. With y[k-2], y[k-1], y[k] known, decide whether " ' " collapses at k-1 (the pass
     * skips the space after a collapse and blanks it, so a collapse cannot start on that space), then y[k-2] is
     * final: it is dropped when a collapse happened right before or right after it.
     */
    private void stage2(int v) {
        if (count2 >= 2) {
            boolean collapse = y2 == '\'' && y1 == ' ' && v == ' ' && !collapsedBeforeY1;
            if (!(collapsedBeforeY1 || collapse)) stage3(y1);
            collapsedBeforeY1 = collapsedBeforeY2;
            collapsedBeforeY2 = collapse;
        } else if (count2 == 1) {
            collapsedBeforeY1 = collapsedBeforeY2;
        }
        y1 = y2;
        y2 = v;
        count2++;
    }

    private void stage3(int z) {
        window[count3++] = z;
        if (count3 == 4) decideStage3(false);
    }

    /** Emits or drops the oldest byte of stage 3; at the end, missing lookahead counts as absent. */
    private void decideStage3(boolean atEnd) {
        int z = window[0];
        boolean drop = false;
        if (z == ' ' && count3 >= 3 && window[1] == '\'') {
            int x1 = window[2];
            if (x1 == 's' || x1 == 'm') drop = true;
            else if (count3 >= 4 && (x1 == 'r' || x1 == 'v') && window[3] == 'e') drop = true;
        }
        if (!drop) out.add(z);
        System.arraycopy(window, 1, window, 0, count3 - 1);
        count3--;
        assert atEnd || count3 == 3;
    }
}
