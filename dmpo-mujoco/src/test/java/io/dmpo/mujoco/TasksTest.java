package io.dmpo.mujoco;

import io.dmpo.env.StepResult;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class TasksTest {
    private static final double EPS = 1e-9;

    @Test
    void dimensionsOfTheFiveTasks() {
        int[][] dims = {{11, 3}, {17, 6}, {17, 6}, {27, 8}, {376, 17}};
        String[] names = {"hopper", "walker2d", "halfcheetah", "ant", "humanoid"};
        double[] dts = {0.008, 0.008, 0.05, 0.05, 0.015};
        for (int i = 0; i < names.length; i++) {
            try (MujocoEnv env = Tasks.make(names[i])) {
                assertEquals(dims[i][0], env.obsDim(), names[i]);
                assertEquals(dims[i][1], env.actDim(), names[i]);
                assertEquals(dims[i][0], env.reset(1).length, names[i]);
                assertEquals(dts[i], env.dt(), 1e-12, names[i]);
                assertEquals(1000, env.maxEpisodeSteps());
                double[] lo = env.actionLow(), hi = env.actionHigh();
                for (int k = 0; k < lo.length; k++) {
                    assertTrue(Double.isFinite(lo[k]) && lo[k] < hi[k], names[i]);
                }
                StepResult r = env.step(new double[env.actDim()]);
                assertEquals(dims[i][0], r.obs().length);
            }
        }
    }

    @Test
    void humanoidObservationLayout() {
        try (MujocoEnv env = Tasks.make("humanoid")) {
            env.reset(3);
            StepResult r = env.step(new double[17]);
            MjData d = env.data();
            double[] o = r.obs();
            double[] qpos = MjData.get(d.qpos), qvel = MjData.get(d.qvel);
            assertArrayEquals(Arrays.copyOfRange(qpos, 2, 24), Arrays.copyOfRange(o, 0, 22));
            assertArrayEquals(qvel, Arrays.copyOfRange(o, 22, 45));
            assertArrayEquals(MjData.get(d.cfrcExt), Arrays.copyOfRange(o, 376 - 84, 376));
            // standing on the floor at reset: after a step, contact forces from mj_rnePostConstraint are non-zero
            env.reset(3);
            for (int i = 0; i < 20; i++) env.step(new double[17]);
            double s = 0;
            for (double v : MjData.get(d.cfrcExt)) s += Math.abs(v);
            assertTrue(s > 0, "cfrc_ext must be filled (mj_rnePostConstraint)");
        }
    }

    /** reward = forward + healthy - ctrl, each recomputed from the state before and after the step. */
    @Test
    void rewardDecomposition() {
        String[] names = {"hopper", "walker2d", "halfcheetah", "ant", "humanoid"};
        double[] ctrlW = {1e-3, 1e-3, 0.1, 0.5, 0.1};
        double[] healthyR = {1, 1, 0, 1, 5};
        double[] fwdW = {1, 1, 1, 1, 1.25};
        SplittableRandom rng = new SplittableRandom(42);
        for (int i = 0; i < names.length; i++) {
            try (MujocoEnv env = Tasks.make(names[i])) {
                env.reset(7);
                for (int s = 0; s < 5; s++) {
                    double[] a = new double[env.actDim()];
                    double sq = 0;
                    for (int k = 0; k < a.length; k++) {
                        a[k] = env.actionLow()[k] + rng.nextDouble() * (env.actionHigh()[k] - env.actionLow()[k]);
                        sq += a[k] * a[k];
                    }
                    double xBefore = env.xPosition();
                    StepResult r = env.step(a);
                    double xVel = (env.xPosition() - xBefore) / env.dt();
                    MujocoEnv.RewardTerms t = env.lastRewardTerms();
                    assertEquals(ctrlW[i] * sq, t.ctrlCost(), EPS, names[i]);
                    assertEquals(healthyR[i], t.healthy(), EPS, names[i]);
                    assertEquals(fwdW[i] * xVel, t.forward(), 1e-9, names[i]);
                    assertEquals(t.forward() + t.healthy() - t.ctrlCost(), r.reward(), EPS, names[i]);
                    if (r.done()) break;
                }
            }
        }
    }

    @Test
    void hopperTerminationRules() {
        double[] v = new double[6];
        assertTrue(Hopper.healthy(new double[] {0, 1.25, 0, 0, 0, 0}, v));
        assertFalse(Hopper.healthy(new double[] {0, 0.7, 0, 0, 0, 0}, v), "z <= 0.7");
        assertTrue(Hopper.healthy(new double[] {0, 0.71, 0.19, 0, 0, 0}, v));
        assertFalse(Hopper.healthy(new double[] {0, 1.25, 0.2, 0, 0, 0}, v), "angle >= 0.2");
        assertFalse(Hopper.healthy(new double[] {0, 1.25, -0.2, 0, 0, 0}, v), "angle <= -0.2");
        assertFalse(Hopper.healthy(new double[] {0, 1.25, 0, 0, 0, 0}, new double[] {0, 0, 0, 100, 0, 0}), "|qvel| >= 100");
        assertTrue(Hopper.healthy(new double[] {1e6, 1.25, 0, 0, 0, 0}, new double[] {99, -99, 0, 0, 0, 0}),
                "x and z are not range-checked: (qpos, qvel)[2:] is");
        assertFalse(Hopper.healthy(new double[] {0, 1.25, 0, 0, 0, 0}, new double[] {100, 0, 0, 0, 0, 0}));
        // on the env: a crafted fallen state terminates at the next step, truncation stays false
        try (MujocoEnv env = Tasks.make("hopper")) {
            env.reset(0);
            double[] q = env.model().qpos0();
            q[2] = 0.5; // tilted beyond 0.2 rad
            env.setState(q, new double[6]);
            StepResult r = env.step(new double[3]);
            assertTrue(r.terminated());
            assertFalse(r.truncated());
            assertThrows(IllegalStateException.class, () -> env.step(new double[3]), "must reset after the end");
        }
    }

    @Test
    void walkerAntHumanoidTerminationRules() {
        assertTrue(Walker2d.healthy(new double[] {0, 1.25, 0, 0, 0, 0, 0, 0, 0}));
        assertFalse(Walker2d.healthy(new double[] {0, 0.8, 0, 0, 0, 0, 0, 0, 0}));
        assertFalse(Walker2d.healthy(new double[] {0, 2.0, 0, 0, 0, 0, 0, 0, 0}));
        assertFalse(Walker2d.healthy(new double[] {0, 1.25, 1.0, 0, 0, 0, 0, 0, 0}));
        assertFalse(Walker2d.healthy(new double[] {0, 1.25, -1.0, 0, 0, 0, 0, 0, 0}));
        double[] q = new double[15], v = new double[14];
        q[2] = 0.2;
        assertTrue(Ant.healthy(q, v), "Ant's z range is inclusive");
        q[2] = 1.0;
        assertTrue(Ant.healthy(q, v));
        q[2] = 1.01;
        assertFalse(Ant.healthy(q, v));
        q[2] = 0.5;
        v[3] = Double.NaN;
        assertFalse(Ant.healthy(q, v), "non-finite state");
        assertTrue(Humanoid.healthy(1.4));
        assertFalse(Humanoid.healthy(1.0));
        assertFalse(Humanoid.healthy(2.0));
    }

    @Test
    void halfCheetahNeverTerminatesAndTruncatesAt1000() {
        try (MujocoEnv env = Tasks.make("halfcheetah")) {
            env.maxEpisodeSteps(30).reset(1);
            StepResult r = null;
            for (int i = 0; i < 30; i++) {
                r = env.step(new double[6]);
                assertFalse(r.terminated());
                assertEquals(i == 29, r.truncated());
            }
        }
    }

    @Test
    void zeroActionTrajectoriesAreDeterministic() {
        for (String name : Tasks.names()) {
            double[] a = roll(name, 11), b = roll(name, 11), c = roll(name, 12);
            assertArrayEquals(a, b, name);
            assertFalse(Arrays.equals(a, c), name + ": another seed must give another trajectory");
        }
    }

    /** Seeded property: for random seeds, reset noise stays within the task's bounds around qpos0. */
    @Test
    void resetNoiseWithinBounds() {
        SplittableRandom seeds = new SplittableRandom(2024);
        try (MujocoEnv env = Tasks.make("hopper")) {
            double[] q0 = env.model().qpos0();
            for (int t = 0; t < 50; t++) {
                env.reset(seeds.nextLong());
                double[] q = MjData.get(env.data().qpos), v = MjData.get(env.data().qvel);
                for (int i = 0; i < q.length; i++) assertTrue(Math.abs(q[i] - q0[i]) <= 5e-3);
                for (double x : v) assertTrue(Math.abs(x) <= 5e-3);
            }
        }
    }

    private static double[] roll(String name, long seed) {
        try (io.dmpo.env.Env env = Tasks.of(name).make()) {
            double[] obs = env.reset(seed);
            double[] all = new double[obs.length * 51];
            System.arraycopy(obs, 0, all, 0, obs.length);
            for (int s = 1; s <= 50; s++) {
                StepResult r = env.step(new double[env.actDim()]);
                System.arraycopy(r.obs(), 0, all, s * obs.length, obs.length);
                if (r.done()) break;
            }
            return all;
        }
    }
}
