package io.dmpo.mujoco;

import io.dmpo.env.Env;
import io.dmpo.env.StepResult;

import java.util.SplittableRandom;

/**
 * Base of MuJoCo environments with Gymnasium-v4 step semantics: the action is written to {@code ctrl}, MuJoCo steps
 * {@code frameSkip} times, the task computes observation, reward and termination; episodes are truncated after
 * {@link #maxEpisodeSteps()} steps (1000). One {@link MjData} per env on a shared read-only {@link MjModel}.
 *
 * <p>Resets are seeded and deterministic: {@link #reset(long)} restarts a {@link SplittableRandom} from the seed.
 * After an episode end, or after a simulation instability (reported as {@link MujocoException.Instability}), the env
 * must be reset before stepping again.
 */
public abstract class MujocoEnv implements Env {
    /** What to do with an action containing NaN/inf or values outside the bounds. */
    public enum InvalidAction {
        /** NaN/inf throws IllegalArgumentException; out-of-range values are passed on (MuJoCo clamps ctrl). */
        ERROR,
        /** NaN becomes the middle of the range, values are clipped to the bounds. */
        CLIP
    }

    /** The terms of the last reward, for diagnostics and tests. */
    public record RewardTerms(double forward, double healthy, double ctrlCost, double xVelocity) {
        public double total() {
            return forward + healthy - ctrlCost;
        }
    }

    protected final String name;
    protected final MjModel model;
    protected final MjData data;
    protected final int frameSkip;
    protected final boolean rnePost;
    protected final double[] low, high;
    private final int obsDim;
    private int maxSteps = 1000;
    private InvalidAction invalidAction = InvalidAction.ERROR;
    protected SplittableRandom rng;
    private int elapsed;
    private boolean needsReset = true;
    protected RewardTerms lastTerms = new RewardTerms(0, 0, 0, 0);
    private long physicsSteps;

    protected MujocoEnv(String name, MjModel model, int frameSkip, boolean rnePost, int obsDim) {
        this.name = name;
        this.model = model;
        this.data = model.makeData();
        this.frameSkip = frameSkip;
        this.rnePost = rnePost;
        double[][] r = model.ctrlRange();
        this.low = r[0];
        this.high = r[1];
        this.obsDim = obsDim;
    }

    @Override public String name() { return name; }
    @Override public int obsDim() { return obsDim; }
    @Override public int actDim() { return model.nu; }
    @Override public double[] actionLow() { return low.clone(); }
    @Override public double[] actionHigh() { return high.clone(); }
    @Override public double dt() { return model.timestep * frameSkip; }
    @Override public int maxEpisodeSteps() { return maxSteps; }

    public int frameSkip() { return frameSkip; }
    public MjModel model() { return model; }
    public MjData data() { return data; }
    public RewardTerms lastRewardTerms() { return lastTerms; }
    public boolean needsReset() { return needsReset; }
    /** Total mj_step calls made by this env. */
    public long physicsSteps() { return physicsSteps; }
    /** Steps taken in the current episode. */
    public int elapsedSteps() { return elapsed; }

    public MujocoEnv maxEpisodeSteps(int steps) {
        this.maxSteps = steps;
        return this;
    }

    public MujocoEnv invalidAction(InvalidAction mode) {
        this.invalidAction = mode;
        return this;
    }

    @Override
    public double[] reset(long seed) {
        rng = new SplittableRandom(seed);
        return doReset();
    }

    @Override
    public double[] reset() {
        if (rng == null) rng = new SplittableRandom(0);
        return doReset();
    }

    private double[] doReset() {
        data.reset();
        double[] qpos = model.qpos0();
        double[] qvel = new double[model.nv];
        perturb(qpos, qvel, rng);
        MjData.set(data.qpos, qpos);
        MjData.set(data.qvel, qvel);
        data.forward(rnePost);
        elapsed = 0;
        needsReset = false;
        lastTerms = new RewardTerms(0, 0, 0, 0);
        return observe();
    }

    /** Sets the state to (qpos, qvel) directly (like Gymnasium's set_state) and returns the observation. */
    public double[] setState(double[] qpos, double[] qvel) {
        if (qpos.length != model.nq || qvel.length != model.nv) throw new IllegalArgumentException("state size");
        if (rng == null) rng = new SplittableRandom(0);
        data.reset();
        MjData.set(data.qpos, qpos);
        MjData.set(data.qvel, qvel);
        data.forward(rnePost);
        elapsed = 0;
        needsReset = false;
        return observe();
    }

    /** Adds the task's reset noise to the initial state (qpos0, zero velocity). */
    protected abstract void perturb(double[] qpos, double[] qvel, SplittableRandom rng);

    /** The observation of the current state. */
    protected abstract double[] observe();

    /** The x coordinate used for the forward velocity (qpos[0] for planar robots, a body position otherwise). */
    protected abstract double xPosition();

    /** Whether the current state is healthy; an unhealthy state terminates the episode. */
    protected abstract boolean healthy();

    protected abstract RewardTerms reward(double xVelocity, double[] action);

    @Override
    public StepResult step(double[] action) {
        if (needsReset) {
            throw new IllegalStateException(name + ": the episode ended (or the simulation failed); call reset()");
        }
        double[] a = checkAction(action);
        MjData.set(data.ctrl, a);
        double xBefore = xPosition();
        try {
            data.step(frameSkip, rnePost);
        } catch (MujocoException e) {
            needsReset = true;
            throw e;
        }
        physicsSteps += frameSkip;
        if (data.unstable()) {
            needsReset = true;
            throw new MujocoException.Instability(name + ": simulation unstable (MuJoCo reported bad qpos/qvel/qacc) at t="
                    + elapsed + "; the env must be reset");
        }
        double xVel = (xPosition() - xBefore) / dt();
        lastTerms = reward(xVel, a);
        boolean terminated = !healthy();
        elapsed++;
        boolean truncated = maxSteps > 0 && elapsed >= maxSteps;
        if (terminated || truncated) needsReset = true;
        return new StepResult(observe(), lastTerms.total(), terminated, truncated);
    }

    private double[] checkAction(double[] action) {
        if (action == null || action.length != model.nu) {
            throw new IllegalArgumentException(name + ": action has " + (action == null ? "null" : action.length)
                    + " values, expected " + model.nu);
        }
        if (invalidAction == InvalidAction.CLIP) return io.dmpo.env.ClipAction.clip(action, low, high);
        for (int i = 0; i < action.length; i++) {
            if (!Double.isFinite(action[i])) {
                throw new IllegalArgumentException(name + ": action[" + i + "] is " + action[i]
                        + " (NaN/inf actions are rejected; MujocoEnv.invalidAction(InvalidAction.CLIP) clips them instead)");
            }
        }
        return action;
    }

    protected static double ctrlCost(double weight, double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return weight * s;
    }

    protected static void uniform(double[] x, double scale, SplittableRandom rng) {
        for (int i = 0; i < x.length; i++) x[i] += scale * (2 * rng.nextDouble() - 1);
    }

    protected static void normal(double[] x, double scale, SplittableRandom rng) {
        for (int i = 0; i < x.length; i++) x[i] += scale * rng.nextGaussian();
    }

    @Override
    public void close() {
        data.close();
    }
}
