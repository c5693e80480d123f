package io.dmpo.nn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The calling thread plus {@code size − 1} helper threads of its own, for batch-1 work that must not allocate: a
 * {@link #run} hands a preallocated {@link Job} to every member through two volatile fields and an unpark — no task
 * object, no queue — and returns when all members are done. Helpers spin briefly after a job (back-to-back jobs: a
 * network's layers) and then park, so they never hold a core while the caller does something else. Jobs split their
 * work with their own counters; which member computes a part must not change its values. Not thread-safe (one caller);
 * {@link #close} stops the helpers.
 */
public final class Team implements AutoCloseable {
    /** A unit of parallel work; every member calls {@link #work} once per {@link #run}. */
    @FunctionalInterface
    public interface Job {
        void work(int member);
    }

    private final Thread[] helpers;
    private final AtomicInteger finished = new AtomicInteger();
    private volatile Job job;
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable error;

    public Team(int size) {
        if (size < 1) throw new IllegalArgumentException("team size must be >= 1, got " + size);
        helpers = new Thread[size - 1];
        for (int i = 0; i < helpers.length; i++) {
            int member = i + 1;
            helpers[i] = Thread.ofPlatform().daemon().name("dmpo-team-" + member).unstarted(() -> helperLoop(member));
            helpers[i].start();
        }
    }

    /** Members, the caller included. */
    public int size() {
        return helpers.length + 1;
    }

    /** Runs {@code job} on every member (the caller is member 0) and waits for all of them. */
    public void run(Job job) {
        if (closed) throw new IllegalStateException("the team is closed");
        if (helpers.length == 0) {
            job.work(0);
            return;
        }
        this.job = job;
        finished.set(0);
        generation = generation + 1; // publishes the job (and whatever the caller prepared for it) to the helpers
        for (Thread h : helpers) LockSupport.unpark(h);
        Throwable mine = null;
        try {
            job.work(0);
        } catch (Throwable e) {
            mine = e;
        }
        while (finished.get() < helpers.length) Thread.onSpinWait();
        Throwable e = mine != null ? mine : error;
        error = null;
        if (e instanceof RuntimeException re) throw re;
        if (e instanceof Error er) throw er;
        if (e != null) throw new IllegalStateException(e);
    }

    private void helperLoop(int member) {
        int seen = 0;
        while (true) {
            for (int spins = 0; generation == seen && !closed; spins++) {
                if (spins < 2_000) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            try {
                job.work(member);
            } catch (Throwable e) {
                error = e;
            }
            finished.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread h : helpers) LockSupport.unpark(h);
    }
}
