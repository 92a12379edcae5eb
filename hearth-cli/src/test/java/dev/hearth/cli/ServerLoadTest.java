package dev.hearth.cli;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The load generator's arithmetic: nearest-rank percentiles, inter-token gaps, error keys. */
class ServerLoadTest {
    @Test
    void percentilesAreNearestRank() {
        long[] ms = new long[100];
        for (int i = 0; i < 100; i++) ms[i] = (100 - i) * 1_000_000L; // 100 ms down to 1 ms, unsorted on purpose
        ServerLoad.Distribution d = ServerLoad.Distribution.ofNanos(ms);
        assertEquals(100, d.count());
        assertEquals(50.5, d.mean(), 1e-9);
        assertEquals(50, d.p50(), 1e-9);
        assertEquals(95, d.p95(), 1e-9);
        assertEquals(99, d.p99(), 1e-9);
        assertEquals(100, d.max(), 1e-9);
        ServerLoad.Distribution one = ServerLoad.Distribution.ofNanos(new long[] {7_000_000});
        assertEquals(7, one.p50(), 1e-9);
        assertEquals(7, one.p99(), 1e-9);
        assertTrue(Double.isNaN(ServerLoad.Distribution.ofNanos(new long[0]).p50()));
    }

    @Test
    void gapsTokensAndErrorsComeFromTheOutcomes() {
        var settings = new ServerLoad.Settings(URI.create("http://x/"), 2, 4, 16, 3, null, null, true, Duration.ofSeconds(1), 1);
        List<ServerLoad.Outcome> outcomes = List.of(
                new ServerLoad.Outcome(200, null, ms(10), ms(40), new long[] {ms(10), ms(25), ms(40)}, 20, 3),
                new ServerLoad.Outcome(200, null, ms(20), ms(30), new long[] {ms(20), ms(30)}, 22, 2),
                new ServerLoad.Outcome(503, "http: busy", -1, ms(1), new long[0], -1, 0),
                new ServerLoad.Outcome(0, "io: java.net.ConnectException", -1, ms(1), new long[0], -1, 0));
        var report = new ServerLoad.Report(settings, "m", 2.0, outcomes);
        assertEquals(5, report.generatedTokens());
        assertEquals(2, report.succeeded());
        assertEquals(Map.of("503", 1, "io", 1), report.errors());
        assertEquals(3, report.interToken().count()); // 15, 15 and 10 ms
        assertEquals(15, report.interToken().p50(), 1e-9);
        assertEquals(2, report.ttft().count());
        assertEquals(21, report.meanPromptTokens(), 1e-9);
    }

    private static long ms(long v) {
        return v * 1_000_000L;
    }
}
