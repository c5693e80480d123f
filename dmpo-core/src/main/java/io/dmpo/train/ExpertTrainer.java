package io.dmpo.train;

import io.dmpo.env.Env;
import io.dmpo.env.VectorEnv;
import io.dmpo.eval.Evaluator;
import io.dmpo.eval.MeanStderr;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Sequential;
import io.dmpo.rl.GaussianPolicy;
import io.dmpo.rl.Orthogonal;
import io.dmpo.rl.Ppo;
import io.dmpo.rl.PpoCheckpoint;
import io.dmpo.rl.TrainingDiverged;
import io.dmpo.run.Progress;
import io.dmpo.run.RunDirectory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Trains a Gaussian PPO demonstrator (the PPO of docs/algorithms.md, "Stage 2", {@link Ppo}) on a task: an MLP mean
 * (tanh) with a state-independent log σ, actions clipped to the range ({@link GaussianPolicy}); the critic is a plain
 * MLP of the same hidden sizes, orthogonal init — CleanRL's {@code ppo_continuous_action} shapes. Every
 * {@code eval_every} iterations (and at the end) the noise-free policy is evaluated by {@link Evaluator} on
 * {@code eval_episodes} episodes (seed = run seed + {@value #EVAL_SEED_OFFSET}) and a checkpoint is published with the
 * evaluation; the run ends with {@code summary.json}. A killed run resumes from its latest checkpoint.
 */
public final class ExpertTrainer {
    public static final long EVAL_SEED_OFFSET = 1_000_000_007L;

    /** What a run produced; evaluations are mean noise-free episode returns. */
    public record Result(Path runDir, long iterations, long envSteps, double lastEval, double bestEval, double sessionSeconds) {}

    private final ExpertConfig cfg;
    private final IntFunction<? extends Env> makeEnv;
    private final Map<String, Object> provenance;
    private final PrintStream log;

    /** {@code makeEnv}: the task's env, one per index; {@code provenance} joins the run's config.json. */
    public ExpertTrainer(ExpertConfig cfg, IntFunction<? extends Env> makeEnv, Map<String, Object> provenance, PrintStream log) {
        this.cfg = cfg;
        this.makeEnv = makeEnv;
        this.provenance = provenance;
        this.log = log;
    }

    private Map<String, Object> runConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", "dmpo-expert");
        c.putAll(cfg.resolved());
        c.putAll(provenance);
        return c;
    }

    /**
     * Trains into {@code dir} (new, or {@code resume} its latest checkpoint; a resumed run records its new budget).
     * Everything that can reject the inputs (model files, sizes, settings) runs before the directory is touched.
     */
    public Result run(Path dir, boolean resume) throws IOException {
        Parallel.setThreads(cfg.threads());
        long totalIters = cfg.iterations(), perIter = (long) cfg.ppo().rolloutSteps * cfg.envs();
        List<Env> evalEnvs = new ArrayList<>();
        try (VectorEnv venv = VectorEnv.of(cfg.envs(), cfg.threads(), makeEnv)) {
            for (int i = 0; i < cfg.evalEpisodes(); i++) evalEnvs.add(makeEnv.apply(i));
            GaussianPolicy policy = new GaussianPolicy(venv.obsDim(), venv.actDim(), cfg.hidden(), cfg.activation(),
                    venv.env(0).actionLow(), venv.env(0).actionHigh(), cfg.logStdInit()).initialize(cfg.seed(), cfg.logStdInit());
            int[] cdims = new int[cfg.hidden().length + 2];
            cdims[0] = venv.obsDim();
            System.arraycopy(cfg.hidden(), 0, cdims, 1, cfg.hidden().length);
            cdims[cdims.length - 1] = 1;
            Sequential critic = Nets.mlp("critic", cfg.activation(), cdims);
            Orthogonal.apply(critic, Math.sqrt(2), 1.0, cfg.seed() + 1);
            Ppo ppo = new Ppo(cfg.ppo(), policy, critic, venv, totalIters, cfg.seed());
            Evaluator.Actor noiseFree = Evaluator.noiseFree(policy, Ppo.ObservationMap.running(ppo.obsStats(), cfg.ppo().obsClip));

            RunDirectory run = resume ? RunDirectory.resume(dir) : RunDirectory.start(dir, runConfig());
            if (resume) { // the new budget; the recorded provenance (the commit that started the run) stays
                Map<String, Object> recorded = new LinkedHashMap<>(RunDirectory.readConfig(dir));
                recorded.put("steps", cfg.steps());
                recorded.put("threads", cfg.threads());
                AtomicFiles.writeString(dir.resolve(RunDirectory.CONFIG), Json.write(recorded) + "\n");
            }
            var from = run.resumedFrom();
            if (from.isPresent()) {
                Map<String, Object> st = PpoCheckpoint.load(from.get().path(), policy.params(), critic.params(),
                        ppo.actorOptimizer(), ppo.criticOptimizer(), ppo.obsStats(), ppo.rewardScaler());
                int it = ((Number) st.get("iteration")).intValue();
                ppo.reseed(cfg.seed(), it);
                ppo.setProgress(it, ((Number) st.get("env_steps")).longValue());
                log.printf(Locale.ROOT, "dmpo expert: resumed %s at iteration %d (%d env steps)%n", from.get().path(), it, ppo.envSteps());
            } else if (resume) {
                log.println("dmpo expert: no checkpoint in " + dir + " yet; starting from scratch");
            }
            log.printf(Locale.ROOT, "dmpo expert: %s, %d envs x %d steps/iteration, %d iterations, %d actor + %d critic params, run dir %s%n",
                    cfg.env(), cfg.envs(), cfg.ppo().rolloutSteps, totalIters, Nets.paramCount(policy.params()),
                    Nets.paramCount(critic.params()), dir);
            Progress bar = new Progress(totalIters, ppo.iteration(), log);
            // a resumed run's last evaluation so far is the recorded one (resuming a finished run evaluates nothing)
            double lastEval = run.evals().stream().reduce((x, y) -> y)
                    .map(e -> ((Number) e.getOrDefault("eval_return", Double.NaN)).doubleValue()).orElse(Double.NaN);
            double lastReturn = Double.NaN;
            long evalSeed = cfg.seed() + EVAL_SEED_OFFSET;
            try {
                while (ppo.iteration() < totalIters) {
                    Ppo.Stats s = ppo.iterate();
                    Map<String, Object> m = s.toMap();
                    boolean evalNow = s.iteration() % cfg.evalEvery() == 0 || s.iteration() == totalIters;
                    Evaluator.Episodes episodes = null;
                    if (evalNow) {
                        episodes = Evaluator.run(noiseFree, evalEnvs, cfg.evalEpisodes(), evalSeed, "the expert at iteration " + s.iteration());
                        lastEval = episodes.mean();
                        m.put("eval_return", lastEval);
                        m.put("eval_return_stderr", episodes.stderr());
                        m.put("eval_seed", evalSeed);
                    }
                    run.appendMetrics(m);
                    if (evalNow) publish(run, s, episodes, bar, policy, critic, ppo);
                    if (s.episodes() > 0) lastReturn = s.episodeReturn();
                    long done = s.iteration() - run.startIteration();
                    bar.update(s.iteration(), String.format(Locale.ROOT,
                            "%.2fM steps | ret %7.1f | eval %7.1f (best %7.1f) | %s clip %.3f ev %.2f | %.0f sps",
                            s.envSteps() / 1e6, lastReturn, lastEval, run.bestScore(), s.klText(), s.clipFraction(),
                            s.explainedVariance(), done * (double) perIter / Math.max(1e-9, bar.elapsed())), evalNow);
                }
            } catch (TrainingDiverged e) {
                bar.finish();
                throw new TrainingDiverged(e.getMessage() + "; stopped: " + run.latest()
                        .map(c -> "the last good checkpoint is " + c.path()).orElse("no checkpoint was saved yet"));
            }
            bar.finish();
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("iterations", ppo.iteration());
            summary.put("env_steps", ppo.envSteps());
            summary.put("last_eval_return", lastEval);
            summary.put("best_eval_return", run.bestScore());
            summary.put("best_checkpoint", run.best().map(c -> c.path().getFileName().toString()).orElse(null));
            summary.put("train_seconds", run.metrics().stream()
                    .mapToDouble(x -> ((Number) x.getOrDefault("rollout_seconds", 0)).doubleValue()
                            + ((Number) x.getOrDefault("update_seconds", 0)).doubleValue()).sum());
            AtomicFiles.writeString(dir.resolve("summary.json"), Json.write(summary) + "\n");
            return new Result(dir, ppo.iteration(), ppo.envSteps(), lastEval, run.bestScore(), bar.elapsed());
        } finally {
            for (Env e : evalEnvs) e.close();
            RunDirectory.release(dir);
        }
    }

    private void publish(RunDirectory run, Ppo.Stats s, Evaluator.Episodes episodes, Progress bar, GaussianPolicy policy,
                         Sequential critic, Ppo ppo) throws IOException {
        MeanStderr r = episodes.summary();
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("iteration", s.iteration());
        state.put("env_steps", s.envSteps());
        state.put("eval_return", r.mean());
        state.put("eval_return_stderr", r.stderr());
        state.put("seed", cfg.seed());
        state.put("env", cfg.env());
        state.put("git_commit", provenance.get("git_commit"));
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("env_steps", s.envSteps());
        ev.put("eval_return", r.mean());
        ev.put("eval_return_stderr", r.stderr());
        ev.put("eval_returns", Arrays.stream(episodes.returns()).boxed().toList());
        ev.put("wall_seconds", bar.elapsed()); // since this session (start or resume) began
        run.publish(s.iteration(), r.mean(), ev, tmp -> PpoCheckpoint.writeInto(tmp, policy.params(), critic.params(),
                ppo.actorOptimizer(), ppo.criticOptimizer(), ppo.obsStats(), ppo.rewardScaler(), state));
    }
}
