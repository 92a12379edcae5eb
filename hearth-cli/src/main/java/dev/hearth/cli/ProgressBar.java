package dev.hearth.cli;

import dev.hearth.server.hub.PullListener;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A download's progress on stderr: one line redrawn in place on a terminal (percentage, bar, bytes, speed, time
 * left), and a plain line per tenth of the file otherwise (logs and pipes get no carriage returns).
 */
final class ProgressBar implements PullListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int WIDTH = 24;

    private final PrintWriter err;
    private final boolean terminal;
    private String file;
    private long startNanos, startBytes, lastDrawNanos;
    private int lastTenth;
    private boolean open;

    ProgressBar(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Whether standard error is a terminal (where redrawing one line works). */
    static boolean stderrIsTerminal() {
        return System.console() != null && System.console().isTerminal() && System.getenv("TERM") != null
                && !"dumb".equals(System.getenv("TERM"));
    }

    @Override
    public void status(String status) {
        if (status.equals("pulling manifest")) return;
        end();
        err.println(status);
        err.flush();
    }

    @Override
    public void progress(String file, String digest, long total, long completed) {
        long now = System.nanoTime();
        if (!file.equals(this.file)) {
            end();
            this.file = file;
            startNanos = now;
            startBytes = completed;
            lastTenth = total > 0 ? (int) (completed * 10 / total) : 0;
            if (!terminal) err.println("pulling " + file + " (" + Human.bytes(total) + (completed > 0 ? ", resuming at " + Human.bytes(completed) : "") + ")");
        }
        boolean finished = total >= 0 && completed >= total;
        if (terminal) {
            if (!finished && now - lastDrawNanos < REDRAW_NANOS) return;
            lastDrawNanos = now;
            err.print("\r" + line(total, completed, now) + "\u001b[K");
            open = true;
        } else {
            int tenth = total > 0 ? (int) (completed * 10 / total) : 0;
            if (tenth == lastTenth && !finished) return;
            if (finished && tenth == lastTenth && lastTenth == 10) return;
            lastTenth = tenth;
            err.println("  " + line(total, completed, now));
        }
        err.flush();
    }

    private String line(long total, long completed, long now) {
        double seconds = (now - startNanos) / 1e9;
        double speed = seconds > 0 ? (completed - startBytes) / seconds : 0;
        StringBuilder b = new StringBuilder();
        if (total > 0) {
            int pct = (int) (completed * 100 / total);
            int filled = (int) (completed * WIDTH / total);
            b.append(String.format(Locale.ROOT, "%3d%% [", pct)).append("=".repeat(filled)).append(" ".repeat(WIDTH - filled)).append("] ");
        }
        b.append(Human.bytes(completed));
        if (total > 0) b.append(" / ").append(Human.bytes(total));
        if (speed > 0) {
            b.append("  ").append(Human.bytes((long) speed)).append("/s");
            if (total > completed) b.append("  ETA ").append(duration((long) ((total - completed) / speed)));
        }
        return b.toString();
    }

    private static String duration(long s) {
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** Ends the redrawn line. */
    void end() {
        if (open) {
            err.println();
            err.flush();
            open = false;
        }
    }
}
