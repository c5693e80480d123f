package io.dmpo.nn;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's worker threads. Work is split into contiguous, disjoint ranges and each output element is computed by
 * exactly one thread with the same instruction sequence whatever the split, so results are bitwise identical for any
 * thread count. Small jobs run on the caller: a hand-off costs more than a batch-1 layer.
 */
public final class Parallel {
    /** Below this many multiply-adds a job stays on the calling thread. */
    public static final long MIN_PARALLEL_WORK = 1L << 18;

    private static volatile int threads = Math.max(1, Integer.getInteger("dmpo.threads", 1));
    private static volatile boolean pinned;
    private static volatile ForkJoinPool pool;

    private Parallel() {}

    public static int threads() {
        return threads;
    }

    /** Whether the engine's own threads are pinned to CPUs ({@link #setPinned}). */
    public static boolean pinned() {
        return pinned;
    }

    /**
     * Pins (or stops pinning) the engine's threads to distinct CPUs: team helper k to the k-th allowed CPU, pool workers
     * to the 2nd .. threads-th (a job's caller computes one share itself), while {@link #pinCaller} puts the calling
     * thread on the first. Takes effect for workers and teams made
     * afterwards (the pool is rebuilt). Throws IllegalStateException, with the reason, where threads cannot be pinned.
     */
    public static synchronized void setPinned(boolean pin) {
        if (pin) Affinity.allowedCpus(); // fails here, with the reason, rather than inside a worker
        if (pin != pinned) {
            ForkJoinPool old = pool;
            pool = null;
            pinned = pin;
            if (old != null) old.shutdown();
        }
    }

    /** Pins the calling thread to the first allowed CPU (the slot no engine thread takes); see {@link #setPinned}. */
    public static void pinCaller() {
        Affinity.pinCurrentThread(0);
    }

    /** Sets the number of threads the engine may use (1 = everything on the caller). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (n != threads) {
            ForkJoinPool old = pool;
            pool = null;
            threads = n;
            if (old != null) old.shutdown();
        }
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    AtomicInteger id = new AtomicInteger();
                    int n = threads;
                    // the caller takes slot 0 and one share of every job, so workers take slots 1 .. n − 1, one each
                    Slots slots = pinned ? new Slots(n) : null;
                    p = new ForkJoinPool(n, fjp -> {
                        int worker = id.incrementAndGet();
                        var t = slots != null ? new PinnedWorker(fjp, slots) : ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(fjp);
                        t.setName("dmpo-worker-" + worker);
                        t.setDaemon(true);
                        return t;
                    }, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /** The CPU slots 1 .. n − 1 of one pool; a worker holds one while it lives. */
    private static final class Slots {
        private final boolean[] taken;

        Slots(int n) {
            taken = new boolean[Math.max(1, n)];
            taken[0] = true; // the caller's
        }

        /** The lowest free slot, or −1 when every one is held (the pool added a spare worker). */
        synchronized int take() {
            for (int i = 1; i < taken.length; i++) {
                if (!taken[i]) {
                    taken[i] = true;
                    return i;
                }
            }
            return -1;
        }

        synchronized void release(int slot) {
            if (slot > 0) taken[slot] = false;
        }
    }

    /**
     * A pool worker that pins itself to a free slot's CPU when it starts and frees the slot when it ends; a spare
     * worker beyond the slots (the pool adds one while another waits in a join) stays unpinned rather than share a CPU.
     */
    private static final class PinnedWorker extends java.util.concurrent.ForkJoinWorkerThread {
        private final Slots slots;
        private int slot = -1;

        PinnedWorker(ForkJoinPool pool, Slots slots) {
            super(null, pool, true);
            this.slots = slots;
        }

        @Override
        protected void onStart() {
            super.onStart();
            slot = slots.take();
            if (slot > 0) Affinity.pinOrWarn(slot);
        }

        @Override
        protected void onTermination(Throwable exception) {
            slots.release(slot);
            super.onTermination(exception);
        }
    }

    /**
     * Starts {@code task} on a worker and returns at once. Only for cooperative tasks whose caller never depends on
     * them starting (the caller can do all the work itself; see VitInference).
     */
    static void spawn(Runnable task) {
        pool().execute(task);
    }

    /**
     * Runs {@code body(0) .. body(slices − 1)} at once: slice 0 on the caller, the others on the engine's workers (the
     * same pool as the kernels, so stepping envs and running the network never oversubscribe the cores), and waits
     * for all of them. The body must not throw (catch inside and report by slice).
     */
    public static void runSlices(int slices, java.util.function.IntConsumer body) {
        if (slices <= 1) {
            body.accept(0);
            return;
        }
        ForkJoinPool p = pool();
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[slices - 1];
        for (int s = 1; s < slices; s++) {
            int slice = s;
            tasks[s - 1] = p.submit(() -> body.accept(slice));
        }
        body.accept(0);
        for (ForkJoinTask<?> task : tasks) task.join();
    }

    /**
     * Whether a job of {@code work} multiply-adds stays on the calling thread ({@link #forRange} would run it there);
     * callers test it first where building the job's lambda would allocate on an allocation-free path (batch 1).
     */
    public static boolean serial(long work) {
        return threads == 1 || work < MIN_PARALLEL_WORK;
    }

    /** A body over the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@link #threads()} chunks whose boundaries are multiples of
     * {@code align}; {@code work} (multiply-adds) decides whether splitting pays.
     */
    public static void forRange(int n, int align, long work, RangeBody body) {
        int t = threads;
        int blocks = (n + align - 1) / align;
        if (t == 1 || work < MIN_PARALLEL_WORK || blocks < 2) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(t, blocks);
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
        ForkJoinPool p = pool();
        for (int c = 1; c < chunks; c++) {
            int from = Math.min(n, (int) ((long) blocks * c / chunks) * align);
            int to = Math.min(n, (int) ((long) blocks * (c + 1) / chunks) * align);
            tasks[c - 1] = p.submit(() -> body.run(from, to));
        }
        body.run(0, Math.min(n, (int) ((long) blocks / chunks) * align));
        for (ForkJoinTask<?> task : tasks) task.join();
    }
}
