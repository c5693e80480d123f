package io.dmpo.eval;

import java.util.Collection;

/**
 * The mean of n values and its standard error (sample standard deviation / √n), the one summary every report and
 * metrics line uses. With fewer than two values no spread is measured: the stderr is 0 and {@link #n} says why; the
 * mean of no values is NaN.
 */
public record MeanStderr(double mean, double stderr, int n) {
    public static MeanStderr of(double[] values) {
        int n = values.length;
        double sum = 0;
        for (double v : values) sum += v;
        double m = n == 0 ? Double.NaN : sum / n, s = 0;
        for (double v : values) s += (v - m) * (v - m);
        return new MeanStderr(m, n < 2 ? 0 : Math.sqrt(s / (n - 1) / n), n);
    }

    /** The sample standard deviation (n − 1 in the denominator; 0 for one value, NaN for none). */
    public double std() {
        return n == 0 ? Double.NaN : stderr * Math.sqrt(n);
    }

    public static MeanStderr of(Collection<? extends Number> values) {
        return of(values.stream().mapToDouble(Number::doubleValue).toArray());
    }
}
