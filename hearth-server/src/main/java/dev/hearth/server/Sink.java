package dev.hearth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A streamed response body: Server-Sent Events (OpenAI's {@code data: }, TGI's {@code data:}) or Ollama's NDJSON.
 * Every event is flushed at once; a write that fails means the client has gone.
 */
public final class Sink {
    public enum Format {
        SSE("text/event-stream", "data: "), TGI_SSE("text/event-stream", "data:"), NDJSON("application/x-ndjson", "");

        final String contentType, prefix;

        Format(String contentType, String prefix) {
            this.contentType = contentType;
            this.prefix = prefix;
        }
    }

    private final Format format;
    private final OutputStream out;

    public Sink(Context ctx, Format format) throws IOException {
        this.format = format;
        ctx.status(200);
        ctx.res().setContentType(format.contentType + "; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        ctx.attribute(HearthServer.STREAMED, true);
        this.out = ctx.res().getOutputStream();
        out.flush(); // commits the headers: the client sees the stream start before the first token
    }

    public void send(JsonNode event) throws IOException {
        try {
            write(format.prefix + Fields.JSON.writeValueAsString(event) + (format == Format.NDJSON ? "\n" : "\n\n"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A raw SSE data line, e.g. OpenAI's {@code [DONE]}. */
    public void data(String raw) throws IOException {
        write(format.prefix + raw + "\n\n");
    }

    /** An SSE comment that keeps proxies from closing a quiet stream; NDJSON has no comments, so nothing. */
    public void ping() throws IOException {
        if (format != Format.NDJSON) write(": ping\n\n");
    }

    private void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
