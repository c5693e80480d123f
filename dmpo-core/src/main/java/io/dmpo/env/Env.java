package io.dmpo.env;

/**
 * A single environment with continuous (box) observations and actions, Gymnasium semantics. Not thread-safe: one
 * thread at a time. Call {@link #reset(long)} or {@link #reset()} before the first step and after every episode end.
 */
public interface Env extends AutoCloseable {
    /** A short name, e.g. {@code hopper} or {@code mjcf:/path/robot.xml}. */
    String name();

    int obsDim();

    /** The observation's layout (image first, then the low-dimensional part); a plain state env has no image. */
    default ObservationSpec observationSpec() {
        return ObservationSpec.state(obsDim());
    }

    int actDim();

    /** Lower action bounds (a copy; {@code -inf} where unbounded). */
    double[] actionLow();

    /** Upper action bounds (a copy; {@code +inf} where unbounded). */
    double[] actionHigh();

    /** Control period of one {@link #step} in seconds (simulator timestep × frame skip); NaN if not applicable. */
    default double dt() {
        return Double.NaN;
    }

    /** Episode length limit (steps) after which {@link StepResult#truncated()} is set; 0 = none. */
    default int maxEpisodeSteps() {
        return 0;
    }

    /** Starts an episode with a fresh random stream seeded by {@code seed}; returns the first observation. */
    double[] reset(long seed);

    /** Starts the next episode, continuing the random stream of the last seeded reset. */
    double[] reset();

    /** Applies one action ({@link #actDim()} values). */
    StepResult step(double[] action);

    /**
     * Simulator steps the last {@link #step} executed: 1 for a plain env; an {@link ActionChunking} wrapper executes
     * up to act_steps. Budgets and rates count these ("env steps"), not policy decisions.
     */
    default int lastEnvSteps() {
        return 1;
    }

    @Override
    void close();
}
