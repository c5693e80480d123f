package io.dmpo.env;

/** Running mean and (population) variance per component, merged batch-wise (Chan et al.); Gymnasium's layout. */
public final class RunningMeanStd {
    private final double[] mean, var;
    private double count;

    public RunningMeanStd(int dim) {
        mean = new double[dim];
        var = new double[dim];
        java.util.Arrays.fill(var, 1.0);
        count = 1e-4;
    }

    public synchronized void update(double[] x) {
        double total = count + 1;
        for (int i = 0; i < mean.length; i++) {
            double delta = x[i] - mean[i];
            double m = mean[i] + delta / total;
            double m2 = var[i] * count + delta * delta * count / total;
            mean[i] = m;
            var[i] = m2 / total;
        }
        count = total;
    }

    public synchronized double[] mean() { return mean.clone(); }
    public synchronized double[] var() { return var.clone(); }
    public synchronized double count() { return count; }

    /** Restores saved statistics (e.g. from a checkpoint). */
    public synchronized void set(double[] mean, double[] var, double count) {
        System.arraycopy(mean, 0, this.mean, 0, this.mean.length);
        System.arraycopy(var, 0, this.var, 0, this.var.length);
        this.count = count;
    }

    /** (x - mean) / sqrt(var + eps), clipped to ±clip, into a new array. */
    public synchronized double[] normalize(double[] x, double eps, double clip) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = (x[i] - mean[i]) / Math.sqrt(var[i] + eps);
            y[i] = Math.max(-clip, Math.min(clip, v));
        }
        return y;
    }
}
