package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * Ant-v4 (use_contact_forces=False): obs = qpos[2:] (13) + qvel (14) = 27; act 8; frame skip 5.
 * reward = torso x-velocity + 1 - 0.5‖a‖²; terminated unless the state is finite and 0.2 ≤ z ≤ 1.0.
 * Reset noise: qpos U(±0.1), qvel 0.1·N(0,1).
 */
public final class Ant extends MujocoEnv {
    private final int torso;

    public Ant(MjModel model) {
        super("ant", model, 5, false, 27);
        torso = model.bodyId("torso");
    }

    @Override
    protected void perturb(double[] qpos, double[] qvel, SplittableRandom rng) {
        uniform(qpos, 0.1, rng);
        normal(qvel, 0.1, rng);
    }

    @Override
    protected double[] observe() {
        double[] o = new double[27];
        MemorySegmentCopy.copy(data.qpos, 2, o, 0, 13);
        MemorySegmentCopy.copy(data.qvel, 0, o, 13, 14);
        return o;
    }

    @Override
    protected double xPosition() {
        return data.xpos.getAtIndex(MuJoCo.F64, 3L * torso);
    }

    @Override
    protected boolean healthy() {
        return healthy(MjData.get(data.qpos), MjData.get(data.qvel));
    }

    public static boolean healthy(double[] qpos, double[] qvel) {
        for (double v : qpos) if (!Double.isFinite(v)) return false;
        for (double v : qvel) if (!Double.isFinite(v)) return false;
        return qpos[2] >= 0.2 && qpos[2] <= 1.0;
    }

    @Override
    protected RewardTerms reward(double xVelocity, double[] a) {
        return new RewardTerms(xVelocity, 1.0, ctrlCost(0.5, a), xVelocity);
    }
}
