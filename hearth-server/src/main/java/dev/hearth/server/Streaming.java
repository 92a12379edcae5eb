package dev.hearth.server;

import io.javalin.http.Context;

import java.io.IOException;

/**
 * The loop every streamed response shares: events from the engine go out as they come, pings fill quiet spells
 * (a long prompt), and a client that went away (a failed write, or a closed connection, looked for every 10 ms while
 * events flow and in quiet spells) cancels the generations at once.
 */
public final class Streaming {
    private Streaming() {}

    @FunctionalInterface
    public interface OnEvent {
        void on(Sink sink, GenerationRun.Event event) throws IOException;
    }

    @FunctionalInterface
    public interface OnEnd {
        void end(Sink sink) throws IOException;
    }

    /** How often a stream whose events keep coming looks for a closed connection. */
    private static final long LOOK_WHILE_STREAMING_NANOS = 10_000_000;

    public static void pump(Context ctx, GenerationRun run, Sink.Format format, long pingMillis, OnEvent onEvent, OnEnd onEnd)
            throws InterruptedException {
        ctx.attribute(HearthServer.RUN, run);
        try {
            Sink sink = new Sink(ctx, format);
            ClientWatch client = ClientWatch.of(ctx);
            long quietSince = System.nanoTime(), lookedAt = quietSince;
            while (!run.finished()) {
                GenerationRun.Event e = run.next(Math.min(pingMillis, ClientWatch.LOOK_MILLIS));
                if (e != null) {
                    onEvent.on(sink, e);
                    quietSince = System.nanoTime();
                }
                long now = System.nanoTime();
                // a failed write shows a client gone, but not in a quiet spell (a long prompt writes nothing) and not
                // at once (writes into the socket's buffers succeed for a while after it left): so look, at each
                // quiet spell and every 10 ms while events flow
                if (e == null || now - lookedAt >= LOOK_WHILE_STREAMING_NANOS) {
                    lookedAt = now;
                    if (client.gone()) throw new IOException("the client closed the connection");
                }
                if (e == null && now - quietSince >= pingMillis * 1_000_000) {
                    sink.ping();
                    quietSince = System.nanoTime();
                }
            }
            onEnd.end(sink);
        } catch (IOException clientGone) {
            run.cancel();
            run.metrics().cancelled();
            ctx.attribute(HearthServer.CLIENT_GONE, true);
        } finally {
            run.close();
        }
    }
}
