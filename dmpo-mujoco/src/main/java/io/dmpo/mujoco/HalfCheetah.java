package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * HalfCheetah-v4: obs = qpos[1:] (8) + qvel (9) = 17; act 6; frame skip 5. reward = x-velocity - 0.1‖a‖²;
 * never terminates. Reset noise: qpos U(±0.1), qvel 0.1·N(0,1).
 */
public final class HalfCheetah extends MujocoEnv {
    public HalfCheetah(MjModel model) {
        super("halfcheetah", model, 5, false, 17);
    }

    @Override
    protected void perturb(double[] qpos, double[] qvel, SplittableRandom rng) {
        uniform(qpos, 0.1, rng);
        normal(qvel, 0.1, rng);
    }

    @Override
    protected double[] observe() {
        double[] o = new double[17];
        MemorySegmentCopy.copy(data.qpos, 1, o, 0, 8);
        MemorySegmentCopy.copy(data.qvel, 0, o, 8, 9);
        return o;
    }

    @Override
    protected double xPosition() {
        return data.qpos.getAtIndex(MuJoCo.F64, 0);
    }

    @Override
    protected boolean healthy() {
        return true;
    }

    @Override
    protected RewardTerms reward(double xVelocity, double[] a) {
        return new RewardTerms(xVelocity, 0.0, ctrlCost(0.1, a), xVelocity);
    }
}
