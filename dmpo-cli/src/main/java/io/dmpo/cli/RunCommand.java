package io.dmpo.cli;

import io.dmpo.data.Dataset;
import io.dmpo.data.Datasets;
import io.dmpo.env.Env;
import io.dmpo.eval.Evaluator;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.mujoco.Tasks;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.rl.TrainingDiverged;
import io.dmpo.run.Provenance;
import io.dmpo.run.RunDirectory;
import io.dmpo.run.RunException;
import io.dmpo.train.ConfigMap;
import io.dmpo.train.FinetuneConfig;
import io.dmpo.train.Finetuner;
import io.dmpo.train.PretrainConfig;
import io.dmpo.train.Pretrainer;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dmpo run}: the whole method end to end on one task, inside a wall-clock budget. Pre-train MeanFlow + dispersive
 * on the bundled dataset ({@code configs/<task>/meanflow-disp.yaml}), evaluate the step sweep, fine-tune at K = 1 with
 * PPO ({@code configs/<task>/finetune-dmpo.yaml}) for the rest of the budget, evaluate the fine-tuned one-step policy
 * on the same episodes, measure batch-1 latency at 1 and 20 steps, and write a report.
 *
 * <p>Budget split: pre-training gets ~35 % (its epoch count is scaled from the config's 40 epochs at an assumed
 * {@value #EPOCH_SECONDS} s per epoch on 2 cores, at most the config's count), the evaluations a fixed reserve, and
 * fine-tuning whatever is left (it stops after an evaluation before its deadline). How far fine-tuning gets therefore
 * depends on the machine's speed; the run directory records every number it used.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "The main job: pre-train, sweep, fine-tune at K = 1, evaluate and report, inside --budget-minutes.")
public final class RunCommand implements Runnable {
    @Option(names = "--task", description = "task with bundled data and configs (default: ${DEFAULT-VALUE})")
    String task = "hopper";
    @Option(names = "--budget-minutes", description = "wall-clock budget for everything (default: ${DEFAULT-VALUE})")
    double budgetMinutes = 20;
    @Option(names = "--out", description = "output directory (default: runs/main-<task>-s<seed>)")
    Path out;
    @Option(names = "--seed", description = "seed of every stage (default: ${DEFAULT-VALUE})")
    long seed = 0;
    @Option(names = "--threads", description = "engine and env threads (default: ${DEFAULT-VALUE})")
    int threads = 2;
    @Option(names = "--episodes", description = "evaluation episodes for the pre-trained and fine-tuned returns (default: ${DEFAULT-VALUE})")
    int episodes = 30;
    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    static final double EPOCH_SECONDS = 7.5, PRETRAIN_SHARE = 0.35;
    static final long EVAL_SEED = 1_000_000;

    @Override
    public void run() {
        Check.range("--budget-minutes", budgetMinutes, 1, 24 * 60, false);
        Check.atLeast("--threads", threads, 1);
        Check.atLeast("--episodes", episodes, 2);
        Tasks.Task t = EnvCommand.userErrors(() -> Tasks.of(task));
        Path home = Path.of(System.getProperty("dmpo.home", "."));
        Path preCfg = home.resolve("configs").resolve(t.name()).resolve("meanflow-disp.yaml");
        Path ftCfg = home.resolve("configs").resolve(t.name()).resolve("finetune-dmpo.yaml");
        if (!Files.isRegularFile(preCfg) || !Files.isRegularFile(ftCfg)) {
            throw new UserError("no bundled configs for task '" + t.name() + "' (need " + preCfg + " and " + ftCfg + ")", 2);
        }
        Path dir = out != null ? out : Path.of("runs", "main-" + t.name() + "-s" + seed);
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new UserError(dir + ": exists and is not a directory", 2);
        try {
            if (Files.exists(dir) && RunDirectory.hasProgress(dir.resolve("pretrain"))) {
                throw new UserError(dir + ": holds an earlier run; choose another --out or remove it (a killed run's stages "
                        + "continue with 'dmpo pretrain --resume --out " + dir.resolve("pretrain") + "' and 'dmpo finetune --resume --out "
                        + dir.resolve("finetune") + "')", 2);
            }
            main(t, preCfg, ftCfg, dir);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (TrainingDiverged e) {
            throw new UserError(e.getMessage() + "; stopped (what was written stays in " + dir + ")", 1);
        } catch (RunException | io.dmpo.io.SafeTensors.SafeTensorsException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (IOException e) {
            throw new UserError(dir + ": " + AtomicFiles.describe(e), 1);
        }
    }

    private void main(Tasks.Task t, Path preCfg, Path ftCfg, Path dir) throws IOException {
        long t0 = System.nanoTime();
        double budget = budgetMinutes * 60;
        // --- Stage 1: pre-training, epochs scaled to the budget
        Map<String, Object> raw = Configs.read(preCfg, List.of());
        raw.put("seed", seed);
        raw.put("threads", threads);
        int configEpochs = new ConfigMap(raw, preCfg.toString()).section("train").integer("epochs", 40);
        int epochs = (int) Math.max(2, Math.min(configEpochs, Math.floor(PRETRAIN_SHARE * budget / EPOCH_SECONDS)));
        @SuppressWarnings("unchecked")
        Map<String, Object> train = (Map<String, Object>) raw.computeIfAbsent("train", k -> new LinkedHashMap<String, Object>());
        train.put("epochs", epochs);
        train.put("warmup_epochs", Math.min(5.0, epochs / 8.0));
        PretrainConfig pc = PretrainConfig.from(new ConfigMap(raw, preCfg.toString()));
        Path dataPath = PretrainCommand.resolveData(pc.data());
        Dataset data = Datasets.open(dataPath);
        data.requireDims(t.observation(io.dmpo.mujoco.Camera.NONE).dim(), t.actDim(), t.name());
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("dataset", dataPath.toString());
        prov.put("dataset_sha256", Provenance.sha256(dataPath));
        prov.put("env", t.name());
        prov.put("git_commit", Provenance.gitCommit());
        Files.createDirectories(dir);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("kind", "dmpo-run");
        record.put("task", t.name());
        record.put("seed", seed);
        record.put("threads", threads);
        record.put("budget_minutes", budgetMinutes);
        record.put("pretrain_epochs", epochs);
        record.put("provenance", prov);
        record.put("java", System.getProperty("java.version"));
        AtomicFiles.writeString(dir.resolve("run.json"), Json.write(record) + "\n");
        System.err.printf(Locale.ROOT, "dmpo run: %s, budget %.1f min: pre-training %d epochs, then fine-tuning at K = 1 until the budget%n",
                t.name(), budgetMinutes, epochs);
        Pretrainer.Result pre = new Pretrainer(pc, data, prov, System.err).run(dir.resolve("pretrain"), false);
        FlowPolicy pretrained = FinetuneCommand.loadPolicy(pre.policy());

        // --- sweep of the pre-trained policy (the same episodes for every K and for the fine-tuned policy)
        List<Env> envs = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) envs.add(t.make());
            int[] sweep = {1, 2, 4};
            Map<Integer, Evaluator.Episodes> before = new LinkedHashMap<>();
            Map<Integer, Double> latency = new LinkedHashMap<>();
            double[][] history = {envs.get(0).reset(EVAL_SEED)};
            for (int k : sweep) {
                before.put(k, Evaluator.run(pretrained, envs, k, episodes, EVAL_SEED));
                latency.put(k, Evaluator.latencyMicros(pretrained, history, k, 200, 1001));
            }
            double latency20 = Evaluator.latencyMicros(pretrained, history, 20, 50, 301);
            System.err.printf(Locale.ROOT, "dmpo run: pre-trained return K=1 %.1f ± %.1f, K=2 %.1f, K=4 %.1f; latency %.1f µs (K=1), %.1f µs (K=20)%n",
                    before.get(1).mean(), before.get(1).stderr(), before.get(2).mean(), before.get(4).mean(), latency.get(1), latency20);

            // --- Stage 2: fine-tuning at K = 1 for the rest of the budget (minus the final evaluation and report)
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double reserve = 45 + 0.02 * budget;
            double ftBudget = budget - elapsed - reserve;
            if (ftBudget < 30) {
                throw new UserError(String.format(Locale.ROOT, "pre-training took %.0f s of the %.0f s budget; nothing is left for "
                        + "fine-tuning (raise --budget-minutes)", elapsed, budget), 1);
            }
            Map<String, Object> fraw = Configs.read(ftCfg, List.of());
            fraw.put("seed", seed);
            fraw.put("threads", threads);
            fraw.put("init", pre.policy().toString());
            fraw.put("budget_minutes", ftBudget / 60);
            fraw.put("iterations", 100_000); // the budget decides
            FinetuneConfig fc = FinetuneConfig.from(new ConfigMap(fraw, ftCfg.toString()));
            Map<String, Object> fprov = new LinkedHashMap<>(prov);
            fprov.put("init", pre.policy().toString());
            fprov.put("init_sha256", Provenance.sha256(pre.policy()));
            Finetuner.Result ft = new Finetuner(fc, pretrained, i -> t.make(), fprov, System.err).run(dir.resolve("finetune"), false);
            FlowPolicy tuned = FinetuneCommand.loadPolicy(ft.policy());
            Evaluator.Episodes after = Evaluator.run(tuned, envs, 1, episodes, EVAL_SEED);
            double latencyTuned = Evaluator.latencyMicros(tuned, history, 1, 200, 1001);

            double wall = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("pretrained_return_1step", before.get(1).mean());
            result.put("pretrained_return_1step_stderr", before.get(1).stderr());
            result.put("finetuned_return_1step", after.mean());
            result.put("finetuned_return_1step_stderr", after.stderr());
            result.put("latency_us_1step", latencyTuned);
            result.put("speedup_vs_reflow20", latency20 / latencyTuned);
            result.put("env_steps", ft.envSteps());
            result.put("wall_minutes", wall / 60);
            result.put("out_dir", dir.toString());
            Map<String, Object> detail = new LinkedHashMap<>(result);
            detail.put("episodes", episodes);
            detail.put("pretrain_epochs", epochs);
            detail.put("pretrain_seconds", pre.wallSeconds());
            detail.put("finetune_iterations", ft.iterations());
            detail.put("finetune_seconds", ft.trainSeconds());
            detail.put("latency_us_20step", latency20);
            Map<String, Object> sw = new LinkedHashMap<>();
            for (int k : sweep) sw.put(String.valueOf(k), Map.of("return", before.get(k).mean(), "stderr", before.get(k).stderr(), "latency_us", latency.get(k)));
            detail.put("pretrained_sweep", sw);
            detail.put("pretrained_returns_1step", java.util.Arrays.stream(before.get(1).returns()).boxed().toList());
            detail.put("finetuned_returns_1step", java.util.Arrays.stream(after.returns()).boxed().toList());
            AtomicFiles.writeString(dir.resolve("result.json"), Json.write(detail) + "\n");
            report(dir, t.name(), detail, before, latency, after, latencyTuned);
            if (json) {
                System.out.println(Json.write(result));
            } else {
                System.out.printf(Locale.ROOT, "%n%-34s %s%n", "DMPO on " + t.name(), String.format(Locale.ROOT, "(%.1f of %.0f minutes, seed %d)", wall / 60, budgetMinutes, seed));
                row("pre-trained return, 1 step", String.format(Locale.ROOT, "%.1f ± %.1f  (%d episodes)", before.get(1).mean(), before.get(1).stderr(), episodes));
                row("fine-tuned return, 1 step", String.format(Locale.ROOT, "%.1f ± %.1f  (%d episodes)", after.mean(), after.stderr(), episodes));
                row("fine-tuning env steps", String.format(Locale.ROOT, "%,d  (%d iterations, %.0f s)", ft.envSteps(), ft.iterations(), ft.trainSeconds()));
                row("batch-1 latency, 1 step", String.format(Locale.ROOT, "%.1f µs", latencyTuned));
                row("speed-up over 20 steps (ReFlow)", String.format(Locale.ROOT, "%.1fx  (%.1f µs at 20 steps)", latency20 / latencyTuned, latency20));
                row("report", dir.resolve("report").resolve("summary.md").toString());
            }
        } finally {
            for (Env e : envs) e.close();
        }
    }

    private static void row(String k, String v) {
        System.out.printf(Locale.ROOT, "  %-32s %s%n", k, v);
    }

    private static void report(Path dir, String task, Map<String, Object> d, Map<Integer, Evaluator.Episodes> before,
                               Map<Integer, Double> latency, Evaluator.Episodes after, double latencyTuned) throws IOException {
        Path rep = dir.resolve("report");
        Files.createDirectories(rep);
        List<Map<String, Object>> metrics = RunDirectory.readLines(dir.resolve("finetune").resolve(RunDirectory.METRICS));
        XYChart curve = new XYChartBuilder().width(900).height(560).title("Fine-tuning at K = 1: noise-free evaluation return")
                .xAxisTitle("env steps").yAxisTitle("episode return").build();
        curve.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        List<Double> x = new ArrayList<>(), y = new ArrayList<>(), tx = new ArrayList<>(), ty = new ArrayList<>();
        for (Map<String, Object> m : metrics) {
            double steps = ((Number) m.getOrDefault("env_steps", 0)).doubleValue();
            if (m.get("eval_return") instanceof Number r) {
                x.add(steps);
                y.add(r.doubleValue());
            }
            if (m.get("episode_return") instanceof Number r && Double.isFinite(r.doubleValue())) {
                tx.add(steps);
                ty.add(r.doubleValue());
            }
        }
        if (!tx.isEmpty()) { // drawn first, under the evaluations; a moving mean over 25 iterations
            List<Double> smooth = new ArrayList<>();
            double sum = 0;
            for (int i = 0; i < ty.size(); i++) {
                sum += ty.get(i) - (i >= 25 ? ty.get(i - 25) : 0);
                smooth.add(sum / Math.min(i + 1, 25));
            }
            curve.addSeries("training episodes, noisy chain (mean of 25 iterations)", tx, smooth).setMarker(SeriesMarkers.NONE);
        }
        int perEval = metrics.stream().filter(m -> m.get("eval_returns") instanceof List<?>).findFirst()
                .map(m -> ((List<?>) m.get("eval_returns")).size()).orElse(0);
        if (!x.isEmpty()) curve.addSeries("evaluation, noise-free chain (" + perEval + " episodes)", x, y);
        ReportCommand.png(rep.resolve("finetune_curve.png"), curve);

        CategoryChart bars = new CategoryChartBuilder().width(700).height(500).title("One-step return, same " + after.returns().length + " episodes")
                .yAxisTitle("episode return (mean ± stderr)").build();
        bars.getStyler().setLegendVisible(false);
        bars.addSeries("return", List.of("pre-trained", "fine-tuned"), List.of(before.get(1).mean(), after.mean()),
                List.of(before.get(1).stderr(), after.stderr()));
        ReportCommand.png(rep.resolve("returns.png"), bars);

        XYChart lat = new XYChartBuilder().width(900).height(560).title("Latency vs return (batch-1, this CPU)")
                .xAxisTitle("latency per action (µs)").yAxisTitle("episode return").build();
        lat.getStyler().setXAxisLogarithmic(true);
        lat.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        List<Double> lx = new ArrayList<>(), ly = new ArrayList<>();
        for (var e : before.entrySet()) {
            lx.add(latency.get(e.getKey()));
            ly.add(e.getValue().mean());
        }
        lat.addSeries("pre-trained, K = 1, 2, 4", lx, ly);
        lat.addSeries("fine-tuned, K = 1", List.of(latencyTuned), List.of(after.mean()));
        ReportCommand.png(rep.resolve("latency_vs_return.png"), lat);

        StringBuilder b = new StringBuilder();
        b.append("# DMPO on ").append(task).append("\n\n");
        b.append("Produced by `./dmpo run --task ").append(task).append("` (settings and provenance in `run.json`; all numbers in `result.json`).\n\n");
        b.append("| quantity | value |\n|---|---|\n");
        for (var e : d.entrySet()) {
            if (e.getValue() instanceof Number n) {
                boolean integral = n instanceof Integer || n instanceof Long;
                b.append(integral ? String.format(Locale.ROOT, "| %s | %d |%n", e.getKey(), n.longValue())
                        : String.format(Locale.ROOT, "| %s | %.4g |%n", e.getKey(), n.doubleValue()));
            } else if (e.getValue() instanceof String v) {
                b.append("| ").append(e.getKey()).append(" | `").append(v).append("` |\n");
            }
        }
        b.append("\nPre-trained sweep (same episodes):\n\n| K | return | stderr | latency (µs) |\n|---|---|---|---|\n");
        for (var e : before.entrySet()) {
            b.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f |%n", e.getKey(), e.getValue().mean(), e.getValue().stderr(), latency.get(e.getKey())));
        }
        b.append("\n![fine-tuning curve](finetune_curve.png)\n\n![returns](returns.png)\n\n![latency vs return](latency_vs_return.png)\n");
        AtomicFiles.writeString(rep.resolve("summary.md"), b.toString());
    }
}
