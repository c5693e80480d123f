package io.dmpo.cli;

import io.dmpo.data.D4rl;
import io.dmpo.env.VectorEnv;
import io.dmpo.eval.MeanStderr;
import io.dmpo.mujoco.Tasks;
import io.dmpo.train.Collector;
import io.dmpo.train.ExpertRuns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dmpo collect}: rolls out a demonstrator ({@link Collector}) and writes a D4RL-layout HDF5 dataset
 * (docs/environments.md, "Data layouts").
 *
 * <p>Qualities ({@link ExpertRuns#checkpointFor}): {@code expert} = the run's best-evaluated checkpoint; {@code medium}
 * = the earliest checkpoint whose noise-free evaluation is within [1/3, 1/2] of the best. Sampled returns are usually
 * below noise-free ones, so the command reports the collected data's return as a fraction of the best evaluation and
 * says when it falls outside 1/3–1/2 (then pass {@code --checkpoint}); {@code random} = uniform actions.
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
            ExpertRuns.Loaded loaded = null;
            Map<String, Object> attrs = new LinkedHashMap<>();
            attrs.put("env", task.name());
            attrs.put("quality", quality);
            if (!quality.equals("random")) {
                Path runDir = ExpertRuns.runDirOf(policy);
                String trainedOn = ExpertRuns.config(runDir).env();
                if (!task.name().equals(trainedOn)) {
                    throw new UserError(policy + ": the expert was trained on '" + trainedOn + "', not '" + task.name() + "'", 2);
                }
                String name = checkpoint != null ? checkpoint : ExpertRuns.checkpointFor(runDir, quality);
                loaded = ExpertRuns.load(policy, name, venv.obsDim(), venv.actDim(), venv.env(0).actionLow(), venv.env(0).actionHigh());
                attrs.put("policy", loaded.checkpoint().toString());
                attrs.put("policy_checkpoint_sha256", loaded.weightsSha256());
                attrs.put("policy_iteration", loaded.iteration());
                attrs.put("policy_eval_return", loaded.evalReturn());
                // the session that wrote the checkpoint (a resumed run's checkpoints may come from several commits)
                Object commit = loaded.state().containsKey("git_commit") ? loaded.state().get("git_commit") : loaded.runConfig().get("git_commit");
                attrs.put("policy_git_commit", String.valueOf(commit));
            } else {
                attrs.put("policy", "uniform random actions");
                attrs.put("policy_checkpoint_sha256", "none");
            }
            attrs.put("noise", noise == null ? (quality.equals("random") ? "none" : "policy gaussian") : String.valueOf(noise));
            attrs.put("seed", seed);
            Collector.Result r = Collector.collect(venv, loaded, noise, seed, transitions, !noNext, out.toString());
            MeanStderr ret = MeanStderr.of(r.completeReturns());
            attrs.put("episodes", (long) r.data().episodes().size());
            attrs.put("complete_episodes", (long) r.completeReturns().length);
            attrs.put("mean_episode_return", ret.mean());
            attrs.put("std_episode_return", ret.std());
            attrs.put("command_line", commandLine());
            attrs.put("dmpo_git_commit", io.dmpo.run.Provenance.gitCommit());
            attrs.put("format", "d4rl");
            if (loaded != null && quality.equals("medium")) {
                double best = ExpertRuns.bestEval(loaded.runDir());
                double frac = ret.mean() / best;
                attrs.put("fraction_of_expert_eval", frac);
                System.err.printf(Locale.ROOT, "collect: medium data return %.1f = %.0f%% of the run's best deterministic evaluation %.1f (target 33-50%%)%s%n",
                        ret.mean(), 100 * frac, best, frac < 1.0 / 3 || frac > 0.5 ? "; pick another --checkpoint (see evals.jsonl)" : "");
            }
            D4rl.write(out, r.data(), attrs);
            System.out.printf(Locale.ROOT, "collect %s (%s%s): %d transitions, %d episodes (%d complete), return %.1f ± %.1f, %.1f s -> %s (%.1f MB)%n",
                    task.name(), quality, loaded != null ? " " + loaded.checkpoint().getFileName() : "", r.data().size(),
                    r.data().episodes().size(), r.completeReturns().length, ret.mean(), ret.std(), r.seconds(),
                    out, Files.size(out) / 1e6);
        } catch (IOException e) {
            throw new UserError(e.getMessage() != null && e.getMessage().startsWith(out.toString()) ? e.getMessage()
                    : out + ": cannot write: " + io.dmpo.io.AtomicFiles.describe(e), 1);
        }
    }
}
