package io.dmpo.cli;

import io.dmpo.eval.Evaluator;
import io.dmpo.io.AtomicFiles;
import io.dmpo.run.RunDirectory;
import io.dmpo.train.MainJob;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The main job's report ({@code <run>/report/}): the fine-tuning curve, the one-step return (a sparse-success task's
 * success rate) before and after on the same episodes, latency vs return, and {@code summary.md} with every number of
 * {@code result.json}.
 */
final class MainJobReport {
    private MainJobReport() {}

    static void write(Path dir, String task, MainJob.Result r) throws IOException {
        report(dir, task, r.record(dir), r.pretrained(), r.pretrainedLatencyMicros(), r.finetuned(), r.finetunedLatencyMicros(),
                r.successReward());
    }

    private static void report(Path dir, String task, Map<String, Object> d, Map<Integer, Evaluator.Episodes> before,
                               Map<Integer, Double> latency, Evaluator.Episodes after, double latencyTuned, boolean success) throws IOException {
        String what = success ? "success rate" : "return", axis = success ? "success rate" : "episode return";
        Path rep = dir.resolve("report");
        Files.createDirectories(rep);
        List<Map<String, Object>> metrics = RunDirectory.readLines(dir.resolve("finetune").resolve(RunDirectory.METRICS));
        XYChart curve = new XYChartBuilder().width(900).height(560).title("Fine-tuning at K = 1: noise-free evaluation " + what)
                .xAxisTitle("env steps").yAxisTitle(axis).build();
        curve.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        List<Double> x = new ArrayList<>(), y = new ArrayList<>(), tx = new ArrayList<>(), ty = new ArrayList<>();
        for (Map<String, Object> m : metrics) {
            double steps = ((Number) m.getOrDefault("env_steps", 0)).doubleValue();
            if (m.get("eval_return") instanceof Number r) {
                x.add(steps);
                y.add(r.doubleValue());
            }
            // a success task's training curve is its rollouts' success rate (its return may count solved steps)
            if (m.get(success ? "episode_success" : "episode_return") instanceof Number r && Double.isFinite(r.doubleValue())) {
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

        CategoryChart bars = new CategoryChartBuilder().width(700).height(500).title("One-step " + what + ", same " + after.returns().length + " episodes")
                .yAxisTitle(axis + " (mean ± stderr)").build();
        bars.getStyler().setLegendVisible(false);
        bars.addSeries(what, List.of("pre-trained", "fine-tuned"), List.of(before.get(1).mean(), after.mean()),
                List.of(before.get(1).stderr(), after.stderr()));
        ReportCommand.png(rep.resolve("returns.png"), bars);

        XYChart lat = new XYChartBuilder().width(900).height(560).title("Latency vs " + what + " (batch-1, this CPU)")
                .xAxisTitle("latency per action (µs)").yAxisTitle(axis).build();
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
        b.append("\nPre-trained sweep (same episodes):\n\n| K | " + what + " | stderr | latency (µs) |\n|---|---|---|---|\n");
        for (var e : before.entrySet()) {
            b.append(String.format(Locale.ROOT, success ? "| %d | %.2f | %.2f | %.1f |%n" : "| %d | %.1f | %.1f | %.1f |%n", e.getKey(),
                    e.getValue().mean(), e.getValue().stderr(), latency.get(e.getKey())));
        }
        b.append("\n![fine-tuning curve](finetune_curve.png)\n\n![returns](returns.png)\n\n![latency vs return](latency_vs_return.png)\n");
        AtomicFiles.writeString(rep.resolve("summary.md"), b.toString());
    }
}
