package io.dmpo.cli;

import io.dmpo.env.VectorEnv;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.mujoco.Tasks;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import io.dmpo.rl.GaussianPolicy;
import io.dmpo.rl.Orthogonal;
import io.dmpo.rl.Ppo;
import io.dmpo.rl.PpoCheckpoint;
import io.dmpo.rl.PpoConfig;
import io.dmpo.rl.TrainingDiverged;
import io.dmpo.run.Progress;
import io.dmpo.run.Provenance;
import io.dmpo.run.RunDirectory;
import io.dmpo.run.RunException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dmpo expert}: trains a Gaussian PPO demonstrator (the PPO machinery of docs/algorithms.md, "Stage 2", {@link Ppo}) on a MuJoCo task.
 * Policy: MLP mean (tanh) + state-independent log σ, actions clipped to the range ({@link GaussianPolicy}); critic:
 * a plain MLP of the same hidden sizes (tanh), orthogonal init — CleanRL's ppo_continuous_action shapes.
 */
@Command(name = "expert", mixinStandardHelpOptions = true,
        description = "Train a Gaussian PPO demonstrator; checkpoints, evaluations and metrics go to the run directory.")
public final class ExpertCommand implements Runnable {
    @Option(names = "--env", required = true, description = "task name (see 'env list')")
    String env;
    @Option(names = "--steps", description = "total env steps (default: ${DEFAULT-VALUE})")
    long steps = 3_000_000;
    @Option(names = "--envs", description = "parallel envs (default: ${DEFAULT-VALUE})")
    int envs = 8;
    @Option(names = "--threads", description = "threads stepping the envs and running the network (default: ${DEFAULT-VALUE})")
    int threads = 1;
    @Option(names = "--seed", description = "seed (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--out", description = "run directory (default: runs/expert-<env>-s<seed>)")
    Path out;
    @Option(names = "--resume", description = "continue from the run directory's latest checkpoint")
    boolean resume;
    @Option(names = "--rollout", description = "steps per env per iteration (default: ${DEFAULT-VALUE})")
    int rollout = 256;
    @Option(names = "--minibatch", description = "minibatch size (default: ${DEFAULT-VALUE})")
    int minibatch = 64;
    @Option(names = "--epochs", description = "epochs per iteration (default: ${DEFAULT-VALUE})")
    int epochs = 10;
    @Option(names = "--lr", description = "learning rate, actor and critic (default: ${DEFAULT-VALUE})")
    double lr = 3e-4;
    @Option(names = "--hidden", split = ",", description = "hidden sizes of actor and critic (default: 64,64)")
    int[] hidden = {64, 64};
    @Option(names = "--ent", description = "entropy coefficient (default: ${DEFAULT-VALUE})")
    double ent = 0.0;
    @Option(names = "--target-kl", description = "approx-KL early stop, 0 = off (default: ${DEFAULT-VALUE})")
    double targetKl = 0.0;
    @Option(names = "--log-std-init", description = "initial log σ of the Gaussian policy (default: ${DEFAULT-VALUE})")
    double logStdInit = 0.0;
    @Option(names = "--gamma", description = "discount γ (default: ${DEFAULT-VALUE})")
    double gamma = 0.99;
    @Option(names = "--gae-lambda", description = "GAE λ (default: ${DEFAULT-VALUE})")
    double gaeLambda = 0.95;
    @Option(names = "--eval-every", description = "iterations between deterministic evaluations + checkpoints (default: ${DEFAULT-VALUE})")
    int evalEvery = 20;
    @Option(names = "--eval-episodes", description = "episodes per evaluation (default: ${DEFAULT-VALUE})")
    int evalEpisodes = 5;

    static final long EVAL_SEED_OFFSET = 1_000_000_007L;

    @Override
    public void run() {
        Tasks.Task t = EnvCommand.userErrors(() -> Tasks.of(env));
        Check.atLeast("--steps", steps, 1);
        Check.atLeast("--envs", envs, 1);
        Check.atLeast("--threads", threads, 1);
        Check.atLeast("--rollout", rollout, 1);
        Check.atLeast("--minibatch", minibatch, 8);
        Check.atLeast("--epochs", epochs, 1);
        Check.atLeast("--eval-every", evalEvery, 1);
        Check.atLeast("--eval-episodes", evalEpisodes, 1);
        Check.range("--lr", lr, 0, 1, true);
        Check.range("--gamma", gamma, 0, 1, false);
        Check.range("--gae-lambda", gaeLambda, 0, 1, false);
        Check.range("--ent", ent, 0, Double.MAX_VALUE, false);
        Check.range("--target-kl", targetKl, 0, Double.MAX_VALUE, false);
        Check.range("--log-std-init", logStdInit, -20, 5, false);
        for (int h : hidden) Check.atLeast("--hidden", h, 1);
        if ((long) rollout * envs < minibatch) {
            throw new UserError("--minibatch " + minibatch + " exceeds one rollout (--rollout x --envs = " + (long) rollout * envs + ")", 2);
        }
        String task = t.name();
        Path dir = out != null ? out : Path.of("runs", "expert-" + task + "-s" + seed);
        try {
            train(task, dir);
        } catch (IOException e) {
            throw new UserError(dir + ": " + AtomicFiles.describe(e), 1);
        } catch (RunException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }

    private Map<String, Object> newConfig(String task, PpoConfig ppo) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", "dmpo-expert");
        c.put("env", task);
        c.put("seed", seed);
        c.put("steps", steps);
        c.put("envs", envs);
        c.put("threads", threads);
        c.put("hidden", Arrays.stream(hidden).boxed().toList());
        c.put("activation", Pointwise.TANH.name());
        c.put("log_std_init", logStdInit);
        c.put("eval_every", evalEvery);
        c.put("eval_episodes", evalEpisodes);
        c.put("ppo", ppo.toMap());
        c.put("git_commit", Provenance.gitCommit());
        c.put("java", System.getProperty("java.version"));
        return c;
    }

    @SuppressWarnings("unchecked")
    private void train(String task, Path dir) throws IOException {
        Map<String, Object> cfg;
        if (resume) {
            cfg = RunDirectory.readConfig(dir);
            if (!task.equals(cfg.get("env"))) throw new UserError(dir + ": run is for env '" + cfg.get("env") + "', not '" + task + "'", 2);
            // the run's own settings win, except the budget and thread count
            seed = ((Number) cfg.get("seed")).longValue();
            envs = ((Number) cfg.get("envs")).intValue();
            hidden = ExpertRuns.ints(cfg.get("hidden"));
            evalEvery = ((Number) cfg.get("eval_every")).intValue();
            evalEpisodes = ((Number) cfg.get("eval_episodes")).intValue();
            logStdInit = ((Number) cfg.get("log_std_init")).doubleValue();
            cfg.put("steps", steps);
        } else {
            PpoConfig p = new PpoConfig();
            p.rolloutSteps = rollout;
            p.minibatchSize = minibatch;
            p.epochs = epochs;
            p.actorLr = lr;
            p.criticLr = lr;
            p.entropyCoef = ent;
            p.targetKl = targetKl;
            p.gamma = gamma;
            p.gaeLambda = gaeLambda;
            cfg = newConfig(task, p);
        }
        PpoConfig pc;
        try {
            pc = PpoConfig.fromMap((Map<String, Object>) cfg.get("ppo")).validate();
        } catch (IllegalArgumentException e) {
            throw new UserError(dir + ": PPO settings: " + e.getMessage(), 2);
        }
        Parallel.setThreads(threads);

        long perIter = (long) pc.rolloutSteps * envs;
        long totalIters = Math.max(1, (steps + perIter - 1) / perIter);
        // everything that can reject the inputs (model files, dims, settings) runs before the run directory is touched
        try (VectorEnv venv = VectorEnv.of(envs, threads, i -> Tasks.of(task).make());
             VectorEnv evalEnv = VectorEnv.of(evalEpisodes, threads, i -> Tasks.of(task).make())) {
            GaussianPolicy policy = new GaussianPolicy(venv.obsDim(), venv.actDim(), hidden, Pointwise.TANH,
                    venv.env(0).actionLow(), venv.env(0).actionHigh(), logStdInit).initialize(seed, logStdInit);
            int[] cdims = new int[hidden.length + 2];
            cdims[0] = venv.obsDim();
            System.arraycopy(hidden, 0, cdims, 1, hidden.length);
            cdims[cdims.length - 1] = 1;
            Sequential critic = Nets.mlp("critic", Pointwise.TANH, cdims);
            Orthogonal.apply(critic, Math.sqrt(2), 1.0, seed + 1);
            Ppo ppo = new Ppo(pc, policy, critic, venv, totalIters, seed);

            RunDirectory run = resume ? RunDirectory.resume(dir) : RunDirectory.start(dir, cfg);
            if (resume) AtomicFiles.writeString(dir.resolve(RunDirectory.CONFIG), Json.write(cfg) + "\n"); // new budget
            var from = run.resumedFrom();
            if (from.isPresent()) {
                Map<String, Object> st = PpoCheckpoint.load(from.get().path(), policy.params(), critic.params(),
                        ppo.actorOptimizer(), ppo.criticOptimizer(), ppo.obsStats(), ppo.rewardScaler());
                int it = ((Number) st.get("iteration")).intValue();
                ppo.reseed(seed, it);
                ppo.setProgress(it, ((Number) st.get("env_steps")).longValue());
                System.err.printf(Locale.ROOT, "dmpo expert: resumed %s at iteration %d (%d env steps)%n", from.get().path(), it, ppo.envSteps());
            } else if (resume) {
                System.err.println("dmpo expert: no checkpoint in " + dir + " yet; starting from scratch");
            }
            System.err.printf(Locale.ROOT, "dmpo expert: %s, %d envs x %d steps/iteration, %d iterations, %d actor + %d critic params, run dir %s%n",
                    task, envs, pc.rolloutSteps, totalIters, Nets.paramCount(policy.params()), Nets.paramCount(critic.params()), dir);
            Progress bar = new Progress(totalIters, ppo.iteration());
            double lastEval = Double.NaN, lastReturn = Double.NaN;
            try {
                while (ppo.iteration() < totalIters) {
                    Ppo.Stats s = ppo.iterate();
                    Map<String, Object> m = s.toMap();
                    boolean evalNow = s.iteration() % evalEvery == 0 || s.iteration() == totalIters;
                    double[] r = null;
                    if (evalNow) {
                        r = Ppo.evaluate(policy, ppo.obsStats(), pc.obsClip, evalEnv, seed + EVAL_SEED_OFFSET);
                        lastEval = Arrays.stream(r).average().orElse(Double.NaN);
                        m.put("eval_return", lastEval);
                    }
                    run.appendMetrics(m);
                    if (evalNow) {
                        double mean = lastEval;
                        double std = Math.sqrt(Arrays.stream(r).map(x -> (x - mean) * (x - mean)).average().orElse(0));
                        Map<String, Object> extra = new LinkedHashMap<>();
                        extra.put("iteration", s.iteration());
                        extra.put("env_steps", s.envSteps());
                        extra.put("eval_return", mean);
                        extra.put("eval_return_std", std);
                        extra.put("seed", seed);
                        extra.put("env", task);
                        extra.put("git_commit", cfg.get("git_commit"));
                        Map<String, Object> ev = new LinkedHashMap<>();
                        ev.put("env_steps", s.envSteps());
                        ev.put("eval_return", mean);
                        ev.put("eval_return_std", std);
                        ev.put("eval_returns", Arrays.stream(r).boxed().toList());
                        ev.put("wall_seconds", bar.elapsed()); // since this session (start or resume) began
                        run.publish(s.iteration(), mean, ev, tmp -> PpoCheckpoint.writeInto(tmp, policy.params(),
                                critic.params(), ppo.actorOptimizer(), ppo.criticOptimizer(), ppo.obsStats(),
                                ppo.rewardScaler(), extra));
                    }
                    if (s.episodes() > 0) lastReturn = s.episodeReturn();
                    long done = s.iteration() - run.startIteration();
                    bar.update(s.iteration(), String.format(Locale.ROOT,
                            "%.2fM steps | ret %7.1f | eval %7.1f (best %7.1f) | kl %.4f clip %.3f ev %.2f | %.0f sps",
                            s.envSteps() / 1e6, lastReturn, lastEval, run.bestScore(), s.approxKl(), s.clipFraction(),
                            s.explainedVariance(), done * (double) perIter / Math.max(1e-9, bar.elapsed())), evalNow);
                }
            } catch (TrainingDiverged e) {
                bar.finish();
                throw new UserError(e.getMessage() + "; stopped: " + run.latest()
                        .map(c -> "the last good checkpoint is " + c.path()).orElse("no checkpoint was saved yet"), 1);
            }
            bar.finish();
            System.out.printf(Locale.ROOT, "expert %s: %d env steps, last eval %.1f, best eval %.1f, wall %.0f s (this session), run dir %s%n",
                    task, ppo.envSteps(), lastEval, run.bestScore(), bar.elapsed(), dir);
        }
    }
}
