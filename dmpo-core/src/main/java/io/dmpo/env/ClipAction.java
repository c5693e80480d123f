package io.dmpo.env;

/** Clips each action component to the env's bounds; NaN becomes the middle of the range (0 if unbounded). */
public final class ClipAction extends EnvWrapper {
    private final double[] lo, hi;

    public ClipAction(Env env) {
        super(env);
        lo = env.actionLow();
        hi = env.actionHigh();
    }

    /** A clipped copy of {@code a}. */
    public static double[] clip(double[] a, double[] lo, double[] hi) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double v = a[i];
            if (Double.isNaN(v)) {
                v = Double.isFinite(lo[i]) && Double.isFinite(hi[i]) ? 0.5 * (lo[i] + hi[i]) : 0;
            }
            c[i] = Math.min(hi[i], Math.max(lo[i], v));
        }
        return c;
    }

    @Override
    public StepResult step(double[] action) {
        if (action.length != lo.length) {
            throw new IllegalArgumentException("action has " + action.length + " values, expected " + lo.length);
        }
        return env.step(clip(action, lo, hi));
    }
}
