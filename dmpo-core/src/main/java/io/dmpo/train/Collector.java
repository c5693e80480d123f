package io.dmpo.train;

import io.dmpo.data.ArrayDataset;
import io.dmpo.env.VectorEnv;
import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Rolls out a demonstrator into a D4RL-layout dataset (docs/environments.md, "Data layouts"). The demonstrator is an
 * expert checkpoint ({@link ExpertRuns.Loaded}) or, when null, uniform random actions in the action range. Actions:
 * without {@code noise} they are sampled from the policy's own Gaussian (clipped to the range, as the env sees them);
 * with {@code noise σ} they are the deterministic mean plus N(0, σ²), clipped. Episodes are written whole and in
 * completion order; the last one is cut at {@code transitions} and marked as a timeout. {@code terminals} = the env
 * terminated, {@code timeouts} = the time limit (or the cut).
 */
public final class Collector {
    private Collector() {}

    /**
     * Instabilities tolerated before collection gives up when they outnumber finished episodes tenfold (dropped
     * episodes would otherwise repeat forever).
     */
    public static final int MAX_INSTABILITIES = 100;

    /** The data, the returns of the episodes written whole, and the wall time. */
    public record Result(ArrayDataset data, double[] completeReturns, double seconds) {}

    /** The demonstrator failed while collecting (a non-finite action, an unstable simulation): the run's fault, not the input's. */
    public static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    /** Collects {@code transitions} transitions ({@code next_observations} too when {@code withNext}); {@code name} labels the dataset. */
    public static Result collect(VectorEnv venv, ExpertRuns.Loaded demonstrator, Double noise, long seed, int transitions,
                                 boolean withNext, String name) {
        long t0 = System.nanoTime();
        int n = venv.numEnvs(), od = venv.obsDim(), ad = venv.actDim();
        double[] low = venv.env(0).actionLow(), high = venv.env(0).actionHigh();
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] obs = venv.reset(seed);
        List<Episode> open = new ArrayList<>();
        for (int i = 0; i < n; i++) open.add(new Episode());
        float[] o = new float[transitions * od], a = new float[transitions * ad], r = new float[transitions];
        float[] next = withNext ? new float[transitions * od] : null;
        boolean[] term = new boolean[transitions], tmo = new boolean[transitions];
        List<Double> complete = new ArrayList<>();
        int filled = 0;
        long steps = 0;
        Tensor x = Tensor.zeros(n, od), act = Tensor.zeros(n, ad), rec = Tensor.zeros(n, ad);
        float[] lp = new float[n];
        double[][] acts = new double[n][ad];
        var observations = demonstrator == null ? null : demonstrator.observations();
        while (filled < transitions) {
            if (demonstrator == null) {
                for (int i = 0; i < n; i++) for (int d = 0; d < ad; d++) acts[i][d] = low[d] + (high[d] - low[d]) * rng.nextDouble();
            } else {
                for (int i = 0; i < n; i++) observations.apply(obs[i], x.data, i * od);
                if (noise == null) demonstrator.policy().sample(x, rng, act, rec, lp);
                else demonstrator.policy().act(x, rng, act);
                for (int i = 0; i < n; i++) {
                    for (int d = 0; d < ad; d++) {
                        if (!Float.isFinite(act.get(i, d))) { // the env would reject it; never clip it into data
                            throw new Failure(demonstrator.checkpoint() + ": the policy produced a non-finite action ("
                                    + act.get(i, d) + ") at collection step " + steps + ", env " + i + "; the checkpoint is broken");
                        }
                        double v = act.get(i, d) + (noise != null && noise > 0 ? noise * Init.gaussian(rng) : 0);
                        acts[i][d] = Math.min(high[d], Math.max(low[d], v));
                    }
                }
            }
            VectorEnv.Step s = venv.step(acts);
            steps++;
            if (venv.instabilities() > MAX_INSTABILITIES && venv.instabilities() > 10L * (complete.size() + 1)) {
                throw new Failure("collect: " + venv.instabilities() + " episodes ended in a physics instability (last: "
                        + venv.lastInstability() + "); the policy drives the simulation unstable");
            }
            for (int i = 0; i < n && filled < transitions; i++) {
                Episode ep = open.get(i);
                boolean done = s.terminated()[i] || s.truncated()[i];
                double[] nextObs = done ? s.finalObs()[i] : s.obs()[i];
                if (nextObs == null || nextObs.length == 0) { // env error: drop the broken episode
                    ep.clear();
                    continue;
                }
                ep.add(obs[i], acts[i], nextObs, s.rewards()[i]);
                if (!done) continue;
                int len = ep.length(), take = Math.min(len, transitions - filled);
                double ret = 0;
                for (int k = 0; k < take; k++) {
                    System.arraycopy(ep.obs.get(k), 0, o, (filled + k) * od, od);
                    System.arraycopy(ep.act.get(k), 0, a, (filled + k) * ad, ad);
                    if (next != null) System.arraycopy(ep.next.get(k), 0, next, (filled + k) * od, od);
                    r[filled + k] = ep.rew.get(k);
                    ret += r[filled + k];
                }
                if (take == len) {
                    term[filled + take - 1] = s.terminated()[i];
                    tmo[filled + take - 1] = s.truncated()[i] && !s.terminated()[i];
                    complete.add(ret);
                } else {
                    tmo[filled + take - 1] = true; // cut to fit the transition count
                }
                filled += take;
                ep.clear();
            }
            obs = s.obs();
        }
        ArrayDataset d = new ArrayDataset(name, "d4rl", od, ad, o, a, r, term, tmo, next, Map.of());
        return new Result(d, complete.stream().mapToDouble(Double::doubleValue).toArray(), (System.nanoTime() - t0) / 1e9);
    }

    /** One env's episode so far: raw observations and the clipped actions as the env saw them. */
    private static final class Episode {
        final List<float[]> obs = new ArrayList<>(), act = new ArrayList<>(), next = new ArrayList<>();
        final List<Float> rew = new ArrayList<>();

        void add(double[] o, double[] a, double[] n, double r) {
            obs.add(toFloat(o));
            act.add(toFloat(a));
            next.add(toFloat(n));
            rew.add((float) r);
        }

        int length() {
            return rew.size();
        }

        void clear() {
            obs.clear();
            act.clear();
            next.clear();
            rew.clear();
        }
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }
}
