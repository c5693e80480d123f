package io.dmpo.nn;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The team's hand-off: every part of every job is computed exactly once; run() returns only after every member that
 * joined has left; a helper that wakes late never joins a job that has returned; errors on helpers reach the caller.
 */
class TeamTest {
    /** A job of {@code parts} parts claimed by counter, which also notes who was inside after it returned. */
    static final class Claimed implements Team.Job {
        final int parts;
        final AtomicInteger next = new AtomicInteger();
        final AtomicIntegerArray done;
        final AtomicInteger inside = new AtomicInteger(), lateEntries = new AtomicInteger(), helperEntries = new AtomicInteger();
        volatile boolean returned;

        Claimed(int parts) {
            this.parts = parts;
            this.done = new AtomicIntegerArray(parts);
        }

        @Override
        public void work(int member) {
            if (returned) lateEntries.incrementAndGet();
            if (member != 0) helperEntries.incrementAndGet();
            inside.incrementAndGet();
            int p;
            while ((p = next.getAndIncrement()) < parts) {
                for (int spin = 0; spin < 200; spin++) Thread.onSpinWait(); // long enough for a helper to join
                done.incrementAndGet(p);
            }
            inside.decrementAndGet();
        }
    }

    @Test
    void everyPartOnceAndNoMemberInsideAfterRunUnderRandomGaps() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int size : new int[] {1, 2, 3}) {
            int helperJoins = 0;
            try (Team team = new Team(size)) {
                for (int run = 0; run < 3000; run++) {
                    // gaps from none (helpers spinning) to long enough that they park and wake late
                    int gap = rng.nextInt(4);
                    if (gap == 3) LockSupport.parkNanos(200_000 + rng.nextInt(300_000));
                    Claimed job = new Claimed(1 + rng.nextInt(16));
                    team.run(job);
                    job.returned = true;
                    assertEquals(0, job.inside.get(), "a member still inside after run() returned");
                    for (int p = 0; p < job.parts; p++) assertEquals(1, job.done.get(p), "part " + p + " of run " + run);
                    helperJoins += job.helperEntries.get();
                    // a helper that was still waking must not enter this job later: check a little after
                    if (gap == 2) {
                        LockSupport.parkNanos(100_000);
                        assertEquals(0, job.lateEntries.get(), "a helper joined a job that had returned");
                    }
                }
            }
            // with a CPU each, helpers must really take part (one CPU may run them only when the caller waits)
            if (size > 1 && Runtime.getRuntime().availableProcessors() >= 2) {
                assertTrue(helperJoins > 100, "helpers joined only " + helperJoins + " of 3000 jobs");
            }
        }
    }

    @Test
    void helpersErrorReachesTheCallerAndTheTeamStaysUsable() {
        try (Team team = new Team(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            // the helper fails the first job it joins; the caller waits until a helper has joined one
            AtomicInteger joined = new AtomicInteger();
            IllegalStateException thrown = null;
            for (int attempt = 0; attempt < 10_000 && thrown == null; attempt++) {
                try {
                    team.run(member -> {
                        if (member == 1) {
                            joined.incrementAndGet();
                            throw boom;
                        }
                        for (int spin = 0; spin < 2_000 && joined.get() == 0; spin++) Thread.onSpinWait();
                    });
                } catch (IllegalStateException e) {
                    thrown = e;
                }
            }
            assertSame(boom, thrown);
            Claimed after = new Claimed(8);
            team.run(after);
            for (int p = 0; p < 8; p++) assertEquals(1, after.done.get(p));
        }
        Team closed = new Team(2);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.run(member -> {}));
    }
}
