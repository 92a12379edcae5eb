package dev.hearth.server.hub;

/** What a pull reports while it runs (the CLI draws a progress bar, /api/pull streams NDJSON lines). */
public interface PullListener {
    /** A step: "pulling manifest", "verifying sha256 digest", ... */
    void status(String status);

    /** Bytes of one file so far; {@code digest} is {@code sha256:HEX} when the hub gave one, else null. */
    void progress(String file, String digest, long total, long completed);

    PullListener NONE = new PullListener() {
        @Override
        public void status(String status) {}

        @Override
        public void progress(String file, String digest, long total, long completed) {}
    };
}
