package dev.hearth.engine.generate;

import dev.hearth.engine.model.Session;

/**
 * One of the scheduler's sequences: a {@link Session} (its KV cache) and the tokens whose keys and values it holds,
 * which outlive the request that put them there so a later request with the same prefix skips evaluating it.
 */
final class Slot {
    final int index;
    final Session session;
    final int[] tokens;
    Job job;
    long lastUsed;

    Slot(int index, Session session) {
        this.index = index;
        this.session = session;
        this.tokens = new int[session.contextLength()];
    }

    /** Tokens held: the session's position. */
    int length() {
        return session.position();
    }

    /** Length of the common prefix of the held tokens and {@code ids}. */
    int commonPrefix(int[] ids) {
        int n = Math.min(length(), ids.length), i = 0;
        while (i < n && tokens[i] == ids[i]) i++;
        return i;
    }

    /** Records that {@code count} tokens of {@code ids} from {@code from} are now held after the current ones. */
    void append(int[] ids, int from, int count) {
        System.arraycopy(ids, from, tokens, length(), count);
    }
}
