package dev.hearth.server;

import io.javalin.http.Context;

import java.io.IOException;

/**
 * The loop every streamed response shares: events from the engine go out as they come, pings fill quiet spells
 * (a long prompt), and a failed write (the client went away) cancels the generations at once.
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

    public static void pump(Context ctx, GenerationRun run, Sink.Format format, long pingMillis, OnEvent onEvent, OnEnd onEnd)
            throws InterruptedException {
        ctx.attribute(HearthServer.RUN, run);
        try {
            Sink sink = new Sink(ctx, format);
            while (!run.finished()) {
                GenerationRun.Event e = run.next(pingMillis);
                if (e == null) sink.ping();
                else onEvent.on(sink, e);
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
