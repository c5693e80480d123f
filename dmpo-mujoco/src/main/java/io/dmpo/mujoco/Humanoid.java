package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * Humanoid-v4: obs = qpos[2:] (22) + qvel (23) + cinert (14×10) + cvel (14×6) + qfrc_actuator (23) + cfrc_ext (14×6)
 * = 376; act 17; frame skip 5; mj_rnePostConstraint after stepping (else cfrc_ext is zero).
 * reward = 1.25 · (center-of-mass x-velocity) + 5 - 0.1‖a‖² (v4 has no contact cost); terminated unless
 * 1.0 &lt; z &lt; 2.0. Reset noise U(±1e-2) on qpos and qvel.
 */
public final class Humanoid extends MujocoEnv {
    private final double[] mass;
    private final double totalMass;

    public Humanoid(MjModel model) {
        super("humanoid", model, 5, true, 376);
        mass = model.bodyMass();
        double t = 0;
        for (double m : mass) t += m;
        totalMass = t;
    }

    @Override
    protected void perturb(double[] qpos, double[] qvel, SplittableRandom rng) {
        uniform(qpos, 1e-2, rng);
        uniform(qvel, 1e-2, rng);
    }

    @Override
    protected double[] observe() {
        int nb = model.nbody, nq = model.nq, nv = model.nv;
        double[] o = new double[obsDim()];
        int k = 0;
        MemorySegmentCopy.copy(data.qpos, 2, o, k, nq - 2); k += nq - 2;
        MemorySegmentCopy.copy(data.qvel, 0, o, k, nv); k += nv;
        MemorySegmentCopy.copy(data.cinert, 0, o, k, 10 * nb); k += 10 * nb;
        MemorySegmentCopy.copy(data.cvel, 0, o, k, 6 * nb); k += 6 * nb;
        MemorySegmentCopy.copy(data.qfrcActuator, 0, o, k, nv); k += nv;
        MemorySegmentCopy.copy(data.cfrcExt, 0, o, k, 6 * nb);
        return o;
    }

    /** x of the mass-weighted mean of body centers of mass (xipos). */
    @Override
    protected double xPosition() {
        double s = 0;
        for (int b = 0; b < mass.length; b++) s += mass[b] * data.xipos.getAtIndex(MuJoCo.F64, 3L * b);
        return s / totalMass;
    }

    @Override
    protected boolean healthy() {
        return healthy(data.qpos.getAtIndex(MuJoCo.F64, 2));
    }

    public static boolean healthy(double z) {
        return z > 1.0 && z < 2.0;
    }

    @Override
    protected RewardTerms reward(double xVelocity, double[] a) {
        return new RewardTerms(1.25 * xVelocity, 5.0, ctrlCost(0.1, a), xVelocity);
    }
}
