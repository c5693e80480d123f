package io.dmpo.bench;

import java.util.Arrays;

/** Wall-clock sampling: warm up, then time single calls and report the median. */
final class Timing {
    private Timing() {}

    /** Median nanoseconds per call of {@code body}, after warming up for about {@code warmupSeconds}. */
    static double medianNanos(Runnable body, double warmupSeconds, int samples) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int warm = 0;
        while (System.nanoTime() < warmEnd || warm < 3) {
            body.run();
            warm++;
        }
        long[] t = new long[samples];
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            body.run();
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return samples % 2 == 1 ? t[samples / 2] : 0.5 * (t[samples / 2 - 1] + t[samples / 2]);
    }
}
