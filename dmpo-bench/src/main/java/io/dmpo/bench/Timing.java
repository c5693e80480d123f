package io.dmpo.bench;

import java.util.Arrays;

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
}
