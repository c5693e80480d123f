package io.dmpo.cli;

import io.dmpo.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.dmpo.cli.EnvCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** pretrain (one short epoch on the bundled Hopper data) → eval (step sweep JSON) → report (table and plots). */
class EvalReportCommandTest {
    @Test
    @SuppressWarnings("unchecked")
    void evalSweepAndReport(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, """
                algorithm: meanflow
                data: %s
                env: hopper
                threads: 1
                network: {cond_hidden: 16, cond_dim: 8, time_dim: 8, hidden: 32}
                train: {epochs: 1, batch_size: 512, warmup_epochs: 0, val_batches: 1}
                dispersive: {kind: infonce_l2, weight: 0.5}
                """.formatted(Path.of("..", "data", "hopper-medium.h5").toAbsolutePath()));
        Path dir = tmp.resolve("runs").resolve("tiny-s0");
        var r = run("pretrain", "--config", cfg.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());

        r = run("eval", dir.toString(), "--steps", "1,2", "--episodes", "3", "--envs", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> e = (Map<String, Object>) Json.parse(r.out().strip());
        List<Map<String, Object>> results = (List<Map<String, Object>>) e.get("results");
        assertEquals(List.of(1L, 2L), results.stream().map(x -> x.get("steps")).toList());
        for (Map<String, Object> x : results) {
            for (String k : new String[] {"return_mean", "return_stderr", "episode_length", "latency_us"}) {
                assertTrue(x.get(k) instanceof Number n && Double.isFinite(n.doubleValue()) && n.doubleValue() >= 0 || k.equals("return_mean"), k + " " + x);
            }
            assertTrue(((Number) x.get("episode_length")).doubleValue() >= 1);
        }
        double rank = ((Number) e.get("effective_rank")).doubleValue();
        assertTrue(rank > 0 && rank <= 8, "effective rank within [0, cond_dim]: " + rank);
        assertEquals("hopper", e.get("env"));
        assertEquals(3L, e.get("episodes"));
        assertTrue(Files.isRegularFile(dir.resolve("eval.json")));
        // episodes are seeded: the same sweep again gives the same returns (latencies differ)
        var again = (Map<String, Object>) Json.parse(run("eval", dir.toString(), "--steps", "1,2", "--episodes", "3", "--envs", "3", "--json").out().strip());
        List<Object> r1 = results.stream().map(x -> x.get("return_mean")).toList();
        List<Object> r2 = ((List<Map<String, Object>>) again.get("results")).stream().map(x -> x.get("return_mean")).toList();
        assertEquals(r1, r2, "results must not depend on --envs");

        Path report = tmp.resolve("report");
        r = run("report", dir.toString(), "--out", report.toString());
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(report.resolve("summary.md"));
        assertTrue(md.contains("| MeanFlow+disp (DMPO) | 1 |"), md);
        for (String png : new String[] {"return_vs_steps.png", "latency_vs_return.png", "loss_curves.png", "effective_rank.png"}) {
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(report.resolve(png)), 4);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, png);
        }
        r = run("eval", tmp.toString(), "--steps", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no such policy file"), r.err());
        r = run("report", tmp.resolve("runs").toString());
        assertEquals(2, r.code());
    }

    /** The targets' DMPO-vs-ReFlow line: a ratio for a positive ReFlow return, the two returns when it is not. */
    @Test
    void reflowTargetNeedsNoRatioToANegativeReturn() {
        java.util.function.BiFunction<Double, Double, String> targets = (dmpo, reflow) -> ReportCommand.targets(
                new io.dmpo.eval.SweepSummary(List.of(summaryRun("MeanFlow+disp (DMPO)", dmpo), summaryRun("ReFlow", reflow))), Map.of(), 1);
        assertTrue(targets.apply(1200.0, 800.0).contains("- DMPO 1-step / ReFlow 1-step = 1.50 (target ≥ 1.2): met"));
        assertTrue(targets.apply(900.0, 800.0).contains("= 1.13 (target ≥ 1.2): missed"));
        String negative = targets.apply(1456.0, -191.0);
        assertTrue(negative.contains("- DMPO 1-step 1456 vs ReFlow 1-step -191 (target ≥ 1.2×; no ratio to a non-positive return): met"), negative);
        assertTrue(targets.apply(-300.0, -191.0).contains("): missed"));
    }

    private static io.dmpo.eval.SweepSummary.Run summaryRun(String method, double ret) {
        return io.dmpo.eval.SweepSummary.fromEval(method, 0, Map.of("results",
                List.of(Map.of("steps", 1, "return_mean", ret, "latency_us", 50.0)), "effective_rank", 10.0));
    }
}
