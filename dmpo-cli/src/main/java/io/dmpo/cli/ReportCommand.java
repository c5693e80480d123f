package io.dmpo.cli;

import io.dmpo.eval.MeanStderr;
import io.dmpo.eval.SweepSummary;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.run.Provenance;
import io.dmpo.run.RunDirectory;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code dmpo report}: the Stage-1 table (method × K, mean ± standard error over seeds; the paper's Table 3) and plots
 * from pre-training run directories that {@code dmpo eval} has evaluated; learning curves ({@link LearningCurveReport})
 * for fine-tuning and PPO runs, and for pre-training runs whose checkpoints were scored by rollouts.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Summarize evaluated pre-training runs: summary.md (return per method and K, mean ± stderr over seeds; "
                + "latency; embedding diagnostics; the issue's targets) and PNG plots (return vs K, latency vs return, loss "
                + "curves, effective rank); for fine-tuning/PPO runs, learning curves vs env steps and wall time; for "
                + "pre-training runs scored by checkpoint rollouts and not swept by 'dmpo eval', success (return) vs updates.")
public final class ReportCommand implements Runnable {
    @Parameters(paramLabel = "<run dir>", arity = "1..*", description = "run directories: pretrain runs with eval.json, "
            + "pretrain runs with checkpoint rollouts, or finetune/expert runs")
    List<Path> runs;
    @Option(names = "--out", description = "report directory (default: <parent of the first run>/report)")
    Path out;

    /** A method's label ({@link io.dmpo.loss.FlowObjective#label()}) from a pretrain run's recorded config. */
    @SuppressWarnings("unchecked")
    static String method(Map<String, Object> runConfig, Path run) {
        if (!(runConfig.get("config") instanceof Map)) throw new UserError(run.resolve(RunDirectory.CONFIG) + ": no recorded 'config' section", 2);
        try {
            return io.dmpo.train.PretrainConfig.fromRecorded((Map<String, Object>) runConfig.get("config"),
                    run.resolve(RunDirectory.CONFIG).toString()).objective().label();
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new UserError(run.resolve(RunDirectory.CONFIG) + ": not a pretrain run's config (" + e.getMessage() + ")", 2);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void run() {
        System.setProperty("java.awt.headless", "true");
        if (learningCurves()) return;
        List<SweepSummary.Run> sweeps = new ArrayList<>();
        boolean successRates = true;
        Map<String, List<List<Map<String, Object>>>> metrics = new LinkedHashMap<>();
        Map<String, List<Double>> wall = new LinkedHashMap<>(), bestVal = new LinkedHashMap<>();
        for (Path r : runs) {
            Map<String, Object> cfg;
            try {
                cfg = RunDirectory.readConfig(r); // read-only: a report never changes a run directory
            } catch (io.dmpo.run.RunException e) {
                throw new UserError(e.getMessage(), 2);
            }
            if (!"dmpo-pretrain".equals(cfg.get("kind"))) throw new UserError(r + ": not a pretrain run", 2);
            Path evalFile = r.resolve("eval.json");
            if (!Files.isRegularFile(evalFile)) throw new UserError(r + ": no eval.json (run 'dmpo eval " + r + "' first)", 2);
            String method = method(cfg, r);
            List<Map<String, Object>> m;
            Path metricsFile = r.resolve(RunDirectory.METRICS);
            try {
                m = RunDirectory.readLines(metricsFile); // read-only; a killed run's torn last line is skipped
            } catch (io.dmpo.run.RunException e) {
                throw new UserError(e.getMessage(), 2);
            } catch (IOException e) {
                throw new UserError(metricsFile + ": " + AtomicFiles.describe(e), 2);
            }
            try {
                Map<String, Object> eval = (Map<String, Object>) Json.parse(Files.readString(evalFile));
                // manipulation evals report success rates (the return of a sparse 0/1 reward): shown as percentages
                successRates &= ((List<Map<String, Object>>) eval.get("results")).stream().allMatch(x -> x.containsKey("success_rate"));
                long seed = ((Number) ((Map<String, Object>) cfg.get("config")).get("seed")).longValue();
                sweeps.add(SweepSummary.fromEval(method, seed, eval));
            } catch (IOException | IllegalArgumentException | ClassCastException | NullPointerException e) {
                throw new UserError(evalFile + ": not an eval.json of 'dmpo eval' (" + e.getMessage() + ")", 2);
            }
            metrics.computeIfAbsent(method, k -> new ArrayList<>()).add(m);
            wall.computeIfAbsent(method, k -> new ArrayList<>()).add(m.stream().mapToDouble(x -> num(x.get("epoch_seconds"))).sum());
            bestVal.computeIfAbsent(method, k -> new ArrayList<>()).add(m.stream().mapToDouble(x -> num(x.get("val_loss")))
                    .filter(Double::isFinite).min().orElse(Double.NaN));
        }
        SweepSummary s = new SweepSummary(sweeps);
        boolean success = successRates && !sweeps.isEmpty();
        Path dir = out != null ? out : runs.get(0).toAbsolutePath().normalize().getParent().resolve("report");
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new UserError(dir + ": exists and is not a directory", 2);
        try {
            Files.createDirectories(dir);
            String measure = success ? "success rate" : "episode return";
            png(dir.resolve("return_vs_steps.png"), returnVsSteps(s, measure));
            png(dir.resolve("latency_vs_return.png"), latencyVsReturn(s, measure));
            png(dir.resolve("loss_curves.png"), lossCurves(metrics));
            png(dir.resolve("effective_rank.png"), effectiveRank(s));
            AtomicFiles.writeString(dir.resolve("summary.md"), markdown(s, wall, bestVal, success));
        } catch (IOException e) {
            throw new UserError(e.getMessage() != null && e.getMessage().startsWith(dir.toString()) ? e.getMessage()
                    : dir + ": " + AtomicFiles.describe(e), 1);
        }
        System.out.println("report: " + s.methods().size() + " methods, " + sweeps.size() + " runs -> " + dir.resolve("summary.md"));
    }

    /** Fine-tuning and PPO runs get learning curves instead of the Stage-1 sweep table; mixing both is an error. */
    private boolean learningCurves() {
        List<LearningCurveReport.Curve> curves = new ArrayList<>();
        int stage2 = 0, pretraining = 0;
        for (Path r : runs) {
            Object kind;
            try {
                kind = RunDirectory.readConfig(r).get("kind");
                if (LearningCurveReport.pretrainingCurve(r, kind)) pretraining++;
            } catch (io.dmpo.run.RunException e) {
                throw new UserError(e.getMessage(), 2);
            } catch (IOException e) {
                throw new UserError(r + ": " + AtomicFiles.describe(e), 2);
            }
            if (LearningCurveReport.handles(String.valueOf(kind))) stage2++;
        }
        // pre-training runs scored by checkpoint rollouts and never swept by 'dmpo eval': their curves vs updates
        boolean pre = pretraining == runs.size();
        if (stage2 == 0 && !pre) return false;
        if (stage2 != runs.size() && !pre) throw new UserError("give either pretrain runs or finetune/expert runs, not both", 2);
        Path dir = out != null ? out : runs.get(0).toAbsolutePath().normalize().getParent().resolve("report");
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new UserError(dir + ": exists and is not a directory", 2);
        try {
            for (Path r : runs) curves.add(LearningCurveReport.read(r, pre));
            Files.createDirectories(dir);
            LearningCurveReport.write(curves, dir, runs, pre);
        } catch (io.dmpo.run.RunException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (IOException e) {
            throw new UserError(dir + ": " + AtomicFiles.describe(e), 1);
        }
        System.out.println("report: " + curves.stream().map(LearningCurveReport.Curve::method).distinct().count() + " methods, "
                + runs.size() + " runs -> " + dir.resolve("summary.md"));
        return true;
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String markdown(SweepSummary s, Map<String, List<Double>> wall, Map<String, List<Double>> bestVal, boolean success) {
        StringBuilder b = new StringBuilder();
        List<Integer> ks = s.steps();
        b.append("# Stage 1 report\n\n");
        b.append("Made by `dmpo report` at ").append(Instant.now()).append(" (dmpo commit `").append(Provenance.gitCommit())
                .append(success ? "`). Success rate: mean over seeds of each run's success rate (%), ± standard error over seeds.\n\n"
                        : "`). Return: mean over seeds of each run's mean episode return, ± standard error over seeds.\n\n");
        b.append(success ? "## Success rate (%) by sampling steps K\n\n| method | seeds |" : "## Return by sampling steps K\n\n| method | seeds |");
        for (int k : ks) b.append(" K=").append(k).append(" |");
        b.append("\n|---|---|").append("---|".repeat(ks.size())).append('\n');
        for (String m : s.methods()) {
            b.append("| ").append(m).append(" | ").append(s.runs(m).size()).append(" |");
            for (int k : ks) {
                MeanStderr st = s.returnAt(m, k);
                double scale = success ? 100 : 1;
                b.append(st.n() == 0 ? " — |" : String.format(Locale.ROOT, " %.0f ± %.0f |", scale * st.mean(), scale * st.stderr()));
            }
            b.append('\n');
        }
        b.append("\n## Batch-1 latency per action (median over runs, µs, measured during each eval)\n\n| method |");
        for (int k : ks) b.append(" K=").append(k).append(" |");
        b.append("\n|---|").append("---|".repeat(ks.size())).append('\n');
        for (String m : s.methods()) {
            b.append("| ").append(m).append(" |");
            for (int k : ks) b.append(Double.isNaN(s.latencyAt(m, k)) ? " — |" : String.format(Locale.ROOT, " %.0f |", s.latencyAt(m, k)));
            b.append('\n');
        }
        b.append("\n## Embedding and training\n\n| method | effective rank | mean pairwise distance | best validation loss | "
                + "pre-training wall time (s, mean / max) |\n|---|---|---|---|---|\n");
        for (String m : s.methods()) {
            MeanStderr er = s.effectiveRank(m), pd = s.meanPairwiseDistance(m), vl = MeanStderr.of(bestVal.get(m));
            List<Double> w = wall.get(m);
            b.append(String.format(Locale.ROOT, "| %s | %.2f ± %.2f | %.1f ± %.1f | %.4f ± %.4f | %.0f / %.0f |%n", m, er.mean(),
                    er.stderr(), pd.mean(), pd.stderr(), vl.mean(), vl.stderr(),
                    w.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN),
                    w.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN)));
        }
        b.append("\nValidation losses are each objective's own loss on held-out episodes; they compare epochs of one method, "
                + "not methods.\n");
        b.append(targets(s, wall, success ? 100 : 1));
        b.append("\n## Plots\n\n![return vs K](return_vs_steps.png)\n![latency vs return](latency_vs_return.png)\n"
                + "![loss curves](loss_curves.png)\n![effective rank](effective_rank.png)\n");
        return b.toString();
    }

    /** The Stage-1 targets (docs/results.md, "Stage 1 on Hopper"), checked on the table (absent methods are skipped). */
    static String targets(SweepSummary s, Map<String, List<Double>> wall, double scale) {
        String dmpo = "MeanFlow+disp (DMPO)", mp1 = "MeanFlow (MP1)", reflow = "ReFlow";
        StringBuilder b = new StringBuilder("\n## Targets\n\n");
        if (s.methods().contains(dmpo)) {
            double one = s.returnAt(dmpo, 1).mean();
            if (s.methods().contains(reflow)) {
                double base = s.returnAt(reflow, 1).mean();
                boolean met = one >= 1.2 * base && one > base;
                if (base > 0) {
                    b.append(String.format(Locale.ROOT, "- DMPO 1-step / ReFlow 1-step = %.2f (target ≥ 1.2): %s%n", one / base, met ? "met" : "missed"));
                } else { // a ratio to a non-positive return says nothing
                    b.append(String.format(Locale.ROOT, "- DMPO 1-step %.0f vs ReFlow 1-step %.0f (target ≥ 1.2×; no ratio to a non-positive return): %s%n",
                            scale * one, scale * base, met ? "met" : "missed"));
                }
            }
            int best = s.bestSteps(dmpo);
            double r = one / s.returnAt(dmpo, best).mean();
            b.append(String.format(Locale.ROOT, "- DMPO 1-step / its best K (K=%d) = %.2f (target ≥ 0.95): %s%n", best, r, r >= 0.95 ? "met" : "missed"));
            if (s.methods().contains(mp1)) {
                double d = scale * (one - s.returnAt(mp1, 1).mean());
                b.append(String.format(Locale.ROOT, "- dispersive − no dispersive at 1 step = %+.0f (target ≥ 0): %s%n", d, d >= 0 ? "met" : "missed"));
                double er = s.effectiveRank(dmpo).mean() - s.effectiveRank(mp1).mean();
                b.append(String.format(Locale.ROOT, "- effective rank with − without dispersion = %+.2f (target > 0): %s%n", er, er > 0 ? "met" : "missed"));
            }
        }
        double maxWall = wall.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        b.append(String.format(Locale.ROOT, "- longest pre-training: %.0f s (target ≤ 600 s): %s%n", maxWall, maxWall <= 600 ? "met" : "missed"));
        return b.toString();
    }

    private static XYChart returnVsSteps(SweepSummary s, String measure) {
        XYChart c = new XYChartBuilder().width(900).height(560).title(capitalized(measure) + " vs sampling steps K (mean ± stderr over seeds)")
                .xAxisTitle("sampling steps K").yAxisTitle(measure).build();
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        for (String m : s.methods()) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>(), e = new ArrayList<>();
            for (int k : s.steps()) {
                MeanStderr st = s.returnAt(m, k);
                if (st.n() == 0) continue;
                x.add((double) k);
                y.add(st.mean());
                e.add(st.stderr());
            }
            c.addSeries(m, x, y, e);
        }
        return c;
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static XYChart latencyVsReturn(SweepSummary s, String measure) {
        XYChart c = new XYChartBuilder().width(900).height(560).title("Latency vs " + measure + " (each point one K; batch-1, this CPU)")
                .xAxisTitle("batch-1 latency per action (µs)").yAxisTitle(measure).build();
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        for (String m : s.methods()) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (int k : s.steps()) {
                MeanStderr st = s.returnAt(m, k);
                if (st.n() == 0) continue;
                x.add(s.latencyAt(m, k));
                y.add(st.mean());
            }
            c.addSeries(m, x, y);
        }
        return c;
    }

    private static XYChart lossCurves(Map<String, List<List<Map<String, Object>>>> metrics) {
        XYChart c = new XYChartBuilder().width(900).height(560).title("Training (flow) and validation loss, mean over seeds")
                .xAxisTitle("epoch").yAxisTitle("loss").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        for (var e : metrics.entrySet()) {
            for (String key : new String[] {"flow_loss", "val_loss"}) {
                TreeMap<Integer, double[]> acc = new TreeMap<>();
                for (List<Map<String, Object>> run : e.getValue()) {
                    for (Map<String, Object> line : run) {
                        double v = num(line.get(key));
                        if (!Double.isFinite(v)) continue;
                        double[] a = acc.computeIfAbsent(((Number) line.get("epoch")).intValue(), k -> new double[2]);
                        a[0] += v;
                        a[1]++;
                    }
                }
                if (acc.isEmpty()) continue;
                List<Double> x = new ArrayList<>(), y = new ArrayList<>();
                for (var a : acc.entrySet()) {
                    x.add((double) a.getKey());
                    y.add(a.getValue()[0] / a.getValue()[1]);
                }
                c.addSeries(e.getKey() + (key.equals("val_loss") ? " (validation)" : " (train)"), x, y);
            }
        }
        return c;
    }

    private static CategoryChart effectiveRank(SweepSummary s) {
        // a grid's method names are long ("MeanFlow+InfoNCE-cosine λ0.5 τ0.5"): beyond four bars they are written
        // slanted, on a taller chart, so they do not overprint one another
        boolean many = s.methods().size() > 4;
        CategoryChart c = new CategoryChartBuilder().width(900).height(many ? 760 : 560).title("Effective rank of the conditional embedding")
                .xAxisTitle("method").yAxisTitle("effective rank (mean ± stderr over seeds)").build();
        c.getStyler().setLegendVisible(false);
        if (many) c.getStyler().setXAxisLabelRotation(60);
        List<String> names = new ArrayList<>();
        List<Double> y = new ArrayList<>(), e = new ArrayList<>();
        for (String m : s.methods()) {
            MeanStderr st = s.effectiveRank(m);
            names.add(m);
            y.add(st.mean());
            e.add(st.stderr());
        }
        c.addSeries("effective rank", names, y, e);
        return c;
    }

    static void png(Path file, Chart<?, ?> chart) throws IOException {
        byte[] bytes;
        try {
            bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (RuntimeException | InternalError | UnsatisfiedLinkError e) { // AWT without fonts (or fontconfig)
            throw new UserError("cannot draw " + file.getFileName() + " (" + e + "); install fonts: sudo apt-get install -y "
                    + "fontconfig fonts-dejavu-core", 1);
        }
        AtomicFiles.write(file, out -> out.write(bytes));
    }
}
