package io.dmpo.rl;

import io.dmpo.env.Env;
import io.dmpo.env.RunningMeanStd;
import io.dmpo.env.StepResult;
import io.dmpo.env.VectorEnv;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Param;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PpoCheckpoint}: save then load restores policy and critic weights, both optimizers' moments and step counts,
 * and the observation / reward statistics bit for bit, and a PPO iteration after loading is bit for bit the iteration
 * the saved run itself does (both restarted the way a resume does: {@link Ppo#reseed} at the saved iteration).
 */
class PpoCheckpointTest {
    /**
     * A small seeded task: obs {x, v}, v ← 0.9·v + 0.2·a + noise, x ← x + v, reward 1 − x² − 0.1·a². Episodes always
     * last 8 steps and end by truncation, so with rollouts of 16 steps every env is at an episode start when an
     * iteration ends (the reward scaler's running returns, which a checkpoint does not hold, are then all 0).
     */
    static final class DriftEnv implements Env {
        private SplittableRandom rng = new SplittableRandom(0);
        private double x, v;
        private int t;

        @Override public String name() { return "drift"; }
        @Override public int obsDim() { return 2; }
        @Override public int actDim() { return 1; }
        @Override public double[] actionLow() { return new double[] {-1}; }
        @Override public double[] actionHigh() { return new double[] {1}; }
        @Override public int maxEpisodeSteps() { return 8; }

        @Override
        public double[] reset(long seed) {
            rng = new SplittableRandom(seed);
            return reset();
        }

        @Override
        public double[] reset() {
            x = rng.nextDouble(-1, 1);
            v = rng.nextDouble(-0.5, 0.5);
            t = 0;
            return new double[] {x, v};
        }

        @Override
        public StepResult step(double[] a) {
            double u = Math.max(-1, Math.min(1, a[0]));
            v = 0.9 * v + 0.2 * u + 0.05 * rng.nextGaussian();
            x += v;
            t++;
            return new StepResult(new double[] {x, v}, 1 - x * x - 0.1 * u * u, false, t >= 8);
        }

        @Override public void close() {}
    }

    static final long SEED = 5;
    static final int TOTAL_ITERATIONS = 10;

    /** One PPO run; {@code initSeed} sets the initial weights only (the env and noise streams follow {@link #SEED}). */
    record Run(VectorEnv envs, GaussianPolicy policy, Sequential critic, Ppo ppo) implements AutoCloseable {
        static Run create(long initSeed) {
            VectorEnv envs = VectorEnv.of(2, 1, i -> new DriftEnv());
            GaussianPolicy policy = new GaussianPolicy(2, 1, new int[] {8}, Pointwise.TANH, new double[] {-1},
                    new double[] {1}, 0).initialize(initSeed, -0.5);
            Sequential critic = Nets.mlp("critic", Pointwise.TANH, 2, 8, 1);
            Orthogonal.apply(critic, Math.sqrt(2), 1, initSeed + 1);
            PpoConfig cfg = new PpoConfig();
            cfg.rolloutSteps = 16;
            cfg.minibatchSize = 8;
            cfg.epochs = 2;
            cfg.actorLr = 3e-3;
            cfg.criticLr = 1e-2;
            cfg.actorLrSchedule = "linear"; // the learning rate depends on the iteration: the resumed one must be right
            return new Run(envs, policy, critic, new Ppo(cfg, policy, critic, envs, TOTAL_ITERATIONS, SEED));
        }

        void save(Path dir, Map<String, Object> extra) throws IOException {
            PpoCheckpoint.save(dir, policy.params(), critic.params(), ppo.actorOptimizer(), ppo.criticOptimizer(),
                    ppo.obsStats(), ppo.rewardScaler(), extra);
        }

        Map<String, Object> load(Path dir) throws IOException {
            return PpoCheckpoint.load(dir, policy.params(), critic.params(), ppo.actorOptimizer(), ppo.criticOptimizer(),
                    ppo.obsStats(), ppo.rewardScaler());
        }

        @Override
        public void close() {
            envs.close();
        }
    }

    /** Deep copies of everything a checkpoint holds. */
    record State(List<float[]> weights, List<float[]> moments, long actorSteps, long criticSteps,
                 double[] obsMean, double[] obsVar, double obsCount, double[] retMean, double[] retVar, double retCount) {
        static State of(Run r) {
            List<float[]> w = new ArrayList<>(), m = new ArrayList<>();
            for (Param p : r.policy.params()) w.add(p.value.clone());
            for (Param p : r.critic.params()) w.add(p.value.clone());
            for (AdamW o : new AdamW[] {r.ppo.actorOptimizer(), r.ppo.criticOptimizer()}) {
                for (float[] x : o.firstMoments()) m.add(x.clone());
                for (float[] x : o.secondMoments()) m.add(x.clone());
            }
            RunningMeanStd obs = r.ppo.obsStats(), ret = r.ppo.rewardScaler().stats();
            return new State(w, m, r.ppo.actorOptimizer().steps(), r.ppo.criticOptimizer().steps(), obs.mean(), obs.var(),
                    obs.count(), ret.mean(), ret.var(), ret.count());
        }

        /** Bitwise equality (JUnit compares float and double arrays by their bits). */
        void assertSame(State o, String when) {
            assertEquals(weights.size(), o.weights.size());
            for (int i = 0; i < weights.size(); i++) assertArrayEquals(weights.get(i), o.weights.get(i), when + ": weights " + i);
            assertEquals(moments.size(), o.moments.size());
            for (int i = 0; i < moments.size(); i++) assertArrayEquals(moments.get(i), o.moments.get(i), when + ": moments " + i);
            assertEquals(actorSteps, o.actorSteps, when);
            assertEquals(criticSteps, o.criticSteps, when);
            assertArrayEquals(obsMean, o.obsMean, when + ": obs mean");
            assertArrayEquals(obsVar, o.obsVar, when + ": obs var");
            assertEquals(Double.doubleToRawLongBits(obsCount), Double.doubleToRawLongBits(o.obsCount), when + ": obs count");
            assertArrayEquals(retMean, o.retMean, when + ": return mean");
            assertArrayEquals(retVar, o.retVar, when + ": return var");
            assertEquals(Double.doubleToRawLongBits(retCount), Double.doubleToRawLongBits(o.retCount), when + ": return count");
        }

        boolean sameWeights(State o) {
            for (int i = 0; i < weights.size(); i++) if (!java.util.Arrays.equals(weights.get(i), o.weights.get(i))) return false;
            return true;
        }
    }

    /** Stats without the wall-clock fields. */
    static Map<String, Object> values(Ppo.Stats s) throws ReflectiveOperationException {
        Map<String, Object> m = new LinkedHashMap<>();
        for (var c : Ppo.Stats.class.getRecordComponents()) {
            if (!c.getName().endsWith("Seconds")) m.put(c.getName(), c.getAccessor().invoke(s));
        }
        return m;
    }

    @Test
    void roundTripIsBitwiseAndTheNextIterationIsUnchanged(@TempDir Path tmp) throws Exception {
        int saved = 3;
        try (Run a = Run.create(100); Run b = Run.create(200)) {
            for (int i = 0; i < saved; i++) a.ppo.iterate();
            for (double g : a.ppo.rewardScaler().returns()) assertEquals(0.0, g, "premise: the save point is an episode boundary");
            State atSave = State.of(a);
            assertEquals(saved * 4L * 2, atSave.actorSteps(), "32 rows / minibatch 8 = 4 minibatches x 2 epochs per iteration");
            assertTrue(atSave.obsVar()[0] != 1.0 && atSave.retCount() > 1, "statistics have moved");
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("iteration", saved);
            extra.put("env_steps", a.ppo.envSteps());
            extra.put("note", "checkpoint test");
            Path dir = tmp.resolve("ckpt");
            a.save(dir, extra);
            State.of(a).assertSame(atSave, "saving changes nothing");
            for (String f : new String[] {"weights.safetensors", "optimizer.safetensors", "state.json"}) {
                assertTrue(Files.isRegularFile(dir.resolve(f)), f);
            }

            State fresh = State.of(b);
            assertFalse(fresh.sameWeights(atSave), "the second run starts from other weights");
            Map<String, Object> st = b.load(dir);
            State.of(b).assertSame(atSave, "after load");
            assertEquals(saved, ((Number) st.get("iteration")).intValue());
            assertEquals(a.ppo.envSteps(), ((Number) st.get("env_steps")).longValue());
            assertEquals("checkpoint test", st.get("note"));

            // a second save over the same directory replaces it
            b.save(dir, extra);
            try (Run c = Run.create(300)) {
                c.load(dir);
                State.of(c).assertSame(atSave, "after save of the loaded state, load again");
            }

            // the next iteration: the saved run and the loaded one, both restarted as a resume restarts
            a.ppo.reseed(SEED, saved);
            b.ppo.reseed(SEED, saved);
            b.ppo.setProgress(saved, ((Number) st.get("env_steps")).longValue());
            Ppo.Stats sa = a.ppo.iterate(), sb = b.ppo.iterate();
            assertEquals(values(sa), values(sb));
            State after = State.of(a);
            after.assertSame(State.of(b), "after one more iteration");
            assertFalse(after.sameWeights(atSave), "the iteration changed the weights");
            assertNotEquals(atSave.actorSteps(), after.actorSteps());
        }
    }

    /** What a policy-only consumer (collect, evaluation) loads: weights and observation statistics, nothing else. */
    @Test
    void policyOnlyLoad(@TempDir Path tmp) throws Exception {
        try (Run a = Run.create(100); Run b = Run.create(200)) {
            a.ppo.iterate();
            Path dir = tmp.resolve("ckpt");
            a.save(dir, Map.of("iteration", 1));
            RunningMeanStd stats = new RunningMeanStd(2);
            Map<String, Object> st = PpoCheckpoint.load(dir, b.policy.params(), null, null, null, stats, null);
            assertEquals(1, ((Number) st.get("iteration")).intValue());
            for (int i = 0; i < a.policy.params().size(); i++) {
                assertArrayEquals(a.policy.params().get(i).value, b.policy.params().get(i).value);
            }
            assertArrayEquals(a.ppo.obsStats().mean(), stats.mean());
            assertArrayEquals(a.ppo.obsStats().var(), stats.var());
            assertEquals(a.ppo.obsStats().count(), stats.count());
            assertEquals(0, b.ppo.actorOptimizer().steps(), "optimizers untouched");
            assertFalse(java.util.Arrays.equals(a.critic.params().get(0).value, b.critic.params().get(0).value),
                    "critic untouched");
            assertNull(st.get("missing"));
        }
    }
}
