package io.dmpo.cli;

import io.dmpo.data.ArrayDataset;
import io.dmpo.data.D4rl;
import io.dmpo.env.VectorEnv;
import io.dmpo.mujoco.Tasks;
import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import io.dmpo.rl.Ppo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code dmpo collect}: rolls out a demonstrator and writes a D4RL-layout HDF5 dataset (docs/environments.md, "Data layouts").
 *
 * <p>Qualities: {@code expert} = the run's best-evaluated checkpoint; {@code medium} = the earliest checkpoint of the
 * same run whose deterministic evaluation return is within [1/3, 1/2] of the best (else the one closest to 40%).
 * Sampled (stochastic) returns are usually below deterministic ones, so the command reports the collected data's
 * return as a fraction of the best evaluation and says when it falls outside 1/3–1/2 (then pass {@code --checkpoint});
 * {@code random} = uniform actions in the action range. Actions: without {@code --noise} they are sampled from the
 * policy's own Gaussian (clipped to the range, like the env sees them); with {@code --noise σ} they are the
 * deterministic mean plus N(0, σ²) noise, clipped. Episodes are written whole and in completion order; the last one
 * is cut at {@code --transitions} and marked as a timeout. {@code terminals} = the env terminated,
 * {@code timeouts} = the 1000-step limit (or the cut).
 */
@Command(name = "collect", mixinStandardHelpOptions = true,
        description = "Roll out an expert run (or random actions) and write a D4RL-layout HDF5 dataset.")
public final class CollectCommand implements Runnable {
    @Option(names = "--policy", description = "expert run directory (or one of its checkpoint directories); not needed for --quality random")
    Path policy;
    @Option(names = "--env", required = true, description = "task name")
    String env;
    @Option(names = "--transitions", description = "transitions to write (default: ${DEFAULT-VALUE})")
    int transitions = 100_000;
    @Option(names = "--quality", description = "expert, medium or random (default: ${DEFAULT-VALUE})")
    String quality = "expert";
    @Option(names = "--checkpoint", description = "use this checkpoint (iter_NNNNNN) instead of choosing by --quality")
    String checkpoint;
    @Option(names = "--noise", description = "Gaussian action noise σ around the deterministic action (default: sample the policy)")
    Double noise;
    @Option(names = "--seed", description = "seed (default: ${DEFAULT-VALUE})")
    long seed = 0;
    @Option(names = "--envs", description = "parallel envs (default: ${DEFAULT-VALUE})")
    int envs = 8;
    @Option(names = "--threads", description = "threads stepping the envs (default: ${DEFAULT-VALUE})")
    int threads = 1;
    @Option(names = "--no-next-observations", description = "omit next_observations (smaller file)")
    boolean noNext;
    @Option(names = "--out", required = true, description = "output .h5 file (written atomically)")
    Path out;
    @Option(names = "--force", description = "overwrite --out if it exists")
    boolean force;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The command line as typed (the file's provenance attribute). */
    private String commandLine() {
        try {
            return "dmpo " + String.join(" ", spec.root().commandLine().getParseResult().originalArgs());
        } catch (RuntimeException e) {
            return "dmpo collect";
        }
    }

    @Override
    public void run() {
        Tasks.Task task = EnvCommand.userErrors(() -> Tasks.of(env));
        Check.atLeast("--transitions", transitions, 1);
        Check.atLeast("--envs", envs, 1);
        Check.atLeast("--threads", threads, 1);
        if (noise != null) Check.range("--noise", noise, 0, 10, false);
        String problem = io.dmpo.io.AtomicFiles.outputProblem(out, force);
        if (problem != null) throw new UserError(problem, 2);
        if (!List.of("expert", "medium", "random").contains(quality)) {
            throw new UserError("--quality must be expert, medium or random, not '" + quality + "'", 2);
        }
        if (!quality.equals("random") && policy == null) throw new UserError("--policy <expert run> is required for --quality " + quality, 2);
        try (VectorEnv venv = VectorEnv.of(envs, threads, i -> task.make())) {
            int od = venv.obsDim(), ad = venv.actDim();
            double[] low = venv.env(0).actionLow(), high = venv.env(0).actionHigh();
            ExpertRuns.Loaded loaded = null;
            Map<String, Object> attrs = new LinkedHashMap<>();
            attrs.put("env", task.name());
            attrs.put("quality", quality);
            if (!quality.equals("random")) {
                Path runDir = Files.isRegularFile(policy.resolve("state.json")) ? policy.toAbsolutePath().getParent().getParent() : policy;
                Object trainedOn = ExpertRuns.config(runDir).get("env");
                if (!task.name().equals(trainedOn)) {
                    throw new UserError(policy + ": the expert was trained on '" + trainedOn + "', not '" + task.name() + "'", 2);
                }
                String name = checkpoint != null ? checkpoint : choose(policy, quality);
                loaded = ExpertRuns.load(policy, name, od, ad, low, high);
                attrs.put("policy", loaded.checkpoint().toString());
                attrs.put("policy_checkpoint_sha256", loaded.weightsSha256());
                attrs.put("policy_iteration", ((Number) loaded.state().get("iteration")).longValue());
                attrs.put("policy_eval_return", ((Number) loaded.state().get("eval_return")).doubleValue());
                attrs.put("policy_git_commit", String.valueOf(loaded.config().get("git_commit")));
            } else {
                attrs.put("policy", "uniform random actions");
                attrs.put("policy_checkpoint_sha256", "none");
            }
            attrs.put("noise", noise == null ? (quality.equals("random") ? "none" : "policy gaussian") : String.valueOf(noise));
            attrs.put("seed", seed);
            Result r = collect(venv, loaded, low, high);
            attrs.put("episodes", (long) r.data.episodes().size());
            attrs.put("complete_episodes", (long) r.completeReturns.length);
            attrs.put("mean_episode_return", mean(r.completeReturns));
            attrs.put("std_episode_return", std(r.completeReturns));
            attrs.put("command_line", commandLine());
            attrs.put("dmpo_git_commit", io.dmpo.run.Provenance.gitCommit());
            attrs.put("format", "d4rl");
            if (loaded != null && quality.equals("medium")) {
                double best = bestEval(loaded.runDir());
                double frac = mean(r.completeReturns) / best;
                attrs.put("fraction_of_expert_eval", frac);
                System.err.printf(Locale.ROOT, "collect: medium data return %.1f = %.0f%% of the run's best deterministic evaluation %.1f (target 33-50%%)%s%n",
                        mean(r.completeReturns), 100 * frac, best, frac < 1.0 / 3 || frac > 0.5 ? "; pick another --checkpoint (see evals.jsonl)" : "");
            }
            D4rl.write(out, r.data, attrs);
            System.out.printf(Locale.ROOT, "collect %s (%s%s): %d transitions, %d episodes (%d complete), return %.1f ± %.1f, %.1f s -> %s (%.1f MB)%n",
                    task.name(), quality, loaded != null ? " " + loaded.checkpoint().getFileName() : "", r.data.size(),
                    r.data.episodes().size(), r.completeReturns.length, mean(r.completeReturns), std(r.completeReturns), r.seconds,
                    out, Files.size(out) / 1e6);
        } catch (IOException e) {
            throw new UserError(e.getMessage().startsWith(out.toString()) ? e.getMessage()
                    : out + ": cannot write: " + io.dmpo.io.AtomicFiles.describe(e), 1);
        }
    }

    /** Picks the checkpoint for a quality from the run's evaluation log. */
    static String choose(Path run, String quality) {
        Path runDir = Files.isRegularFile(run.resolve("state.json")) ? run.toAbsolutePath().getParent().getParent() : run;
        List<Map<String, Object>> evals;
        try {
            evals = ExpertRuns.evals(runDir);
        } catch (IOException | RuntimeException e) {
            throw new UserError(runDir.resolve("evals.jsonl") + ": unreadable: " + e.getMessage(), 2);
        }
        if (evals.isEmpty()) throw new UserError(runDir + ": no evaluated checkpoints (evals.jsonl is empty or missing)", 2);
        Map<String, Object> best = evals.get(0);
        for (Map<String, Object> e : evals) if (ret(e) > ret(best)) best = e;
        if (quality.equals("expert")) return (String) best.get("checkpoint");
        double b = ret(best);
        for (Map<String, Object> e : evals) {
            if (ret(e) >= b / 3 && ret(e) <= b / 2 && Files.isDirectory(runDir.resolve("checkpoints").resolve((String) e.get("checkpoint")))) {
                return (String) e.get("checkpoint");
            }
        }
        Map<String, Object> closest = null;
        for (Map<String, Object> e : evals) {
            if (closest == null || Math.abs(ret(e) - 0.4 * b) < Math.abs(ret(closest) - 0.4 * b)) closest = e;
        }
        return (String) closest.get("checkpoint");
    }

    static double bestEval(Path runDir) {
        try {
            return ExpertRuns.evals(runDir).stream().mapToDouble(CollectCommand::ret).max()
                    .orElseThrow(() -> new UserError(runDir + ": the expert run has no evaluations (evals.jsonl)", 2));
        } catch (IOException e) {
            throw new UserError(runDir + ": cannot read its evaluations: " + io.dmpo.io.AtomicFiles.describe(e), 2);
        }
    }

    private static double ret(Map<String, Object> e) {
        return ((Number) e.get("eval_return")).doubleValue();
    }

    /**
     * Instabilities tolerated before collection gives up when they outnumber finished episodes tenfold (dropped
     * episodes would otherwise repeat forever).
     */
    static final int MAX_INSTABILITIES = 100;

    record Result(ArrayDataset data, double[] completeReturns, double seconds) {}

    private Result collect(VectorEnv venv, ExpertRuns.Loaded loaded, double[] low, double[] high) {
        long t0 = System.nanoTime();
        int n = venv.numEnvs(), od = venv.obsDim(), ad = venv.actDim();
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] obs = venv.reset(seed);
        // per-env episode buffers (raw observations and clipped actions, as the env saw them)
        List<List<float[]>> epObs = new ArrayList<>(), epAct = new ArrayList<>(), epNext = new ArrayList<>();
        List<List<Float>> epRew = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            epObs.add(new ArrayList<>());
            epAct.add(new ArrayList<>());
            epNext.add(new ArrayList<>());
            epRew.add(new ArrayList<>());
        }
        float[] o = new float[transitions * od], a = new float[transitions * ad], r = new float[transitions];
        float[] next = noNext ? null : new float[transitions * od];
        boolean[] term = new boolean[transitions], tmo = new boolean[transitions];
        List<Double> complete = new ArrayList<>();
        int filled = 0;
        long steps = 0;
        Tensor x = Tensor.zeros(n, od), act = Tensor.zeros(n, ad), rec = Tensor.zeros(n, ad);
        float[] lp = new float[n];
        double[][] acts = new double[n][ad];
        while (filled < transitions) {
            if (loaded == null) {
                for (int i = 0; i < n; i++) for (int d = 0; d < ad; d++) acts[i][d] = low[d] + (high[d] - low[d]) * rng.nextDouble();
            } else {
                for (int i = 0; i < n; i++) Ppo.normalize(loaded.obsStats(), obs[i], loaded.obsClip(), x.data, i * od);
                if (noise == null) {
                    loaded.policy().sample(x, rng, act, rec, lp);
                } else {
                    loaded.policy().act(x, rng, act);
                }
                for (int i = 0; i < n; i++) {
                    for (int d = 0; d < ad; d++) {
                        if (!Float.isFinite(act.get(i, d))) { // would be rejected by the env; never clip it into data
                            throw new UserError(loaded.checkpoint() + ": the policy produced a non-finite action ("
                                    + act.get(i, d) + ") at collection step " + steps + ", env " + i + "; the checkpoint is broken", 1);
                        }
                        double v = act.get(i, d) + (noise != null && noise > 0 ? noise * Init.gaussian(rng) : 0);
                        acts[i][d] = Math.min(high[d], Math.max(low[d], v));
                    }
                }
            }
            VectorEnv.Step s = venv.step(acts);
            steps++;
            if (venv.instabilities() > MAX_INSTABILITIES && venv.instabilities() > 10L * (complete.size() + 1)) {
                throw new UserError("collect: " + venv.instabilities() + " episodes ended in a physics instability (last: "
                        + venv.lastInstability() + "); the policy drives the simulation unstable", 1);
            }
            for (int i = 0; i < n && filled < transitions; i++) {
                boolean done = s.terminated()[i] || s.truncated()[i];
                double[] nextObs = done ? s.finalObs()[i] : s.obs()[i];
                if (nextObs == null || nextObs.length == 0) { // env error: drop the broken episode
                    clear(epObs, epAct, epNext, epRew, i);
                    continue;
                }
                epObs.get(i).add(toFloat(obs[i]));
                epAct.get(i).add(toFloat(acts[i]));
                epNext.get(i).add(toFloat(nextObs));
                epRew.get(i).add((float) s.rewards()[i]);
                if (done) {
                    int len = epRew.get(i).size(), take = Math.min(len, transitions - filled);
                    double ret = 0;
                    for (int k = 0; k < take; k++) {
                        System.arraycopy(epObs.get(i).get(k), 0, o, (filled + k) * od, od);
                        System.arraycopy(epAct.get(i).get(k), 0, a, (filled + k) * ad, ad);
                        if (next != null) System.arraycopy(epNext.get(i).get(k), 0, next, (filled + k) * od, od);
                        r[filled + k] = epRew.get(i).get(k);
                        ret += r[filled + k];
                    }
                    if (take == len) {
                        term[filled + take - 1] = s.terminated()[i];
                        tmo[filled + take - 1] = s.truncated()[i] && !s.terminated()[i];
                        complete.add(ret);
                    } else {
                        tmo[filled + take - 1] = true; // cut to fit --transitions
                    }
                    filled += take;
                    clear(epObs, epAct, epNext, epRew, i);
                }
            }
            obs = s.obs();
        }
        Map<String, Object> none = Map.of();
        ArrayDataset d = new ArrayDataset(out.toString(), "d4rl", od, ad, o, a, r, term, tmo, next, none);
        return new Result(d, complete.stream().mapToDouble(Double::doubleValue).toArray(), (System.nanoTime() - t0) / 1e9);
    }

    private static void clear(List<List<float[]>> a, List<List<float[]>> b, List<List<float[]>> c, List<List<Float>> d, int i) {
        a.get(i).clear();
        b.get(i).clear();
        c.get(i).clear();
        d.get(i).clear();
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    static double mean(double[] x) {
        return Arrays.stream(x).average().orElse(Double.NaN);
    }

    static double std(double[] x) {
        double m = mean(x);
        return Math.sqrt(Arrays.stream(x).map(v -> (v - m) * (v - m)).average().orElse(Double.NaN));
    }
}
