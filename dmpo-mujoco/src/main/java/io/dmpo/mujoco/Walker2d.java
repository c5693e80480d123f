package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * Walker2d-v4: obs = qpos[1:] (8) + clip(qvel, ±10) (9) = 17; act 6; frame skip 4.
 * reward = x-velocity + 1 - 1e-3‖a‖²; terminated unless 0.8 &lt; z &lt; 2.0 and -1 &lt; angle &lt; 1.
 * Reset noise U(±5e-3).
 */
public final class Walker2d extends MujocoEnv {
    public Walker2d(MjModel model) {
        super("walker2d", model, 4, false, 17);
    }

    @Override
    protected void perturb(double[] qpos, double[] qvel, SplittableRandom rng) {
        uniform(qpos, 5e-3, rng);
        uniform(qvel, 5e-3, rng);
    }

    @Override
    protected double[] observe() {
        double[] q = MjData.get(data.qpos), v = MjData.get(data.qvel);
        double[] o = new double[17];
        System.arraycopy(q, 1, o, 0, 8);
        for (int i = 0; i < 9; i++) o[8 + i] = Math.max(-10, Math.min(10, v[i]));
        return o;
    }

    @Override
    protected double xPosition() {
        return data.qpos.getAtIndex(MuJoCo.F64, 0);
    }

    @Override
    protected boolean healthy() {
        return healthy(MjData.get(data.qpos));
    }

    public static boolean healthy(double[] qpos) {
        double z = qpos[1], angle = qpos[2];
        return z > 0.8 && z < 2.0 && angle > -1 && angle < 1;
    }

    @Override
    protected RewardTerms reward(double xVelocity, double[] a) {
        return new RewardTerms(xVelocity, 1.0, ctrlCost(1e-3, a), xVelocity);
    }
}
