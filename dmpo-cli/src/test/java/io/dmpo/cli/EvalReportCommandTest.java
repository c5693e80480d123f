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
}
