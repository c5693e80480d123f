package io.dmpo.train;

import io.dmpo.env.ActionChunking;
import io.dmpo.env.Env;
import io.dmpo.env.SuccessReward;
import io.dmpo.env.VectorEnv;
import io.dmpo.eval.Evaluator;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Param;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.PolicyFile;
import io.dmpo.rl.BehaviorCloning;
import io.dmpo.rl.NoisyChainPolicy;
import io.dmpo.rl.Orthogonal;
import io.dmpo.rl.Ppo;
import io.dmpo.rl.PpoCheckpoint;
import io.dmpo.run.Progress;
import io.dmpo.run.RunDirectory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Stage-2 fine-tuning (docs/algorithms.md, "Stage 2"): the pre-trained flow policy becomes a {@link NoisyChainPolicy} of K steps, a fresh
 * critic joins it, and {@link Ppo} runs over action chunks ({@link ActionChunking}) with observations min–max
 * normalized by the pre-training statistics; {@link BehaviorCloning} against a frozen copy of the pre-trained actor is
 * the extra loss. Every {@code eval.every} iterations (and at the end): a noise-free evaluation of the policy file about
 * to be published (by {@link Evaluator}, exactly as {@code dmpo eval} runs it: the metrics line records its seed), a
 * metrics line and a checkpoint (PPO state + the fine-tuned {@code policy.safetensors}). Iteration 0 evaluates the
 * pre-trained policy the same way, so the curve starts where Stage 1 ended. The run directory keeps a copy of the initial policy
 * ({@code init_policy.safetensors}: the BC reference), so a resumed run needs nothing outside it.
 *
 * <p>Only {@code best} and the {@value #KEPT_CHECKPOINTS} newest checkpoints are kept. {@code policy.safetensors} of
 * the run directory is the LAST evaluated policy (the result of the budget), not the best: picking the maximum of
 * noisy evaluations would report an optimistic number. {@code best} still points to the best evaluation's checkpoint.
 */
public final class Finetuner {
    public static final String POLICY = "policy.safetensors", INIT_POLICY = "init_policy.safetensors", PPO_STATE = "ppo";
    static final long EVAL_SEED_OFFSET = 1_000_000_007L;
    /** Checkpoints kept besides {@code best} (each ~10 MB for the Hopper state actor: PPO state + policy file). */
    static final int KEPT_CHECKPOINTS = 2;

    /** What a run produced (evaluation returns are means over {@code eval.episodes} noise-free episodes). */
    public record Result(Path policy, double initialEvalReturn, double finalEvalReturn, double bestEvalReturn, int iterations,
                         long envSteps, double trainSeconds, boolean stoppedByBudget) {}

    private final FinetuneConfig cfg;
    private final FlowPolicy init;
    private final Function<SuccessReward, ? extends Env> makeEnv;
    private final Map<String, Object> provenance;
    private final PrintStream log;
    private final boolean successReward;

    /** As below, for a task whose reward is not a sparse success. */
    public Finetuner(FinetuneConfig cfg, FlowPolicy init, Function<SuccessReward, ? extends Env> makeEnv, Map<String, Object> provenance,
                     PrintStream log) {
        this(cfg, init, makeEnv, provenance, log, false);
    }

    /**
     * {@code init}: the pre-trained policy (its actor is copied; the copy is trained, the original is the frozen BC
     * reference); {@code makeEnv}: a new env of the task paying the given reward — the training envs (wrapped here in
     * action chunking) pay the config's {@code success_reward}, the evaluation envs {@link SuccessReward#FIRST};
     * {@code successReward}: the task's reward is a sparse success, so every evaluation also records its success rate
     * ± stderr ({@code eval_success_rate}: the mean return of its first-success episodes) and every iteration the
     * fraction of its finished rollout episodes that succeeded.
     */
    public Finetuner(FinetuneConfig cfg, FlowPolicy init, Function<SuccessReward, ? extends Env> makeEnv, Map<String, Object> provenance,
                     PrintStream log, boolean successReward) {
        this.successReward = successReward;
        if (init.spec().condSteps() != 1) throw new IllegalArgumentException("fine-tuning supports cond_steps 1, the policy has " + init.spec().condSteps());
        this.cfg = cfg;
        this.init = init;
        this.makeEnv = makeEnv;
        this.provenance = provenance;
        this.log = log;
    }

    /** A new actor of {@code s}'s architecture holding a copy of {@code source}'s parameters. */
    private static MeanFlowActor copyOf(FlowPolicy.Spec s, MeanFlowActor source) {
        MeanFlowActor a = s.architecture().build(s.obsDim() * s.condSteps(), s.actDim() * s.horizon());
        List<Param> to = a.params(), from = source.params();
        for (int i = 0; i < to.size(); i++) System.arraycopy(from.get(i).value, 0, to.get(i).value, 0, to.get(i).size());
        return a;
    }

    private Env chunked(int i) {
        FlowPolicy.Spec s = init.spec();
        return new ActionChunking(makeEnv.apply(cfg.successReward()), s.horizon(), s.actSteps());
    }

    public Result run(Path dir, boolean resume) throws IOException {
        Parallel.setThreads(cfg.threads());
        FlowPolicy.Spec spec = init.spec();
        MeanFlowActor actor = copyOf(spec, init.actor());
        NoisyChainPolicy chain = new NoisyChainPolicy(actor, cfg.chainSteps(), cfg.noise(), cfg.normalization(), init.actNormalizer(), cfg.seed());
        int[] dims = new int[cfg.criticHidden().length + 2];
        dims[0] = spec.obsDim();
        System.arraycopy(cfg.criticHidden(), 0, dims, 1, cfg.criticHidden().length);
        dims[dims.length - 1] = 1;
        Sequential critic = Nets.mlp("critic", Pointwise.MISH, dims);
        Orthogonal.apply(critic, Math.sqrt(2), 1.0, cfg.seed() + 1);
        int threads = Math.min(cfg.threads(), cfg.envs());
        List<Env> evalEnvs = new ArrayList<>();
        try (VectorEnv envs = VectorEnv.of(cfg.envs(), threads, this::chunked)) {
            // the evaluator executes the chunks; first-success envs end a solved episode early and count the same successes
            for (int i = 0; i < cfg.evalEpisodes(); i++) evalEnvs.add(makeEnv.apply(SuccessReward.FIRST));
            io.dmpo.env.ObservationSpec envObs = envs.env(0).observationSpec();
            if (!envObs.equals(spec.observation()) || envs.actDim() != chain.actDim()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "the policy (observation %s, chunk %d) does not fit env '%s' "
                        + "(observation %s, chunk %d)", spec.observation(), chain.actDim(), cfg.env(), envObs, envs.actDim()));
            }
            Ppo ppo = new Ppo(cfg.ppo(), chain, critic, envs, cfg.iterations(), cfg.seed());
            ppo.useFixedObservationNormalizer(init.obsNormalizer(), spec.observation());
            boolean bcOn = cfg.bc().c0() > 0 || cfg.bc().c1() > 0;
            if (bcOn) ppo.setExtraLoss(new BehaviorCloning(chain, init.actor(), cfg.bc()));

            RunDirectory run = resume ? RunDirectory.resume(dir) : RunDirectory.start(dir, runConfig());
            if (resume) acceptRaisedIterations(run);
            if (!resume || !Files.exists(dir.resolve(INIT_POLICY))) PolicyFile.save(dir.resolve(INIT_POLICY), init);
            double initialEval = Double.NaN;
            if (run.resumedFrom().isPresent()) {
                Map<String, Object> st = PpoCheckpoint.load(run.resumedFrom().get().path().resolve(PPO_STATE), chain.params(),
                        critic.params(), ppo.actorOptimizer(), ppo.criticOptimizer(), null, ppo.rewardScaler());
                int it = ((Number) st.get("iteration")).intValue();
                ppo.reseed(cfg.seed(), it);
                ppo.setProgress(it, ((Number) st.get("env_steps")).longValue());
                log.printf(Locale.ROOT, "dmpo finetune: resumed %s at iteration %d (%d env steps)%n", run.resumedFrom().get().path(), it, ppo.envSteps());
            }
            for (Map<String, Object> m : run.metrics()) { // a resumed run keeps its first evaluation
                if (((Number) m.get("iteration")).intValue() == 0 && m.get("eval_return") instanceof Number r) initialEval = r.doubleValue();
            }
            log.printf(Locale.ROOT, "dmpo finetune: %s K=%d on %s, %d envs x %d chunks (%d env steps each)/iteration, %d iterations%s, "
                            + "%d actor + %d noise + %d critic params, BC %s, run dir %s%n", spec.algorithm(), cfg.chainSteps(), cfg.env(),
                    cfg.envs(), cfg.ppo().rolloutSteps, spec.actSteps(), cfg.iterations(),
                    cfg.budgetMinutes() > 0 ? String.format(Locale.ROOT, " (at most %.1f min)", cfg.budgetMinutes()) : "",
                    actor.paramCount(), Nets.paramCount(chain.noiseParams()), Nets.paramCount(critic.params()),
                    bcOn ? cfg.bc().toString() : "off", dir);
            long evalSeed = cfg.seed() + EVAL_SEED_OFFSET;
            Progress bar = new Progress(cfg.iterations(), ppo.iteration(), log).withBudget(cfg.budgetMinutes() * 60);
            if (ppo.iteration() == 0 && Double.isNaN(initialEval)) {
                Evaluator.Episodes r = evaluate(init, evalEnvs, evalSeed);
                initialEval = r.mean();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("iteration", 0);
                m.put("env_steps", 0L);
                putEval(m, r, evalSeed);
                m.put("iteration_seconds", bar.elapsed());
                run.appendMetrics(m);
                log.printf(Locale.ROOT, successReward ? "dmpo finetune: pre-trained policy, noise-free K=%d: success rate %.3f ± %.3f%n"
                        : "dmpo finetune: pre-trained policy, noise-free K=%d: return %.1f ± %.1f%n", cfg.chainSteps(), initialEval, r.stderr());
            }
            double budgetSeconds = cfg.budgetMinutes() * 60, lastEval = initialEval, evalSeconds = 0;
            boolean stoppedByBudget = false;
            int sessionIterations = 0;
            double lastReturn = Double.NaN;
            while (ppo.iteration() < cfg.iterations()) {
                long t0 = System.nanoTime(), stepsBefore = ppo.envSteps();
                Ppo.Stats s = ppo.iterate();
                sessionIterations++;
                Map<String, Object> m = s.toMap();
                double[] sigma = chain.takeSigmaStats();
                m.put("sigma_mean", sigma[0]);
                m.put("sigma_min", sigma[1]);
                m.put("sigma_max", sigma[2]);
                m.put("bc_coef", bcOn ? cfg.bc().at(s.iteration() - 1) : 0.0);
                m.put("bc_loss", s.extraLoss());
                m.put("env_steps_per_second", (s.envSteps() - stepsBefore) / Math.max(1e-9, s.rolloutSeconds() + s.updateSeconds()));
                double perIteration = bar.elapsed() / sessionIterations;
                boolean last = s.iteration() == cfg.iterations()
                        || (budgetSeconds > 0 && bar.elapsed() + perIteration + evalSeconds > budgetSeconds);
                boolean evalNow = last || s.iteration() % cfg.evalEvery() == 0;
                Evaluator.Episodes r = null;
                FlowPolicy tuned = null;
                if (evalNow) {
                    long e0 = System.nanoTime();
                    tuned = finetunedPolicy(actor, s.iteration(), s.envSteps());
                    r = evaluate(tuned, evalEnvs, evalSeed); // the published file's policy, as `dmpo eval` runs it
                    evalSeconds = (System.nanoTime() - e0) / 1e9;
                    lastEval = r.mean();
                    putEval(m, r, evalSeed);
                }
                m.put("iteration_seconds", (System.nanoTime() - t0) / 1e9);
                run.appendMetrics(m);
                if (evalNow) {
                    Map<String, Object> extra = new LinkedHashMap<>();
                    extra.put("iteration", s.iteration());
                    extra.put("env_steps", s.envSteps());
                    extra.put("eval_return", lastEval);
                    extra.put("seed", cfg.seed());
                    Map<String, Object> ev = new LinkedHashMap<>();
                    ev.put("env_steps", s.envSteps());
                    putEval(ev, r, evalSeed);
                    FlowPolicy published = tuned;
                    run.publish(s.iteration(), lastEval, ev, tmp -> {
                        Path state = tmp.resolve(PPO_STATE);
                        Files.createDirectory(state);
                        PpoCheckpoint.writeInto(state, chain.params(), critic.params(), ppo.actorOptimizer(), ppo.criticOptimizer(),
                                null, ppo.rewardScaler(), extra);
                        PolicyFile.save(tmp.resolve(POLICY), published);
                    });
                    run.retain(KEPT_CHECKPOINTS);
                }
                if (s.episodes() > 0) lastReturn = successReward ? s.episodeSuccess() : s.episodeReturn();
                bar.update(s.iteration(), String.format(Locale.ROOT,
                        successReward ? "%.2fM steps | train success %5.3f | eval %5.3f | %s clip %.3f ev %.2f | σ %.3f | bc %.4f"
                                : "%.2fM steps | ret %7.1f | eval %7.1f | %s clip %.3f ev %.2f | σ %.3f | bc %.4f",
                        s.envSteps() / 1e6, lastReturn, lastEval, s.klText(), s.clipFraction(), s.explainedVariance(),
                        sigma[0], s.extraLoss()), evalNow);
                if (last && s.iteration() < cfg.iterations()) {
                    stoppedByBudget = true;
                    break;
                }
            }
            bar.finish();
            RunDirectory.Checkpoint latest = run.latest().orElseThrow(() -> new IllegalStateException("no checkpoint was published"));
            byte[] bytes = Files.readAllBytes(latest.path().resolve(POLICY));
            AtomicFiles.write(dir.resolve(POLICY), out -> out.write(bytes));
            double trainSeconds = run.metrics().stream().mapToDouble(m -> ((Number) m.get("iteration_seconds")).doubleValue()).sum();
            Result result = new Result(dir.resolve(POLICY), initialEval, lastEval, run.bestScore(), (int) latest.iteration(),
                    ppo.envSteps(), trainSeconds, stoppedByBudget);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("initial_eval_return", initialEval);
            summary.put("final_eval_return", lastEval);
            summary.put("best_eval_return", run.bestScore());
            if (successReward) {
                summary.put("initial_success_rate", initialEval);
                summary.put("final_success_rate", lastEval);
            }
            summary.put("best_iteration", run.best().map(RunDirectory.Checkpoint::iteration).orElse(0L));
            summary.put("iterations", latest.iteration());
            summary.put("env_steps", ppo.envSteps());
            summary.put("train_seconds", trainSeconds);
            summary.put("stopped_by_budget", stoppedByBudget);
            summary.put("policy", POLICY);
            AtomicFiles.writeString(dir.resolve("summary.json"), Json.write(summary) + "\n");
            return result;
        } finally {
            for (Env e : evalEnvs) e.close();
            RunDirectory.release(dir);
        }
    }

    /** The fine-tuned actor as a policy file: the pre-trained spec with K = chain steps and the fine-tuning provenance. */
    private FlowPolicy finetunedPolicy(MeanFlowActor actor, int iteration, long envSteps) {
        FlowPolicy.Spec s = init.spec();
        Map<String, Object> prov = new LinkedHashMap<>(provenance);
        prov.put("config", cfg.resolved());
        prov.put("seed", cfg.seed());
        prov.put("iteration", iteration);
        prov.put("env_steps", envSteps);
        prov.put("pretrained", s.provenance());
        FlowPolicy.Spec tuned = new FlowPolicy.Spec(s.algorithm(), s.obsDim(), s.actDim(), s.horizon(), s.actSteps(), s.condSteps(),
                cfg.chainSteps(), s.architecture(), prov);
        return new FlowPolicy(tuned, copyOf(s, actor), init.obsNormalizer(), init.actNormalizer());
    }

    /**
     * A resumed run may be continued past its recorded iteration total ({@code finetune --resume --iterations N}, see
     * docs/configs.md, "Recorded"). Every setting then means what it meant for the first N0 iterations only when
     * nothing depends on the total: the learning-rate schedules must be constant (a cosine or linear one spans the
     * recorded total; the BC schedule counts absolute iterations). The continuation is a resume like any other (its
     * envs start fresh episodes). config.json then records the new total and each raise; the finished run's
     * summary.json is removed first, so a continuation killed before its end is not taken for a finished run.
     */
    @SuppressWarnings("unchecked")
    private void acceptRaisedIterations(RunDirectory run) throws IOException {
        Map<String, Object> recorded = run.config().get("config") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        if (!(recorded.get("iterations") instanceof Number n)) throw new IllegalArgumentException(run.dir() + ": config.json records no iterations");
        int was = n.intValue();
        if (was == cfg.iterations()) return;
        if (cfg.iterations() < was) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: the run was recorded with %d iterations; --iterations can "
                    + "only raise the total (got %d)", run.dir(), was, cfg.iterations()));
        }
        String actor = cfg.ppo().actorLrSchedule, critic = "same".equals(cfg.ppo().criticLrSchedule) ? actor : cfg.ppo().criticLrSchedule;
        if (!"constant".equals(actor) || !"constant".equals(critic)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: cannot raise the iterations of a run whose learning-rate "
                    + "schedules span its total (actor %s, critic %s); only constant schedules continue exactly", run.dir(), actor, critic));
        }
        Map<String, Object> changed = new LinkedHashMap<>(run.config());
        Map<String, Object> settings = new LinkedHashMap<>(recorded);
        settings.put("iterations", cfg.iterations());
        changed.put("config", settings);
        List<Object> raises = new ArrayList<>(changed.get("iterations_raised") instanceof List<?> l ? l : List.of());
        Map<String, Object> raise = new LinkedHashMap<>();
        raise.put("from", was);
        raise.put("to", cfg.iterations());
        raise.put("at_iteration", run.startIteration());
        if (provenance.get("git_commit") != null) raise.put("git_commit", provenance.get("git_commit"));
        raises.add(raise);
        changed.put("iterations_raised", raises);
        Files.deleteIfExists(run.dir().resolve("summary.json"));
        run.rewriteConfig(changed);
        log.printf(Locale.ROOT, "dmpo finetune: iterations raised from %d to %d%n", was, cfg.iterations());
    }

    private Map<String, Object> runConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", "dmpo-finetune");
        c.put("config", cfg.resolved());
        c.put("provenance", provenance);
        c.put("java", System.getProperty("java.version"));
        return c;
    }

    /**
     * The noise-free K-step evaluation of {@code policy} by the one {@link Evaluator}: episode i starts from seed
     * {@code seed + i}, so {@code dmpo eval FILE --steps K --episodes N --seed S} reproduces it exactly.
     */
    private Evaluator.Episodes evaluate(FlowPolicy policy, List<Env> envs, long seed) {
        return Evaluator.run(policy, envs, cfg.chainSteps(), cfg.evalEpisodes(), seed);
    }

    private void putEval(Map<String, Object> m, Evaluator.Episodes r, long seed) {
        r.record(m, successReward, seed);
        m.put("eval_returns", Arrays.stream(r.returns()).boxed().toList());
    }
}
