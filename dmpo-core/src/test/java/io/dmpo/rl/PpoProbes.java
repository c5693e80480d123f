package io.dmpo.rl;

import io.dmpo.env.Env;
import io.dmpo.env.StepResult;
import io.dmpo.nn.Dual;
import io.dmpo.nn.Layer;
import io.dmpo.nn.Param;
import io.dmpo.nn.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Test probes that read the advantages and value targets {@link Ppo} trains on. Observations carry their state's value
 * in column 0 (unique per rollout row in the scripted envs, so it names the row).
 *
 * <p>{@link Policy}: log-probability 0 for every sample (ratio exactly 1), so PPO's gradient with respect to row b's
 * log-probability is −A_b / B; its backward turns that back into A. {@link Critic}: V(obs) = obs[0] with no
 * parameters; with the critic unchanged (V = V_old), the value-loss gradient is c_v·(V − R)/B, from which its backward
 * recovers R. Run with one epoch, one minibatch holding the whole rollout, and no advantage normalization.
 */
final class PpoProbes {
    private PpoProbes() {}

    static final class Policy implements StochasticPolicy {
        private final int obsDim, actDim;
        final Map<Float, Double> advantages = new HashMap<>();

        Policy(int obsDim, int actDim) {
            this.obsDim = obsDim;
            this.actDim = actDim;
        }

        @Override public int obsDim() { return obsDim; }
        @Override public int actDim() { return actDim; }
        @Override public int recordDim() { return 1; }
        @Override public List<Param> params() { return List.of(); }

        @Override
        public void sample(Tensor obs, SplittableRandom rng, Tensor actionsOut, Tensor recordsOut, float[] logProbOut) {
            actionsOut.fill(0);
            recordsOut.fill(0);
            java.util.Arrays.fill(logProbOut, 0, obs.rows, 0f);
        }

        @Override
        public void act(Tensor obs, SplittableRandom rng, Tensor actionsOut) {
            actionsOut.fill(0);
        }

        @Override
        public Evaluation evaluate(Tensor obs, Tensor records) {
            int n = obs.rows;
            return new Evaluation() {
                @Override public float[] logProb() { return new float[n]; }
                @Override public float[] entropy() { return new float[n]; }

                @Override
                public void backward(float[] gradLogProb, float[] gradEntropy) {
                    for (int b = 0; b < n; b++) {
                        Double old = advantages.put(obs.get(b, 0), -(double) gradLogProb[b] * n);
                        if (old != null) throw new IllegalStateException("two rows with state value " + obs.get(b, 0));
                    }
                }
            };
        }
    }

    static final class Critic implements Layer {
        private final double valueCoef;
        final Map<Float, Double> returns = new HashMap<>();

        Critic(double valueCoef) {
            this.valueCoef = valueCoef;
        }

        @Override
        public Dual forward(Dual x) {
            Tensor v = Tensor.zeros(x.rows(), 1);
            for (int b = 0; b < x.rows(); b++) v.set(b, 0, x.value().get(b, 0));
            return Dual.of(v);
        }

        @Override
        public Trace trace(Dual x) {
            Dual y = forward(x);
            return Trace.of(y, g -> {
                int n = x.rows();
                for (int b = 0; b < n; b++) {
                    float v = x.value().get(b, 0);
                    Double old = returns.put(v, v - (double) g.get(b, 0) * n / valueCoef);
                    if (old != null) throw new IllegalStateException("two rows with state value " + v);
                }
                return Tensor.zeros(n, x.cols());
            });
        }

        @Override public List<Param> params() { return List.of(); }
    }

    /** A config that leaves the networks alone and exposes plain GAE: one epoch, one minibatch of every row. */
    static PpoConfig config(int steps, int envs, double gamma, double lambda) {
        PpoConfig c = new PpoConfig();
        c.rolloutSteps = steps;
        c.minibatchSize = steps * envs;
        c.epochs = 1;
        c.gamma = gamma;
        c.gaeLambda = lambda;
        c.actorLr = 0;
        c.criticLr = 0;
        c.actorLrSchedule = "constant";
        c.normalizeAdvantages = false;
        c.normalizeObs = false;
        c.rewardScaling = false;
        c.maxGradNorm = 1e9;
        c.entropyCoef = 0;
        return c;
    }

    /**
     * A scripted env whose observation is {V, t}: the state value V = base + t + 10·episode (t = steps into the
     * episode) and t. The step from t earns {@code rewards[t]}; after {@code length} steps the episode ends as
     * {@code end} says: TRUNCATE (time limit: the final observation is the state reached, V = base + length +
     * 10·episode), TERMINATE (terminal; its final observation reads V = 100, which must never be used) or THROW (the
     * step throws: the env failed and its state is lost). {@link #steps} counts executed steps.
     */
    static final class ScriptEnv implements Env {
        enum End { TRUNCATE, TERMINATE, THROW }

        private final double base;
        private final int length;
        private final End end;
        private final double[] rewards;
        private int episode, t;
        int steps;

        ScriptEnv(double base, int length, End end, double... rewards) {
            if (rewards.length != length) throw new IllegalArgumentException("one reward per step");
            this.base = base;
            this.length = length;
            this.end = end;
            this.rewards = rewards;
        }

        private double[] obs() {
            return new double[] {base + t + 10 * episode, t};
        }

        @Override public String name() { return "script"; }
        @Override public int obsDim() { return 2; }
        @Override public int actDim() { return 1; }
        @Override public double[] actionLow() { return new double[] {-1}; }
        @Override public double[] actionHigh() { return new double[] {1}; }
        @Override public int maxEpisodeSteps() { return end == End.TRUNCATE ? length : 0; }

        @Override
        public double[] reset(long seed) {
            episode = 0;
            t = 0;
            return obs();
        }

        @Override
        public double[] reset() {
            episode++;
            t = 0;
            return obs();
        }

        @Override
        public StepResult step(double[] action) {
            steps++;
            if (end == End.THROW && t == length - 1) throw new SimulatorFailure("scripted simulator failure");
            double r = rewards[t++];
            if (t < length) return new StepResult(obs(), r, false, false);
            return end == End.TERMINATE ? new StepResult(new double[] {100, t}, r, true, false)
                    : new StepResult(obs(), r, false, true);
        }

        @Override public void close() {}
    }

    /** A scripted physics instability: the only env failure VectorEnv turns into an episode end. */
    static final class SimulatorFailure extends RuntimeException implements io.dmpo.env.PhysicsInstability {
        SimulatorFailure(String message) {
            super(message);
        }
    }
}
