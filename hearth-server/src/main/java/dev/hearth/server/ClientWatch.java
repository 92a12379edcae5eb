package dev.hearth.server;

import io.javalin.http.Context;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Whether the client of a request is still there. Jetty notices a closed connection only when it reads or writes, and
 * a handler that writes nothing (a non-streamed generation, a stream still processing its prompt) does neither, while
 * a stream's writes can go on succeeding into the socket's buffers for a while after the client left; so this reads:
 * a non-blocking read of the socket returns end-of-stream once the client has closed it (llama.cpp's server peeks at
 * the socket the same way).
 *
 * <p>Only a plain HTTP/1.1 connection whose request body has been read is watched. A client that pipelines may
 * already have sent its next request: a byte of it read here cannot be put back, so this response then closes the
 * connection, and such a client resends on a new one (RFC 9112, 9.3.2). A client that half-closes its side after
 * the request looks gone, as it does to llama.cpp.
 */
final class ClientWatch {
    /** Thrown out of a handler whose client has gone: nothing is written, the request log says 499. */
    static final class GoneException extends RuntimeException {
        GoneException() {
            super("the client closed the connection", null, false, false);
        }
    }

    /** How often a waiting handler looks (a read system call: cheap). */
    static final long LOOK_MILLIS = 100;

    private final Context ctx;
    private final EndPoint endPoint; // null: not watched
    private final ByteBuffer scratch = BufferUtil.allocate(1);
    private boolean spent; // a byte of a pipelined request was taken: stop reading

    private ClientWatch(Context ctx, EndPoint endPoint) {
        this.ctx = ctx;
        this.endPoint = endPoint;
    }

    static ClientWatch of(Context ctx) {
        Request base = Request.getBaseRequest(ctx.req());
        EndPoint ep = base == null || base.getHttpChannel() == null ? null : base.getHttpChannel().getEndPoint();
        boolean http1 = ep != null && ep.getConnection() instanceof HttpConnection c && c.getParser().isComplete();
        return new ClientWatch(ctx, http1 ? ep : null);
    }

    /** True once the client has closed the connection; a cheap non-blocking read, fine to call every few ms. */
    boolean gone() {
        if (endPoint == null || spent) return false;
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) return true;
        if (endPoint.isFillInterested()) return false; // Jetty is reading itself: leave the bytes to it
        try {
            int n = endPoint.fill(scratch);
            if (n < 0) return true;
            if (n > 0) { // a pipelined request: the connection cannot serve it, so it closes after this response
                spent = true;
                BufferUtil.clear(scratch);
                ctx.header("Connection", "close");
            }
            return false;
        } catch (IOException e) {
            return true; // reset by the peer
        }
    }
}
