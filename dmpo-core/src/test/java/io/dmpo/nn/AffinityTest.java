package io.dmpo.nn;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pinning really restricts a thread to one CPU, unpinning restores the process's CPUs, and a pinned team's helpers sit apart. */
class AffinityTest {
    @Test
    void pinAndUnpinTheCallingThread() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "CPU affinity is Linux-only");
        int[] all = Affinity.allowedCpus();
        assertTrue(all.length >= 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                int last = all.length - 1;
                int cpu = Affinity.pinCurrentThread(last);
                assertEquals(all[last], cpu);
                assertArrayEquals(new int[] {cpu}, Affinity.currentThreadCpus());
                assertEquals(all[0], Affinity.pinCurrentThread(all.length), "slots wrap around the allowed CPUs");
                Affinity.unpinCurrentThread();
                assertArrayEquals(all, Affinity.currentThreadCpus());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertThrows(IllegalArgumentException.class, () -> Affinity.pinCurrentThread(-1));
    }

    @Test
    void pinnedTeamHelpersRunOnTheirOwnCpu() {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "CPU affinity is Linux-only");
        int[] all = Affinity.allowedCpus();
        boolean before = Parallel.pinned();
        Parallel.setPinned(true);
        try (Team team = new Team(3)) {
            java.util.concurrent.atomic.AtomicReferenceArray<int[]> seen = new java.util.concurrent.atomic.AtomicReferenceArray<>(3);
            // helpers join only when awake: the caller holds each job open (up to ~1 ms) until one has reported
            long deadline = System.nanoTime() + 20_000_000_000L;
            while ((seen.get(1) == null || seen.get(2) == null) && System.nanoTime() < deadline) {
                team.run(member -> {
                    if (member > 0) {
                        if (seen.get(member) == null) seen.set(member, Affinity.currentThreadCpus());
                        return;
                    }
                    long until = System.nanoTime() + 1_000_000;
                    while ((seen.get(1) == null || seen.get(2) == null) && System.nanoTime() < until) Thread.onSpinWait();
                });
            }
            for (int member = 1; member <= 2; member++) {
                assertArrayEquals(new int[] {all[member % all.length]}, seen.get(member), "helper " + member);
            }
        } finally {
            Parallel.setPinned(before);
        }
    }

    @Test
    void pinnedPoolWorkersStayOffTheCallersCpu() {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "CPU affinity is Linux-only");
        int[] all = Affinity.allowedCpus();
        Assumptions.assumeTrue(all.length >= 2, "needs two CPUs");
        int threadsBefore = Parallel.threads();
        boolean before = Parallel.pinned();
        Parallel.setThreads(2);
        Parallel.setPinned(true);
        try {
            boolean sawPinned = false;
            for (int run = 0; run < 50; run++) {
                int[][] slice1 = new int[1][];
                Parallel.runSlices(2, slice -> {
                    if (slice == 1) slice1[0] = Affinity.currentThreadCpus();
                });
                int[] cpus = slice1[0];
                // a pinned worker holds CPU all[1]; a spare worker beyond the slots (or the unpinned caller helping
                // with its own join) runs on every CPU; nothing runs on the caller's slot alone
                assertTrue(java.util.Arrays.equals(cpus, new int[] {all[1]}) || java.util.Arrays.equals(cpus, all),
                        java.util.Arrays.toString(cpus));
                sawPinned |= java.util.Arrays.equals(cpus, new int[] {all[1]});
            }
            assertTrue(sawPinned, "no pool worker ran pinned");
        } finally {
            Parallel.setPinned(before);
            Parallel.setThreads(threadsBefore);
        }
    }
}
