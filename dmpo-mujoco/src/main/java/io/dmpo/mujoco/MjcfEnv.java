package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * Any MJCF robot: observation = (qpos, qvel), action = its actuators' ctrlrange, frame skip configurable (default 5),
 * reset noise U(±0.01) on qpos and qvel, no termination by default, truncation at 1000 steps. Reward and termination
 * are pluggable; the default reward is the x-velocity of body 1 (the first body below the world) minus 1e-3‖a‖².
 */
public final class MjcfEnv extends MujocoEnv {
    /** A reward on the state after a step. */
    @FunctionalInterface
    public interface Reward {
        RewardTerms compute(MjcfEnv env, double xVelocity, double[] action);
    }

    /** A termination rule on the state after a step (true = terminated). */
    @FunctionalInterface
    public interface Termination {
        boolean terminated(MjcfEnv env);
    }

    public static final Reward FORWARD = (env, xv, a) -> new RewardTerms(xv, 0, ctrlCost(1e-3, a), xv);
    public static final Termination NEVER = env -> false;

    private final Reward reward;
    private final Termination termination;
    private final int xBody;
    private final double resetNoise;

    public MjcfEnv(String name, MjModel model, int frameSkip) {
        this(name, model, frameSkip, FORWARD, NEVER, 0.01);
    }

    public MjcfEnv(String name, MjModel model, int frameSkip, Reward reward, Termination termination, double resetNoise) {
        super(name, model, frameSkip, false, model.nq + model.nv);
        this.reward = reward;
        this.termination = termination;
        this.xBody = model.nbody > 1 ? 1 : 0;
        this.resetNoise = resetNoise;
    }

    @Override
    protected void perturb(double[] qpos, double[] qvel, SplittableRandom rng) {
        uniform(qpos, resetNoise, rng);
        uniform(qvel, resetNoise, rng);
    }

    @Override
    protected double[] observe() {
        double[] o = new double[model.nq + model.nv];
        MemorySegmentCopy.copy(data.qpos, 0, o, 0, model.nq);
        MemorySegmentCopy.copy(data.qvel, 0, o, model.nq, model.nv);
        return o;
    }

    @Override
    protected double xPosition() {
        return data.xipos.getAtIndex(MuJoCo.F64, 3L * xBody);
    }

    @Override
    protected boolean healthy() {
        return !termination.terminated(this);
    }

    @Override
    protected RewardTerms reward(double xVelocity, double[] a) {
        return reward.compute(this, xVelocity, a);
    }
}
