package io.dmpo.train;

import io.dmpo.data.Dataset;
import io.dmpo.data.Datasets;
import io.dmpo.env.Env;
import io.dmpo.env.SuccessReward;
import io.dmpo.eval.Evaluator;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import io.dmpo.run.Provenance;

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
 * The whole method end to end on one task inside a wall-clock budget (what {@code dmpo run} runs): pre-train with the
 * task's Stage-1 config, evaluate the pre-trained policy at K ∈ {@link #SWEEP} on fixed episodes, fine-tune at K = 1
 * with the task's Stage-2 config for the rest of the budget, evaluate the fine-tuned one-step policy on the SAME
 * episodes, and measure batch-1 latency at 1 and 20 steps. Writes {@code run.json} (settings, plan, provenance),
 * {@code pretrain/}, {@code finetune/} and {@code result.json}.
 *
 * <p>Budget split ({@link Plan}): pre-training gets {@value #PRETRAIN_SHARE} of the budget (its epoch count scaled
 * from the config's at an assumed {@value #EPOCH_SECONDS} s per epoch on 2 cores, at most the config's count), the
 * evaluations a fixed reserve, and fine-tuning whatever is left (it stops after an evaluation before its deadline).
 * How far fine-tuning gets therefore depends on the machine's speed; the run directory records every number it used.
 */
public final class MainJob {
    public static final double EPOCH_SECONDS = 7.5, PRETRAIN_SHARE = 0.35;
    /** Seed of the evaluation episodes (episode i resets with EVAL_SEED + i), the same before and after fine-tuning. */
    public static final long EVAL_SEED = 1_000_000;
    public static final int[] SWEEP = {1, 2, 4};
    /** The multi-step baseline the one-step latency is compared with (ReFlow's usual step count). */
    public static final int BASELINE_STEPS = 20;
    static final int EVAL_ENVS = 10;

    /** What the user chose; {@code successReward}: the task's reward is a sparse success (reported as rates). */
    public record Settings(String task, boolean successReward, long seed, int threads, int episodes, double budgetMinutes) {
        public Settings {
            if (!(budgetMinutes >= 1)) throw new IllegalArgumentException("the budget must be at least 1 minute, got " + budgetMinutes);
            if (threads < 1 || episodes < 2) throw new IllegalArgumentException("threads must be >= 1 and episodes >= 2");
        }
    }

    /** How the budget is split. */
    public record Plan(int pretrainEpochs, double warmupEpochs, double reserveSeconds) {
        public static Plan of(double budgetSeconds, int configEpochs) {
            int epochs = (int) Math.max(2, Math.min(configEpochs, Math.floor(PRETRAIN_SHARE * budgetSeconds / EPOCH_SECONDS)));
            return new Plan(epochs, Math.min(5.0, epochs / 8.0), 45 + 0.02 * budgetSeconds);
        }
    }

    /** The budget was spent before fine-tuning could start. */
    public static final class BudgetTooSmall extends RuntimeException {
        BudgetTooSmall(String message) {
            super(message);
        }
    }

    /** Everything measured; {@link #record()} is {@code result.json}. */
    public record Result(Plan plan, Pretrainer.Result pretrain, Finetuner.Result finetune, Map<Integer, Evaluator.Episodes> pretrained,
                         Map<Integer, Double> pretrainedLatencyMicros, double baselineLatencyMicros, Evaluator.Episodes finetuned,
                         double finetunedLatencyMicros, double wallSeconds, int episodes, boolean successReward) {
        /** What an episode's return measures: {@code success_rate} for a sparse-success task (its return is 0 or 1), else {@code return}. */
        public String metric() {
            return successReward ? "success_rate" : "return";
        }

        /** The headline numbers. */
        public Map<String, Object> headline(Path dir) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("metric", metric());
            r.put("pretrained_return_1step", pretrained.get(1).mean());
            r.put("pretrained_return_1step_stderr", pretrained.get(1).stderr());
            r.put("finetuned_return_1step", finetuned.mean());
            r.put("finetuned_return_1step_stderr", finetuned.stderr());
            r.put("latency_us_1step", finetunedLatencyMicros);
            r.put("speedup_vs_reflow20", baselineLatencyMicros / finetunedLatencyMicros);
            r.put("env_steps", finetune.envSteps());
            r.put("wall_minutes", wallSeconds / 60);
            r.put("out_dir", dir.toString());
            return r;
        }

        /** The headline plus the details (what result.json holds). */
        public Map<String, Object> record(Path dir) {
            Map<String, Object> d = headline(dir);
            d.put("episodes", episodes);
            d.put("pretrain_epochs", plan.pretrainEpochs());
            d.put("pretrain_seconds", pretrain.wallSeconds());
            d.put("finetune_iterations", finetune.iterations());
            d.put("finetune_seconds", finetune.trainSeconds());
            d.put("latency_us_20step", baselineLatencyMicros);
            Map<String, Object> sw = new LinkedHashMap<>();
            for (var e : pretrained.entrySet()) {
                sw.put(String.valueOf(e.getKey()), Map.of("return", e.getValue().mean(), "stderr", e.getValue().stderr(),
                        "latency_us", pretrainedLatencyMicros.get(e.getKey())));
            }
            d.put("pretrained_sweep", sw);
            d.put("pretrained_returns_1step", Arrays.stream(pretrained.get(1).returns()).boxed().toList());
            d.put("finetuned_returns_1step", Arrays.stream(finetuned.returns()).boxed().toList());
            return d;
        }
    }

    private final Settings settings;
    private final Map<String, Object> pretrainConfig, finetuneConfig;
    private final String pretrainSource, finetuneSource;
    private final Function<String, Path> resolveData;
    private final Function<SuccessReward, ? extends Env> makeEnv;
    private final int obsDim, actDim;
    private final PrintStream log;

    /**
     * {@code pretrainConfig} / {@code finetuneConfig}: the task's Stage-1 and Stage-2 configs as read (their seed,
     * threads, epochs and budget are set here from the settings and the plan); {@code resolveData}: where a config's
     * {@code data} path lies; {@code makeEnv}: the task's state env paying the given reward (observations of {@code obsDim}, actions of {@code actDim}).
     */
    public MainJob(Settings settings, Map<String, Object> pretrainConfig, String pretrainSource, Map<String, Object> finetuneConfig,
                   String finetuneSource, Function<String, Path> resolveData, Function<SuccessReward, ? extends Env> makeEnv, int obsDim,
                   int actDim, PrintStream log) {
        this.settings = settings;
        this.pretrainConfig = pretrainConfig;
        this.pretrainSource = pretrainSource;
        this.finetuneConfig = finetuneConfig;
        this.finetuneSource = finetuneSource;
        this.resolveData = resolveData;
        this.makeEnv = makeEnv;
        this.obsDim = obsDim;
        this.actDim = actDim;
        this.log = log;
    }

    public Result run(Path dir) throws IOException {
        long t0 = System.nanoTime();
        double budget = settings.budgetMinutes() * 60;
        // Stage 1 under the plan: the config with the user's seed and threads and the planned epochs, as --set would
        Map<String, Object> raw = ConfigMap.merge(pretrainConfig, Map.of("seed", settings.seed(), "threads", settings.threads()));
        Plan plan = Plan.of(budget, PretrainConfig.from(new ConfigMap(raw, pretrainSource)).train().epochs());
        // no rollouts while pre-training: the plan budgets epochs by the clock, and the job evaluates the policy itself
        PretrainConfig pc = PretrainConfig.from(new ConfigMap(ConfigMap.merge(raw, Map.of("train",
                Map.of("epochs", plan.pretrainEpochs(), "warmup_epochs", plan.warmupEpochs(), "budget_minutes", 0, "budget_updates", 0), "eval", Map.of("episodes", 0))),
                pretrainSource));
        Path dataPath = resolveData.apply(pc.data());
        Dataset data = Datasets.open(dataPath);
        data.requireDims(obsDim, actDim, settings.task());
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("dataset", dataPath.toString());
        prov.put("dataset_sha256", Provenance.sha256(dataPath));
        prov.put("env", settings.task());
        prov.put("git_commit", Provenance.gitCommit());
        Files.createDirectories(dir);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("kind", "dmpo-run");
        record.put("task", settings.task());
        record.put("seed", settings.seed());
        record.put("threads", settings.threads());
        record.put("budget_minutes", settings.budgetMinutes());
        record.put("pretrain_epochs", plan.pretrainEpochs());
        record.put("reserve_seconds", plan.reserveSeconds());
        record.put("provenance", prov);
        record.put("java", System.getProperty("java.version"));
        AtomicFiles.writeString(dir.resolve("run.json"), Json.write(record) + "\n");
        log.printf(Locale.ROOT, "dmpo run: %s, budget %.1f min: pre-training %d epochs, then fine-tuning at K = 1 until the budget%n",
                settings.task(), settings.budgetMinutes(), plan.pretrainEpochs());
        Pretrainer.Result pre = new Pretrainer(pc, data, prov, log, i -> makeEnv.apply(SuccessReward.FIRST), settings.successReward()).run(dir.resolve("pretrain"), false);
        FlowPolicy pretrained = PolicyFile.load(pre.policy());

        List<Env> envs = new ArrayList<>();
        try {
            for (int i = 0; i < EVAL_ENVS; i++) envs.add(makeEnv.apply(SuccessReward.FIRST));
            Map<Integer, Evaluator.Episodes> before = new LinkedHashMap<>();
            Map<Integer, Double> latency = new LinkedHashMap<>();
            double[][] history = {envs.get(0).reset(EVAL_SEED)};
            for (int k : SWEEP) {
                before.put(k, Evaluator.run(pretrained, envs, k, settings.episodes(), EVAL_SEED));
                latency.put(k, Evaluator.latencyMicros(pretrained, history, k, 200, 1001));
            }
            double baseline = Evaluator.latencyMicros(pretrained, history, BASELINE_STEPS, 50, 301);
            log.printf(Locale.ROOT, "dmpo run: pre-trained %s K=1 %.3g ± %.2g, K=2 %.3g, K=4 %.3g; latency %.1f µs (K=1), %.1f µs (K=%d)%n",
                    settings.successReward() ? "success rate" : "return", before.get(1).mean(), before.get(1).stderr(), before.get(2).mean(), before.get(4).mean(), latency.get(1), baseline,
                    BASELINE_STEPS);

            // Stage 2 at K = 1 for the rest of the budget, less the final evaluation and report
            double elapsed = (System.nanoTime() - t0) / 1e9, ftBudget = budget - elapsed - plan.reserveSeconds();
            if (ftBudget < 30) {
                throw new BudgetTooSmall(String.format(Locale.ROOT, "pre-training took %.0f s of the %.0f s budget; nothing is left "
                        + "for fine-tuning (raise the budget)", elapsed, budget));
            }
            Map<String, Object> over = new LinkedHashMap<>();
            over.put("seed", settings.seed());
            over.put("threads", settings.threads());
            over.put("init", pre.policy().toString());
            over.put("budget_minutes", ftBudget / 60);
            over.put("iterations", 100_000); // the budget decides
            FinetuneConfig fc = FinetuneConfig.from(new ConfigMap(ConfigMap.merge(finetuneConfig, over), finetuneSource));
            Map<String, Object> fprov = new LinkedHashMap<>(prov);
            fprov.put("init", pre.policy().toString());
            fprov.put("init_sha256", Provenance.sha256(pre.policy()));
            Finetuner.Result ft = new Finetuner(fc, pretrained, makeEnv, fprov, log, settings.successReward()).run(dir.resolve("finetune"), false);
            FlowPolicy tuned = PolicyFile.load(ft.policy());
            Evaluator.Episodes after = Evaluator.run(tuned, envs, 1, settings.episodes(), EVAL_SEED);
            double latencyTuned = Evaluator.latencyMicros(tuned, history, 1, 200, 1001);
            Result result = new Result(plan, pre, ft, before, latency, baseline, after, latencyTuned, (System.nanoTime() - t0) / 1e9,
                    settings.episodes(), settings.successReward());
            AtomicFiles.writeString(dir.resolve("result.json"), Json.write(result.record(dir)) + "\n");
            return result;
        } finally {
            for (Env e : envs) e.close();
        }
    }
}
