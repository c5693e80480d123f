package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * Hopper-v4: obs = qpos[1:] (5) + clip(qvel, ±10) (6) = 11; act 3; frame skip 4.
 * reward = x-velocity + 1 (healthy) - 1e-3‖a‖²; terminated when unhealthy: z ≤ 0.7, |angle| ≥ 0.2, or any of
 * (qpos, qvel)[2:] outside (-100, 100). Reset noise U(±5e-3) on qpos and qvel.
 */
public final class Hopper extends MujocoEnv {
    public Hopper(MjModel model) {
        super("hopper", model, 4, false, 11);
    }

    @Override
    protected void perturb(double[] qpos, double[] qvel, SplittableRandom rng) {
        uniform(qpos, 5e-3, rng);
        uniform(qvel, 5e-3, rng);
    }

    @Override
    protected double[] observe() {
        double[] q = MjData.get(data.qpos), v = MjData.get(data.qvel);
        double[] o = new double[11];
        System.arraycopy(q, 1, o, 0, 5);
        for (int i = 0; i < 6; i++) o[5 + i] = Math.max(-10, Math.min(10, v[i]));
        return o;
    }

    @Override
    protected double xPosition() {
        return data.qpos.getAtIndex(MuJoCo.F64, 0);
    }

    @Override
    protected boolean healthy() {
        return healthy(MjData.get(data.qpos), MjData.get(data.qvel));
    }

    /** Gymnasium's Hopper-v4 health rule on a state. */
    public static boolean healthy(double[] qpos, double[] qvel) {
        double z = qpos[1], angle = qpos[2];
        for (int i = 2; i < qpos.length + qvel.length; i++) {
            double s = i < qpos.length ? qpos[i] : qvel[i - qpos.length];
            if (!(s > -100 && s < 100)) return false;
        }
        return z > 0.7 && angle > -0.2 && angle < 0.2;
    }

    @Override
    protected RewardTerms reward(double xVelocity, double[] a) {
        return new RewardTerms(xVelocity, 1.0, ctrlCost(1e-3, a), xVelocity);
    }
}
