package io.dmpo.env;

/** Base of wrappers: forwards everything to the wrapped env. */
public abstract class EnvWrapper implements Env {
    protected final Env env;

    protected EnvWrapper(Env env) {
        this.env = env;
    }

    public Env unwrapped() {
        return env instanceof EnvWrapper w ? w.unwrapped() : env;
    }

    @Override public String name() { return env.name(); }
    @Override public int obsDim() { return env.obsDim(); }
    @Override public ObservationSpec observationSpec() { return env.observationSpec(); }
    @Override public int actDim() { return env.actDim(); }
    @Override public double[] actionLow() { return env.actionLow(); }
    @Override public double[] actionHigh() { return env.actionHigh(); }
    @Override public double dt() { return env.dt(); }
    @Override public int maxEpisodeSteps() { return env.maxEpisodeSteps(); }
    @Override public int lastEnvSteps() { return env.lastEnvSteps(); }
    @Override public double[] reset(long seed) { return env.reset(seed); }
    @Override public double[] reset() { return env.reset(); }
    @Override public StepResult step(double[] action) { return env.step(action); }
    @Override public void close() { env.close(); }
}
