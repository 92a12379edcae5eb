package dev.hearth.cli;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * The container image's health check (its base image has no curl): exits 0 when {@code GET /health} on this
 * host's Hearth answers 200, 1 otherwise. The port is {@code HEARTH_PORT} (default 8080). JDK-only and tiny, so the
 * JVM that runs it every 30 s starts fast.
 */
public final class HealthCheck {
    private HealthCheck() {}

    public static void main(String[] args) {
        String port = System.getenv().getOrDefault("HEARTH_PORT", "8080");
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health").toURL().openConnection();
            c.setConnectTimeout(5_000);
            c.setReadTimeout(5_000);
            int status = c.getResponseCode();
            System.out.println("GET /health: " + status);
            System.exit(status == 200 ? 0 : 1);
        } catch (IOException | IllegalArgumentException e) {
            System.out.println("GET /health on port " + port + " failed: " + e.getMessage());
            System.exit(1);
        }
    }
}
