package dev.hearth.cli;

import dev.hearth.engine.generate.Completion;
import dev.hearth.engine.generate.FinishReason;
import dev.hearth.engine.generate.Generation;
import dev.hearth.engine.generate.TokenEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;

import static org.junit.jupiter.api.Assertions.*;

class StreamerTest {
    static final class Handle implements Generation {
        boolean cancelled;

        public void cancel() { cancelled = true; }

        public boolean isDone() { return false; }
    }

    @Test
    void printsAndKeepsTheText() throws Exception {
        StringWriter sw = new StringWriter();
        Streamer s = new Streamer(new PrintWriter(sw));
        Handle h = new Handle();
        s.attach(h);
        s.onToken(new TokenEvent(5, "Hel", null, null));
        s.onToken(new TokenEvent(6, "", null, null)); // text held back (a partial character or stop string)
        s.onToken(new TokenEvent(7, "lo", null, null));
        assertEquals("Hello", sw.toString(), "flushed per token");
        Completion c = new Completion(FinishReason.LENGTH, null, 4, 1, 3, 0, 1_500_000_000L, 2_000_000_000L);
        s.onDone(c);
        assertSame(c, s.await());
        assertEquals("Hello", s.text());
        assertFalse(h.cancelled);
        assertEquals("prompt: 4 tokens (1 cached), 2.00 tokens/s | generated: 3 tokens, 1.50 tokens/s | stop: length", Streamer.stats(c));
        assertEquals("-", Streamer.rate(0, 5));
    }

    @Test
    void cancelsWhenTheOutputFails() {
        Writer broken = new Writer() {
            public void write(char[] b, int off, int len) throws IOException { throw new IOException("Broken pipe"); }
            public void flush() throws IOException { throw new IOException("Broken pipe"); }
            public void close() {}
        };
        Streamer s = new Streamer(new PrintWriter(broken));
        Handle h = new Handle();
        s.attach(h);
        s.onToken(new TokenEvent(5, "x", null, null));
        assertTrue(h.cancelled);
    }

    @Test
    void engineErrorsAreRethrown() {
        Streamer s = new Streamer(new PrintWriter(new StringWriter()));
        s.onError(new IllegalStateException("the model was unloaded"));
        assertEquals("the model was unloaded", assertThrows(IllegalStateException.class, s::await).getMessage());
    }
}
