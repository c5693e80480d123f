package io.dmpo.env;

/**
 * Executes a chunk of actions: the policy emits {@code horizon} actions (flattened, {@code horizon * actDim} values),
 * of which the first {@code actSteps} are executed one after another. Rewards are summed; execution stops at the
 * first episode end (the remaining actions are dropped). {@link #actDim()} is the chunk length
 * {@code horizon * inner.actDim()}; bounds are the inner bounds tiled.
 */
public final class ActionChunking extends EnvWrapper {
    private final int horizon, actSteps, innerDim;
    private int lastExecuted, lastEnvSteps;

    public ActionChunking(Env env, int horizon, int actSteps) {
        super(env);
        if (horizon < 1 || actSteps < 1 || actSteps > horizon) {
            throw new IllegalArgumentException("need 1 <= actSteps <= horizon, got actSteps=" + actSteps
                    + " horizon=" + horizon);
        }
        this.horizon = horizon;
        this.actSteps = actSteps;
        this.innerDim = env.actDim();
    }

    public int horizon() { return horizon; }
    public int actSteps() { return actSteps; }

    /** How many inner steps the last {@link #step} executed (actSteps, or fewer when the episode ended). */
    public int lastExecuted() { return lastExecuted; }

    /** Inner env steps of the last chunk (each may itself be several, if the inner env is chunked too). */
    @Override public int lastEnvSteps() { return lastEnvSteps; }

    @Override public int actDim() { return horizon * innerDim; }
    @Override public double[] actionLow() { return tile(env.actionLow()); }
    @Override public double[] actionHigh() { return tile(env.actionHigh()); }
    @Override public double dt() { return env.dt() * actSteps; }

    @Override
    public int maxEpisodeSteps() {
        int m = env.maxEpisodeSteps();
        return m == 0 ? 0 : (m + actSteps - 1) / actSteps;
    }

    private double[] tile(double[] b) {
        double[] t = new double[horizon * b.length];
        for (int h = 0; h < horizon; h++) System.arraycopy(b, 0, t, h * b.length, b.length);
        return t;
    }

    @Override
    public StepResult step(double[] chunk) {
        if (chunk.length != horizon * innerDim && chunk.length != actSteps * innerDim) {
            throw new IllegalArgumentException("action chunk has " + chunk.length + " values, expected "
                    + horizon * innerDim + " (horizon " + horizon + " x act_dim " + innerDim + ")");
        }
        double sum = 0;
        StepResult r = null;
        double[] a = new double[innerDim];
        int k = 0, inner = 0;
        while (k < actSteps) {
            System.arraycopy(chunk, k * innerDim, a, 0, innerDim);
            r = env.step(a);
            inner += env.lastEnvSteps();
            sum += r.reward();
            k++;
            if (r.done()) break;
        }
        lastExecuted = k;
        lastEnvSteps = inner;
        return new StepResult(r.obs(), sum, r.terminated(), r.truncated());
    }
}
