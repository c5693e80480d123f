package io.dmpo.eval;

import io.dmpo.env.Env;
import io.dmpo.env.PhysicsInstability;
import io.dmpo.env.StepResult;
import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.rl.Ppo;
import io.dmpo.rl.StochasticPolicy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Policy evaluation, the one evaluator every command uses (pre-training sweeps, fine-tuning's periodic evaluation,
 * {@code dmpo eval}, the Gaussian experts, the main job): episodes of an {@link Actor} in environments, batched over
 * the envs that are still running, each env executing the chunk of actions its actor returns. Episode {@code i} is
 * reset with seed {@code seed + i} and draws its noise from its own stream, so results do not depend on how many envs
 * run side by side — and a fine-tuning run's logged evaluation is exactly what {@code dmpo eval} reports for the same
 * file, seed and episodes.
 */
public final class Evaluator {
    private Evaluator() {}

    /** What the evaluator runs: observation histories of a batch of episodes → each episode's chunk of env actions. */
    public interface Actor {
        /** Observations per history (oldest first). */
        int condSteps();

        /**
         * The actions to execute for each history; {@code noise[i]} is episode i's own random stream (a deterministic
         * actor ignores it).
         */
        double[][][] act(double[][][] histories, SplittableRandom[] noise);
    }

    /** A flow policy's K-step chain from per-episode initial noise: the deployed policy. */
    public static Actor flow(FlowPolicy policy, int steps) {
        return new Actor() {
            @Override public int condSteps() { return policy.condSteps(); }

            @Override
            public double[][][] act(double[][][] histories, SplittableRandom[] noise) {
                Tensor eps = Tensor.zeros(histories.length, policy.actor().actionDim);
                for (int k = 0; k < histories.length; k++) {
                    for (int j = 0; j < eps.cols; j++) eps.data[k * eps.cols + j] = (float) Init.gaussian(noise[k]); // its own stream
                }
                return policy.sampleBatch(histories, eps, steps);
            }
        };
    }

    /**
     * A PPO policy's noise-free actions ({@link StochasticPolicy#act}: the Gaussian's mean) on raw observations mapped
     * by {@code observations} (e.g. its running normalization): one action per decision.
     */
    public static Actor noiseFree(StochasticPolicy policy, Ppo.ObservationMap observations) {
        return new Actor() {
            @Override public int condSteps() { return 1; }

            @Override
            public double[][][] act(double[][][] histories, SplittableRandom[] noise) {
                int n = histories.length, od = policy.obsDim(), ad = policy.actDim();
                Tensor x = Tensor.zeros(n, od), a = Tensor.zeros(n, ad);
                for (int k = 0; k < n; k++) observations.apply(histories[k][0], x.data, k * od);
                policy.act(x, noise[0], a);
                double[][][] out = new double[n][1][ad];
                for (int k = 0; k < n; k++) for (int d = 0; d < ad; d++) out[k][0][d] = a.get(k, d);
                return out;
            }
        };
    }

    /** Per-episode returns and lengths, in episode order. */
    public record Episodes(double[] returns, int[] lengths, int instabilities) {
        /** Mean return and its standard error ({@link MeanStderr}). */
        public MeanStderr summary() {
            return MeanStderr.of(returns);
        }

        public double mean() {
            return summary().mean();
        }

        public double stderr() {
            return summary().stderr();
        }

        public double meanLength() {
            return Arrays.stream(lengths).average().orElse(Double.NaN);
        }

        /**
         * The evaluation fields of a metrics or evals line, the same in every trainer: {@code eval_return} ± stderr,
         * for a sparse-success task also {@code eval_success_rate} ± stderr, and the start-state seed.
         */
        public void record(java.util.Map<String, Object> line, boolean successRate, long seed) {
            line.put("eval_return", mean());
            line.put("eval_return_stderr", stderr());
            if (successRate) {
                line.put("eval_success_rate", mean());
                line.put("eval_success_rate_stderr", stderr());
            }
            line.put("eval_seed", seed);
        }
    }

    /**
     * Runs {@code episodes} episodes with {@code steps} sampling steps on the given envs (at most {@code envs.size()}
     * at a time). Env actions are the policy's de-normalized chunk actions; a NaN action is an error.
     */
    public static Episodes run(FlowPolicy policy, List<? extends Env> envs, int steps, int episodes, long seed) {
        return run(flow(policy, steps), envs, episodes, seed, "K = " + steps);
    }

    /** As above for any actor; {@code label} names it in errors. */
    public static Episodes run(Actor actor, List<? extends Env> envs, int episodes, long seed, String label) {
        if (episodes < 1) throw new IllegalArgumentException("episodes must be >= 1");
        if (envs.isEmpty()) throw new IllegalArgumentException("no envs to evaluate in");
        int n = Math.min(envs.size(), episodes), c = actor.condSteps();
        double[] returns = new double[episodes];
        int[] lengths = new int[episodes];
        int[] episodeOf = new int[n];
        double[][][] history = new double[n][][];
        SplittableRandom[] noise = new SplittableRandom[n];
        int next = 0;
        for (int e = 0; e < n; e++) {
            episodeOf[e] = next;
            history[e] = start(envs.get(e), seed, next, c);
            noise[e] = noiseStream(seed, next);
            next++;
        }
        int running = n, unstable = 0;
        while (running > 0) {
            List<Integer> active = new ArrayList<>();
            for (int e = 0; e < n; e++) if (episodeOf[e] >= 0) active.add(e);
            double[][][] batch = new double[active.size()][][];
            SplittableRandom[] streams = new SplittableRandom[active.size()];
            for (int k = 0; k < active.size(); k++) {
                batch[k] = history[active.get(k)];
                streams[k] = noise[active.get(k)];
            }
            double[][][] actions = actor.act(batch, streams);
            for (int k = 0; k < active.size(); k++) {
                int e = active.get(k), ep = episodeOf[e];
                Env env = envs.get(e);
                for (double[] a : actions[k]) {
                    for (double v : a) {
                        if (!Double.isFinite(v)) {
                            throw new IllegalArgumentException("the policy produced a non-finite action (" + v + ") in episode "
                                    + ep + " at step " + lengths[ep] + " with " + label);
                        }
                    }
                    StepResult r;
                    try {
                        r = env.step(a);
                    } catch (RuntimeException ex) {
                        if (!(ex instanceof PhysicsInstability)) throw ex;
                        unstable++; // the state is lost: the episode ends here (counted, as in VectorEnv)
                        r = new StepResult(history[e][history[e].length - 1], 0, false, true);
                    }
                    returns[ep] += r.reward();
                    lengths[ep]++;
                    push(history[e], r.obs());
                    if (r.done()) {
                        if (next < episodes) {
                            episodeOf[e] = next;
                            history[e] = start(env, seed, next, c);
                            noise[e] = noiseStream(seed, next);
                            next++;
                        } else {
                            episodeOf[e] = -1;
                            running--;
                        }
                        break;
                    }
                }
            }
        }
        return new Episodes(returns, lengths, unstable);
    }

    private static double[][] start(Env env, long seed, int episode, int condSteps) {
        double[] o = env.reset(seed + episode);
        double[][] h = new double[condSteps][];
        for (int k = 0; k < condSteps; k++) h[k] = o.clone();
        return h;
    }

    private static SplittableRandom noiseStream(long seed, int episode) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + episode * 0xD1B54A32D192ED03L + 1);
    }

    /** Drops the oldest observation, appends the newest. */
    private static void push(double[][] h, double[] obs) {
        System.arraycopy(h, 1, h, 0, h.length - 1);
        h[h.length - 1] = obs.clone();
    }

    /** Median wall time of a batch-1 action (µs), after {@code warmup} untimed calls, over {@code samples} calls. */
    public static double latencyMicros(FlowPolicy policy, double[][] history, int steps, int warmup, int samples) {
        SplittableRandom rng = new SplittableRandom(7);
        Tensor eps = policy.noise(1, rng);
        double[][][] one = {history};
        for (int i = 0; i < warmup; i++) policy.sampleBatch(one, eps, steps);
        double[] t = new double[samples];
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            policy.sampleBatch(one, eps, steps);
            t[i] = (System.nanoTime() - t0) / 1e3;
        }
        Arrays.sort(t);
        return samples % 2 == 1 ? t[samples / 2] : 0.5 * (t[samples / 2 - 1] + t[samples / 2]);
    }
}
