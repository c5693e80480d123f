package io.dmpo.cli;

import io.dmpo.eval.MeanStderr;
import io.dmpo.io.AtomicFiles;
import io.dmpo.run.Provenance;
import io.dmpo.run.RunDirectory;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Stage-2 part of {@code dmpo report}: learning curves of fine-tuning ({@code dmpo finetune}) and from-scratch PPO
 * ({@code dmpo expert}) runs. A method is a run directory's name without its {@code -s<seed>} suffix; curves are the
 * mean over seeds of the noise-free evaluation return (the success rate on sparse-success tasks) at each evaluation (by iteration), against env steps and against
 * training wall time (rollout + update seconds, evaluations excluded); the table gives start, final and best returns (mean ± stderr over seeds) and the wall time to
 * first reach each threshold.
 */
final class LearningCurveReport {
    private LearningCurveReport() {}

    /**
     * One run: its evaluation points (iteration → env steps, cumulative seconds, return); {@code success}: the run
     * recorded success rates (a sparse-success task), so the return is the success rate.
     */
    record Curve(String method, TreeMap<Integer, double[]> points, boolean success) {}

    static boolean handles(String kind) {
        return "dmpo-finetune".equals(kind) || "dmpo-expert".equals(kind);
    }

    /**
     * A pre-training run whose checkpoints were scored by rollouts (the {@code eval:} section) and that has no
     * {@code dmpo eval} sweep: its curve is the checkpoints' success rate (return) against optimizer updates.
     */
    static boolean pretrainingCurve(Path run, Object kind) throws IOException {
        if (!"dmpo-pretrain".equals(kind) || Files.exists(run.resolve("eval.json"))) return false;
        return RunDirectory.readLines(run.resolve(RunDirectory.METRICS)).stream().anyMatch(m -> m.get("eval_return") instanceof Number);
    }

    /**
     * One run's evaluation points. Fine-tuning and PPO: x = env steps, time = rollout + update seconds (evaluations
     * excluded, the same for every method). Pre-training ({@code pretraining}): x = optimizer updates, time = the
     * epochs' seconds (their checkpoint rollouts included).
     */
    static Curve read(Path run, boolean pretraining) throws IOException {
        String name = run.toAbsolutePath().normalize().getFileName().toString();
        String method = name.replaceAll("-s\\d+$", "");
        TreeMap<Integer, double[]> pts = new TreeMap<>();
        double seconds = 0;
        boolean success = false;
        for (Map<String, Object> m : RunDirectory.readLines(run.resolve(RunDirectory.METRICS))) {
            seconds += pretraining ? num(m.get("epoch_seconds")) : num(m.get("rollout_seconds")) + num(m.get("update_seconds"));
            if (m.containsKey("eval_success_rate")) success = true;
            if (m.get("eval_return") instanceof Number r) {
                int it = ((Number) m.get("iteration")).intValue();
                pts.put(it, new double[] {num(m.getOrDefault(pretraining ? "step" : "env_steps", 0)), seconds, r.doubleValue()});
            }
        }
        return new Curve(method, pts, success);
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : 0;
    }

    static void write(List<Curve> curves, Path dir, List<Path> runs, boolean pretraining) throws IOException {
        Map<String, List<Curve>> by = new LinkedHashMap<>();
        for (Curve c : curves) by.computeIfAbsent(c.method(), k -> new ArrayList<>()).add(c);
        boolean success = !curves.isEmpty() && curves.stream().allMatch(Curve::success);
        if (!success && curves.stream().anyMatch(Curve::success)) {
            throw new UserError("give runs of sparse-success tasks (success rates) or of return tasks, not both", 2);
        }
        String measure = success ? "success rate" : "return";
        String xName = pretraining ? "updates" : "env steps";
        XYChart vsSteps = chart("Noise-free evaluation " + measure + " vs " + xName + " (mean over seeds)", xName, measure);
        XYChart vsWall = chart("Noise-free evaluation " + measure + " vs training wall time (mean over seeds)", "wall time (s)", measure);
        double[] thresholds = success ? new double[] {0.5, 0.7, 0.9, 0.95} : new double[] {1500, 2000, 2500, 3000};
        String v = success ? "%.3f" : "%.0f"; // how a value of the measure is written
        StringBuilder b = new StringBuilder(pretraining ? "# Stage 1: pre-training curves (checkpoints scored by rollouts)\n\n"
                : "# Stage 2: fine-tuning learning curves\n\n");
        b.append("Made by `dmpo report` at commit ").append(Provenance.gitCommit()).append(" from ").append(runs.size()).append(" runs.\n\n");
        b.append("| method | seeds | start | final (± stderr) | best | ").append(xName).append(" | wall (s) |");
        for (double t : thresholds) b.append(String.format(Locale.ROOT, " wall to " + v + " (s) |", t));
        b.append("\n|---|---|---|---|---|---|---|").append("---|".repeat(thresholds.length)).append("\n");
        for (var e : by.entrySet()) {
            List<Curve> cs = e.getValue();
            TreeMap<Integer, double[]> mean = new TreeMap<>(); // iteration → sums of steps, seconds, return; count
            for (Curve c : cs) {
                for (var p : c.points().entrySet()) {
                    double[] acc = mean.computeIfAbsent(p.getKey(), k -> new double[4]);
                    for (int j = 0; j < 3; j++) acc[j] += p.getValue()[j];
                    acc[3]++;
                }
            }
            List<Double> x = new ArrayList<>(), w = new ArrayList<>(), y = new ArrayList<>();
            for (double[] acc : mean.values()) {
                if (acc[3] < cs.size()) continue; // only points every seed reached
                x.add(acc[0] / acc[3]);
                w.add(acc[1] / acc[3]);
                y.add(acc[2] / acc[3]);
            }
            if (!x.isEmpty()) {
                vsSteps.addSeries(e.getKey(), x, y);
                vsWall.addSeries(e.getKey(), w, y);
            }
            double[] start = cs.stream().mapToDouble(c -> c.points().isEmpty() ? Double.NaN : c.points().firstEntry().getValue()[2]).toArray();
            double[] fin = cs.stream().mapToDouble(c -> c.points().isEmpty() ? Double.NaN : c.points().lastEntry().getValue()[2]).toArray();
            double[] best = cs.stream().mapToDouble(c -> c.points().values().stream().mapToDouble(p -> p[2]).max().orElse(Double.NaN)).toArray();
            double[] steps = cs.stream().mapToDouble(c -> c.points().isEmpty() ? Double.NaN : c.points().lastEntry().getValue()[0]).toArray();
            double[] wall = cs.stream().mapToDouble(c -> c.points().isEmpty() ? Double.NaN : c.points().lastEntry().getValue()[1]).toArray();
            String finals = cs.size() > 1 ? String.format(Locale.ROOT, v + " ± " + v, mean(fin), stderr(fin))
                    : String.format(Locale.ROOT, v, mean(fin));
            b.append(String.format(Locale.ROOT, "| %s | %d | " + v + " | %s | " + v + " | %.0f | %.0f |", e.getKey(), cs.size(),
                    mean(start), finals, mean(best), mean(steps), mean(wall)));
            for (double t : thresholds) {
                List<Double> reach = new ArrayList<>();
                for (Curve c : cs) {
                    c.points().values().stream().filter(p -> p[2] >= t).findFirst().ifPresent(p -> reach.add(p[1]));
                }
                b.append(reach.isEmpty() ? " — |" : String.format(Locale.ROOT, " %.0f (%d/%d) |",
                        reach.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN), reach.size(), cs.size()));
            }
            b.append("\n");
        }
        b.append(pretraining
                ? "\n`start` is the first scored checkpoint, `final` the last; `updates` optimizer steps; wall time counts the epochs "
                + "with their checkpoint rollouts; `wall to R` the mean time of the seeds that reached R (how many, of all).\n\n"
                : "\n`start` is the first evaluation (iteration 0 = the pre-trained policy for fine-tuning runs); `final` the last; "
                + "`wall to R` the mean training time of the seeds that reached R (how many, of all).\n\n");
        String stepsPng = pretraining ? "curves_updates.png" : "curves_env_steps.png";
        b.append("![" + measure + " vs " + xName + "](" + stepsPng + ")\n\n![" + measure + " vs wall time](curves_wall.png)\n");
        ReportCommand.png(dir.resolve(stepsPng), vsSteps);
        ReportCommand.png(dir.resolve("curves_wall.png"), vsWall);
        AtomicFiles.writeString(dir.resolve("summary.md"), b.toString());
    }

    private static XYChart chart(String title, String xTitle, String measure) {
        XYChart c = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle)
                .yAxisTitle(measure.equals("return") ? "episode return" : measure).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        return c;
    }

    private static double mean(double[] x) {
        return MeanStderr.of(x).mean();
    }

    private static double stderr(double[] x) {
        return MeanStderr.of(x).stderr();
    }
}
