package dev.hearth.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of threads for data-parallel loops such as matrix-vector products. The calling thread takes the
 * first share of the work itself; the workers spin for a short while after each job (the next matvec usually
 * follows within microseconds, and waking a parked thread costs tens of them), then park.
 *
 * <p>A call does not allocate: the loop body is a {@link RangeTask} that receives its data as arguments, so a
 * non-capturing lambda held in a static field serves every call. One job runs at a time; concurrent callers
 * wait their turn, and a call made from inside a running job runs inline on the calling thread.
 */
public final class WorkerPool implements AutoCloseable {

    /** Body of a parallel loop: processes indices {@code [from, to)}, with its data passed in {@code a, b, c}. */
    @FunctionalInterface
    public interface RangeTask<A, B, C> {
        void run(A a, B b, C c, int from, int to);
    }

    private static final long DEFAULT_SPIN_NANOS = Long.getLong("hearth.pool.spinMicros", 2000) * 1000;
    private static volatile WorkerPool shared;

    private final int threads;
    private final long spinNanos;
    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();

    // The current job; written by the caller before the volatile write of `generation` publishes it.
    private RangeTask<Object, Object, Object> task;
    private Object argA, argB, argC;
    private int count, share;
    private volatile long generation;
    private volatile Throwable failure;
    private volatile boolean closed;

    /** A pool of {@code threads} threads in total, the caller included ({@code threads - 1} are started). */
    public WorkerPool(int threads) {
        this(threads, DEFAULT_SPIN_NANOS);
    }

    /** As {@link #WorkerPool(int)}, with idle workers spinning {@code spinNanos} before they park. */
    public WorkerPool(int threads, long spinNanos) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.spinNanos = Math.max(0, spinNanos);
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    /**
     * The process-wide pool, sized by the system property {@code hearth.threads} or else to the available
     * processors.
     */
    public static WorkerPool shared() {
        WorkerPool p = shared;
        if (p == null) {
            synchronized (WorkerPool.class) {
                p = shared;
                if (p == null) {
                    int n = Integer.getInteger("hearth.threads", Runtime.getRuntime().availableProcessors());
                    shared = p = new WorkerPool(Math.max(1, n));
                }
            }
        }
        return p;
    }

    /**
     * Sizes the {@linkplain #shared() shared pool} (a command line's {@code --threads}); {@code threads <= 0} keeps
     * the default. Meant for start-up: a pool of another size that already exists is replaced (callers still
     * holding it finish on it; its idle daemon threads stay parked).
     */
    public static void configureShared(int threads) {
        if (threads <= 0) return;
        synchronized (WorkerPool.class) {
            if (shared == null || shared.threads != threads) shared = new WorkerPool(threads);
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, count)} split into one contiguous range per thread, each range starting at
     * a multiple of {@code align} (so that, for matrix rows, a thread's rows start on a cache-friendly boundary).
     * Returns when every range is done; an exception thrown by any range is rethrown here.
     */
    @SuppressWarnings("unchecked")
    public <A, B, C> void forEachRange(int count, int align, A a, B b, C c, RangeTask<A, B, C> task) {
        if (count <= 0) return;
        if (align < 1) throw new IllegalArgumentException("align must be >= 1");
        int units = (count + align - 1) / align;
        Thread current = Thread.currentThread();
        if (threads == 1 || units == 1 || lock.isHeldByCurrentThread() || current instanceof Worker w && w.pool() == this
                || current instanceof SerialThread) {
            task.run(a, b, c, 0, count);
            return;
        }
        if (closed) throw new IllegalStateException("worker pool is closed");
        lock.lock();
        try {
            this.task = (RangeTask<Object, Object, Object>) task;
            this.argA = a;
            this.argB = b;
            this.argC = c;
            this.count = count;
            this.share = (units + threads - 1) / threads * align;
            this.failure = null;
            pending.set(workers.length);
            generation = generation + 1; // publishes the job
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w);
            }
            Throwable mine = null;
            try {
                task.run(a, b, c, 0, Math.min(count, share));
            } catch (Throwable t) {
                mine = t;
            }
            long spins = 0;
            while (pending.get() != 0) {
                // A worker descheduled by the OS would otherwise keep this core busy for its whole time slice.
                if (++spins > 100_000) Thread.yield();
                else Thread.onSpinWait();
            }
            this.task = null;
            this.argA = this.argB = this.argC = null;
            Throwable theirs = failure;
            if (mine == null) mine = theirs;
            if (mine instanceof RuntimeException e) throw e;
            if (mine instanceof Error e) throw e;
            if (mine != null) throw new RuntimeException(mine);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts a daemon thread on which every pool runs its loops inline, for background work that must not hold a
     * pool its callers are waiting for.
     */
    public static Thread startSerial(String name, Runnable body) {
        Thread t = new SerialThread(name, body);
        t.start();
        return t;
    }

    private static final class SerialThread extends Thread {
        SerialThread(String name, Runnable body) {
            super(body, name);
            setDaemon(true);
        }
    }

    /** Stops the workers (they are daemon threads, so an unclosed pool does not keep the JVM alive). */
    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    private void runShare(int index) {
        int from = index * share;
        int to = Math.min(count, from + share);
        if (from < to) task.run(argA, argB, argC, from, to);
    }

    private final class Worker extends Thread {
        private final int index;
        volatile boolean parked;

        Worker(int index) {
            super("hearth-worker-" + index);
            this.index = index;
            setDaemon(true);
        }

        WorkerPool pool() {
            return WorkerPool.this;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long g;
                int spins = 0;
                long spinStart = System.nanoTime();
                while ((g = generation) == seen) {
                    if (closed) return;
                    if ((++spins & 63) != 0) {
                        Thread.onSpinWait();
                    } else if (System.nanoTime() - spinStart > spinNanos) {
                        parked = true; // the caller reads this after publishing a job, so one of us sees the other
                        if (generation == seen && !closed) LockSupport.park(this);
                        parked = false;
                        spinStart = System.nanoTime();
                    }
                }
                seen = g;
                try {
                    runShare(index);
                } catch (Throwable t) {
                    failure = t;
                }
                pending.decrementAndGet();
            }
        }
    }
}
