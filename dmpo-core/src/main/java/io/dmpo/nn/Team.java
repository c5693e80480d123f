package io.dmpo.nn;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The calling thread plus {@code size − 1} helper threads of its own, for batch-1 work that must not allocate: a
 * {@link #run} hands a preallocated {@link Job} to the helpers through one atomic word and an unpark — no task object,
 * no queue. Jobs claim their parts with their own counters, so the caller alone can do all of a job: a helper that is
 * awake joins in, one that is still waking up finds the job closed and skips it. The caller therefore never waits for
 * a helper to wake — on this project's VMs a parked thread takes ~50 µs to wake (p99 ~150 µs, at times milliseconds:
 * the guest halts idle vCPUs without polling), longer than a whole state-policy action. It waits only for helpers
 * already inside the job. Helpers spin briefly after a job (back-to-back jobs: a network's layers) and then park, so
 * they never hold a core while the caller does something else. With {@link Parallel#setPinned} helper k runs on the
 * k-th allowed CPU. Which member computes a part must not change its values. Not thread-safe (one caller);
 * {@link #close} stops the helpers.
 */
public final class Team implements AutoCloseable {
    /** A unit of parallel work; the caller calls {@link #work} once per {@link #run}, each helper at most once. */
    @FunctionalInterface
    public interface Job {
        void work(int member);
    }

    // state = generation << 32 | OPEN | helpers inside the current job
    private static final long OPEN = 1L << 31;
    private static final long INSIDE = OPEN - 1;

    private final Thread[] helpers;
    private final AtomicLong state = new AtomicLong();
    private Job job; // published by the volatile write of state that opens its generation
    private volatile boolean closed;
    private volatile Throwable error;

    public Team(int size) {
        if (size < 1) throw new IllegalArgumentException("team size must be >= 1, got " + size);
        helpers = new Thread[size - 1];
        boolean pin = Parallel.pinned();
        for (int i = 0; i < helpers.length; i++) {
            int member = i + 1;
            helpers[i] = Thread.ofPlatform().daemon().name("dmpo-team-" + member).unstarted(() -> {
                if (pin) Affinity.pinOrWarn(member); // member k on the k-th allowed CPU
                helperLoop(member);
            });
            helpers[i].start();
        }
    }

    /** Members, the caller included. */
    public int size() {
        return helpers.length + 1;
    }

    /**
     * Runs {@code job} on the caller (member 0) and on every helper that is awake to join it; returns when the caller's
     * share is done and every helper that joined has left.
     */
    public void run(Job job) {
        if (closed) throw new IllegalStateException("the team is closed");
        if (helpers.length == 0) {
            job.work(0);
            return;
        }
        this.job = job;
        long generation = (state.get() >>> 32) + 1;
        state.set(generation << 32 | OPEN); // publishes the job (and whatever the caller prepared for it)
        for (Thread h : helpers) LockSupport.unpark(h);
        Throwable mine = null;
        try {
            job.work(0);
        } catch (Throwable e) {
            mine = e;
        }
        long s;
        do {
            s = state.get();
        } while (!state.compareAndSet(s, s & ~OPEN)); // from here no helper can join
        // helpers inside hold a part each (µs); yield after a while: on an oversubscribed CPU one may need ours
        for (int spins = 0; (state.get() & INSIDE) != 0; spins++) {
            if (spins < 2048) Thread.onSpinWait();
            else Thread.yield();
        }
        Throwable e = mine != null ? mine : error;
        error = null;
        if (e instanceof RuntimeException re) throw re;
        if (e instanceof Error er) throw er;
        if (e != null) throw new IllegalStateException(e);
    }

    private void helperLoop(int member) {
        long seen = 0;
        int spins = 0;
        while (!closed) {
            long s = state.get(), generation = s >>> 32;
            if (generation == seen) {
                if (spins++ < 2_000) Thread.onSpinWait();
                else LockSupport.park(this);
                continue;
            }
            spins = 0; // a job arrived: more may follow (the next layers), so spin again before parking
            if ((s & OPEN) == 0) { // closed before this helper got here: the caller did the job
                seen = generation;
                continue;
            }
            if (!state.compareAndSet(s, s + 1)) continue; // another helper joined, or the caller closed: look again
            seen = generation;
            try {
                job.work(member);
            } catch (Throwable e) {
                error = e;
            } finally {
                state.getAndDecrement();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread h : helpers) LockSupport.unpark(h);
    }
}
