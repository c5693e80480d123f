package io.dmpo.bench;

import java.util.Arrays;
import java.util.List;

/** Wall-clock sampling: warm up, time single calls, and summarize them by median and quantiles. */
final class Timing {
    private Timing() {}

    /** Median nanoseconds per call of {@code body}, after warming up for about {@code warmupSeconds}. */
    static double medianNanos(Runnable body, double warmupSeconds, int samples) {
        warmUp(body, warmupSeconds);
        Samples s = new Samples();
        s.time(body, samples);
        return s.median();
    }

    /** Runs {@code body} for about {@code seconds} (at least three calls) so the JIT has compiled its hot paths. */
    static void warmUp(Runnable body, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int calls = 0;
        while (System.nanoTime() < end || calls < 3) {
            body.run();
            calls++;
        }
    }

    /**
     * Times of single calls, pooled over the interleaved rounds of a benchmark: one figure's median and quartiles come
     * from all of its calls, so a round disturbed by the machine moves the quartiles, not the median.
     */
    static final class Samples {
        private long[] t = new long[256];
        private int n;
        private boolean sorted = true;

        void time(Runnable body, int calls) {
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                body.run();
                add(System.nanoTime() - t0);
            }
        }

        void add(long nanos) {
            if (n == t.length) t = Arrays.copyOf(t, 2 * n);
            t[n++] = nanos;
            sorted = false;
        }

        int count() {
            return n;
        }

        /** The i-th sample in the order recorded (before any quantile is asked). */
        long at(int i) {
            if (sorted && n > 1) throw new IllegalStateException("samples already sorted");
            return t[i];
        }

        /** The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics, in nanoseconds. */
        double quantile(double q) {
            if (n == 0) throw new IllegalStateException("no samples");
            if (!sorted) {
                Arrays.sort(t, 0, n);
                sorted = true;
            }
            double pos = q * (n - 1);
            int lo = (int) Math.floor(pos), hi = Math.min(n - 1, lo + 1);
            return t[lo] + (pos - lo) * (t[hi] - t[lo]);
        }

        double median() {
            return quantile(0.5);
        }
    }

    /** Rounds that must agree (within {@link #SETTLE_TOLERANCE} of the quietest) before a figure has settled. */
    static final int SETTLE_ROUNDS = 3;
    static final double SETTLE_TOLERANCE = 0.05;

    /**
     * A figure's level over its rounds: the third-lowest round median (the lowest when fewer rounds ran). On a shared
     * VM the host only ever adds time, for seconds at a time, so the low rounds are what repeats from run to run;
     * asking three rounds to reach the level keeps one lucky round from becoming the figure.
     */
    static double level(List<Double> roundMedians) {
        if (roundMedians.isEmpty()) throw new IllegalStateException("no rounds");
        List<Double> sorted = roundMedians.stream().sorted().toList();
        return sorted.size() < SETTLE_ROUNDS ? sorted.get(0) : sorted.get(SETTLE_ROUNDS - 1);
    }

    /**
     * Settled: {@value #SETTLE_ROUNDS} round medians lie within {@value #SETTLE_TOLERANCE} of the quietest, so the
     * {@link #level} is one the machine returns to.
     */
    static boolean settled(List<Double> roundMedians) {
        if (roundMedians.size() < SETTLE_ROUNDS) return false;
        List<Double> sorted = roundMedians.stream().sorted().toList();
        return sorted.get(SETTLE_ROUNDS - 1) <= (1 + SETTLE_TOLERANCE) * sorted.get(0);
    }
}
