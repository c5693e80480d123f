package io.dmpo.cli;

import io.dmpo.io.AtomicFiles;
import io.dmpo.mujoco.Tasks;
import io.dmpo.run.Provenance;
import io.dmpo.train.ConfigMap;
import io.dmpo.train.ExpertConfig;
import io.dmpo.train.ExpertRuns;
import io.dmpo.train.ExpertTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dmpo expert}: trains a Gaussian PPO demonstrator ({@link ExpertTrainer}) on a task. The options are the
 * settings of {@link ExpertConfig} (their defaults are its defaults); {@code --set ppo.<key>=value} reaches every
 * other PPO setting. A resumed run keeps its own settings; only the budget ({@code --steps}) and {@code --threads}
 * change.
 */
@Command(name = "expert", mixinStandardHelpOptions = true,
        description = "Train a Gaussian PPO demonstrator; checkpoints, evaluations and metrics go to the run directory.")
public final class ExpertCommand implements Runnable {
    private static final ExpertConfig D = ExpertConfig.DEFAULTS;

    @Option(names = "--env", required = true, description = "task name (see 'env list')")
    String env;
    @Option(names = "--steps", description = "total env steps (default: ${DEFAULT-VALUE})")
    long steps = D.steps();
    @Option(names = "--envs", description = "parallel envs (default: ${DEFAULT-VALUE})")
    int envs = D.envs();
    @Option(names = "--threads", description = "threads stepping the envs and running the network (default: ${DEFAULT-VALUE})")
    int threads = D.threads();
    @Option(names = "--seed", description = "seed (default: ${DEFAULT-VALUE})")
    long seed = D.seed();
    @Option(names = "--out", description = "run directory (default: runs/expert-<env>-s<seed>)")
    Path out;
    @Option(names = "--resume", description = "continue from the run directory's latest checkpoint")
    boolean resume;
    @Option(names = "--rollout", description = "steps per env per iteration, ppo.rollout_steps (default: ${DEFAULT-VALUE})")
    int rollout = D.ppo().rolloutSteps;
    @Option(names = "--minibatch", description = "ppo.minibatch_size (default: ${DEFAULT-VALUE})")
    int minibatch = D.ppo().minibatchSize;
    @Option(names = "--epochs", description = "epochs per iteration, ppo.epochs (default: ${DEFAULT-VALUE})")
    int epochs = D.ppo().epochs;
    @Option(names = "--lr", description = "learning rate, actor and critic (default: ${DEFAULT-VALUE})")
    double lr = D.ppo().actorLr;
    @Option(names = "--hidden", split = ",", description = "hidden sizes of actor and critic (default: 64,64)")
    int[] hidden = D.hidden();
    @Option(names = "--ent", description = "ppo.entropy_coef (default: ${DEFAULT-VALUE})")
    double ent = D.ppo().entropyCoef;
    @Option(names = "--target-kl", description = "approx-KL early stop, ppo.target_kl, 0 = off (default: ${DEFAULT-VALUE})")
    double targetKl = D.ppo().targetKl;
    @Option(names = "--log-std-init", description = "initial log σ of the Gaussian policy (default: ${DEFAULT-VALUE})")
    double logStdInit = D.logStdInit();
    @Option(names = "--gamma", description = "discount γ (default: ${DEFAULT-VALUE})")
    double gamma = D.ppo().gamma;
    @Option(names = "--gae-lambda", description = "GAE λ (default: ${DEFAULT-VALUE})")
    double gaeLambda = D.ppo().gaeLambda;
    @Option(names = "--eval-every", description = "iterations between noise-free evaluations + checkpoints (default: ${DEFAULT-VALUE})")
    int evalEvery = D.evalEvery();
    @Option(names = "--eval-episodes", description = "episodes per evaluation (default: ${DEFAULT-VALUE})")
    int evalEpisodes = D.evalEpisodes();
    @Option(names = "--set", description = "override any setting: key.path=value (e.g. ppo.clip=0.1; repeatable)")
    List<String> overrides = new ArrayList<>();

    /** The options as a configuration in {@link ExpertConfig}'s layout. */
    private Map<String, Object> options(String task) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("env", task);
        c.put("seed", seed);
        c.put("steps", steps);
        c.put("envs", envs);
        c.put("threads", threads);
        c.put("hidden", Arrays.stream(hidden).boxed().toList());
        c.put("log_std_init", logStdInit);
        c.put("eval_every", evalEvery);
        c.put("eval_episodes", evalEpisodes);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("rollout_steps", rollout);
        p.put("minibatch_size", minibatch);
        p.put("epochs", epochs);
        p.put("actor_lr", lr);
        p.put("critic_lr", lr);
        p.put("entropy_coef", ent);
        p.put("target_kl", targetKl);
        p.put("gamma", gamma);
        p.put("gae_lambda", gaeLambda);
        c.put("ppo", p);
        for (String o : overrides) ConfigMap.override(c, o);
        return c;
    }

    @Override
    public void run() {
        String task = EnvCommand.userErrors(() -> Tasks.of(env)).name();
        // the options' own ranges, named as typed (the config's checks name its keys)
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
        Path dir = out != null ? out : Path.of("runs", "expert-" + task + "-s" + seed);
        ExpertConfig cfg;
        try {
            if (resume) {
                if (!overrides.isEmpty()) throw new UserError("--set cannot change a run being resumed (only --steps and --threads)", 2);
                cfg = ExpertRuns.config(dir).withBudget(steps, threads);
                if (!task.equals(cfg.env())) throw new UserError(dir + ": run is for env '" + cfg.env() + "', not '" + task + "'", 2);
            } else {
                cfg = ExpertConfig.from(new ConfigMap(options(task), "dmpo expert"));
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("git_commit", Provenance.gitCommit());
        provenance.put("java", System.getProperty("java.version"));
        try {
            ExpertTrainer.Result r = new ExpertTrainer(cfg, i -> Tasks.of(task).make(), provenance, System.err).run(dir, resume);
            System.out.printf(Locale.ROOT, "expert %s: %d env steps, last eval %.1f, best eval %.1f, wall %.0f s (this session), run dir %s%n",
                    task, r.envSteps(), r.lastEval(), r.bestEval(), r.sessionSeconds(), dir);
        } catch (IOException e) {
            throw new UserError(dir + ": " + AtomicFiles.describe(e), 1);
        }
    }
}
