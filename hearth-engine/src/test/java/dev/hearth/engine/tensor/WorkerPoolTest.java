package dev.hearth.engine.tensor;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

class WorkerPoolTest {

    @Test
    void everyIndexOnceInAlignedContiguousRanges() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int count : new int[]{1, 15, 16, 17, 100, 1000, 4097}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(count);
                ConcurrentHashMap<Integer, Integer> ranges = new ConcurrentHashMap<>();
                pool.forEachRange(count, 16, seen, ranges, null, (s, rs, unused, from, to) -> {
                    rs.put(from, to);
                    for (int i = from; i < to; i++) s.incrementAndGet(i);
                });
                for (int i = 0; i < count; i++) assertEquals(1, seen.get(i), "index " + i + " of " + count);
                ranges.forEach((from, to) -> {
                    assertEquals(0, from % 16, "range start " + from);
                    assertTrue(to > from);
                });
                assertTrue(ranges.size() <= 3);
            }
        }
    }

    @Test
    void rethrowsAWorkersException() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                    pool.forEachRange(64, 16, null, null, null, (a, b, c, from, to) -> {
                        if (from > 0) throw new IllegalStateException("boom " + from);
                    }));
            assertEquals("boom 32", e.getMessage());
            AtomicInteger n = new AtomicInteger();
            pool.forEachRange(64, 16, n, null, null, (a, b, c, from, to) -> a.addAndGet(to - from));
            assertEquals(64, n.get(), "the pool still works after a failure");
        }
    }

    @Test
    void nestedCallsRunInline() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger n = new AtomicInteger();
            pool.forEachRange(64, 16, pool, n, null, (p, a, c, from, to) ->
                    p.forEachRange(10, 1, a, null, null, (x, y, z, f, t) -> x.addAndGet(t - f)));
            assertEquals(20, n.get());
        }
    }

    @Test
    void concurrentCallersTakeTurns() throws Exception {
        try (WorkerPool pool = new WorkerPool(2, 0)) { // park at once: exercises the wake-up path
            AtomicInteger total = new AtomicInteger();
            Runnable job = () -> {
                for (int k = 0; k < 200; k++) pool.forEachRange(100, 16, total, null, null, (a, b, c, from, to) -> a.addAndGet(to - from));
            };
            Thread t1 = new Thread(job), t2 = new Thread(job);
            t1.start();
            t2.start();
            t1.join();
            t2.join();
            assertEquals(2 * 200 * 100, total.get());
        }
    }

    @Test
    void aSerialThreadRunsItsLoopsAloneAndLeavesThePoolFree() throws Exception {
        try (WorkerPool pool = new WorkerPool(2)) {
            CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
            ConcurrentHashMap<String, Integer> threads = new ConcurrentHashMap<>();
            Thread serial = WorkerPool.startSerial("serial-test", () -> pool.forEachRange(64, 16, threads, null, null, (t, b, c, from, to) -> {
                t.merge(Thread.currentThread().getName(), to - from, Integer::sum);
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            // the serial thread is in the middle of its loop: the pool still serves another caller
            AtomicInteger n = new AtomicInteger();
            pool.forEachRange(64, 16, n, null, null, (a, b, c, from, to) -> a.addAndGet(to - from));
            assertEquals(64, n.get());
            release.countDown();
            serial.join(10_000);
            assertEquals(Map.of("serial-test", 64), threads, "one range, on the serial thread");
            assertTrue(serial.isDaemon());
        }
    }
}
