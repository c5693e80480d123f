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
            int[][] seen = new int[3][];
            // helpers join only when awake: repeat until both have reported their CPUs
            for (int attempt = 0; attempt < 100_000 && (seen[1] == null || seen[2] == null); attempt++) {
                team.run(member -> {
                    if (member > 0 && seen[member] == null) seen[member] = Affinity.currentThreadCpus();
                });
            }
            for (int member = 1; member <= 2; member++) {
                assertArrayEquals(new int[] {all[member % all.length]}, seen[member], "helper " + member);
            }
        } finally {
            Parallel.setPinned(before);
        }
    }
}
