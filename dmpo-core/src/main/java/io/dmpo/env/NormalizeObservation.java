package io.dmpo.env;

/**
 * Normalizes observations with running statistics: {@code (obs - mean) / sqrt(var + 1e-8)}, clipped to ±clip.
 * Statistics update on every observation while {@link #training(boolean) training} is on (default), and can be
 * shared between the envs of a {@link VectorEnv} (pass the same {@link RunningMeanStd}).
 */
public final class NormalizeObservation extends EnvWrapper {
    public static final double EPS = 1e-8;
    private final RunningMeanStd stats;
    private final double clip;
    private volatile boolean training = true;

    public NormalizeObservation(Env env) {
        this(env, new RunningMeanStd(env.obsDim()), Double.POSITIVE_INFINITY);
    }

    public NormalizeObservation(Env env, RunningMeanStd stats, double clip) {
        super(env);
        this.stats = stats;
        this.clip = clip;
    }

    public RunningMeanStd stats() {
        return stats;
    }

    /** Freeze (false) or resume (true) statistics updates. */
    public NormalizeObservation training(boolean on) {
        training = on;
        return this;
    }

    private double[] norm(double[] obs) {
        if (training) stats.update(obs);
        return stats.normalize(obs, EPS, clip);
    }

    @Override public double[] reset(long seed) { return norm(env.reset(seed)); }
    @Override public double[] reset() { return norm(env.reset()); }

    @Override
    public StepResult step(double[] action) {
        StepResult r = env.step(action);
        return new StepResult(norm(r.obs()), r.reward(), r.terminated(), r.truncated());
    }
}
