package io.dmpo.sweep;

import io.dmpo.cli.Main;
import io.dmpo.data.ArrayDataset;
import io.dmpo.data.D4rl;
import io.dmpo.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code dmpo sweep} in local mode on a small Hopper-shaped dataset: every run once, each identical to the same
 * commands run by hand; a lost attempt retried by Spark; a rerun keeps finished runs and resumes an interrupted one.
 */
class SweepTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run sweep(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            var cl = SweepMain.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Run(code, buf.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    static int dmpo(String... args) {
        return Main.commandLine().execute(args);
    }

    /** 4 episodes of 100 steps, obs 11 and act 3 as Hopper's, actions a smooth function of the observation. */
    private Path data() throws Exception {
        int n = 400, od = 11, ad = 3;
        SplittableRandom rng = new SplittableRandom(11);
        float[] o = new float[n * od], a = new float[n * ad], r = new float[n];
        boolean[] term = new boolean[n], tmo = new boolean[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < od; j++) o[i * od + j] = (float) ((j == 0 ? 1.25 : 0) + 0.1 * Math.sin(0.05 * i + j) + 0.02 * rng.nextGaussian());
            for (int j = 0; j < ad; j++) a[i * ad + j] = (float) Math.tanh(5 * o[i * od + 1 + j]);
            r[i] = 1;
            if (i % 100 == 99) tmo[i] = true;
        }
        Path f = tmp.resolve("hopper-like.h5");
        D4rl.write(f, new ArrayDataset("hopper-like", "memory", od, ad, o, a, r, term, tmo, null, Map.of()), Map.of("env", "hopper"));
        return f;
    }

    private Path config(Path dir, String algorithm, Path data) throws Exception {
        Files.createDirectories(dir);
        Path c = dir.resolve(algorithm + ".yaml");
        Files.writeString(c, """
                algorithm: %s
                data: %s
                env: hopper
                seed: 0
                threads: 2
                horizon: 4
                act_steps: 4
                network: {cond_hidden: 16, cond_dim: 8, time_dim: 8, hidden: 32, blocks: 1}
                train: {epochs: 2, batch_size: 32, lr: 1.0e-3, lr_min: 1.0e-4, warmup_epochs: 1, val_fraction: 0.25, val_batches: 2}
                dispersive: {kind: infonce_l2, weight: 0.5, temperature: 0.5}
                """.formatted(algorithm, data));
        return c;
    }

    private static List<Map<String, Object>> lines(Path f) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(l);
            m.remove("epoch_seconds");
            out.add(m);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> returns(Path run) throws Exception {
        Map<String, Object> e = (Map<String, Object>) Json.parse(Files.readString(run.resolve("eval.json")));
        List<Object> out = new ArrayList<>();
        for (Object r : (List<Object>) e.get("results")) out.add(((Map<String, Object>) r).get("return_mean"));
        return out;
    }

    @Test
    void aLocalSweepRunsEveryCellOnceAsTheCommandsWouldAndPicksUpWhereItStopped() throws Exception {
        Path data = data(), configs = tmp.resolve("configs").resolve("toy");
        Path mf = config(configs, "meanflow", data), rf = config(configs, "reflow", data);
        Path grid = tmp.resolve("grid.yaml"), out = tmp.resolve("sweep");
        Files.writeString(grid, """
                name: toy
                configs: [%s, %s]
                seeds: [0, 1]
                threads: 1
                eval: {steps: [1, 2], episodes: 2, envs: 2}
                """.formatted(mf, rf));
        String lost = "toy-reflow-s0";
        System.setProperty(GridRun.LOSE_PROPERTY, lost);
        Run r;
        try {
            r = sweep("--grid", grid.toString(), "--out", out.toString(), "--master", "local[2]");
        } finally {
            System.clearProperty(GridRun.LOSE_PROPERTY);
        }
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> rows = lines(out.resolve("results.jsonl"));
        assertEquals(List.of("toy-meanflow-s0", "toy-meanflow-s1", "toy-reflow-s0", "toy-reflow-s1"),
                rows.stream().map(m -> m.get("run")).toList(), "one row per run, in grid order");
        for (Map<String, Object> row : rows) {
            assertEquals("ok", row.get("status"), row.toString());
            assertEquals(row.get("run").equals(lost) ? 1 : 0, ((Number) row.get("attempt")).intValue(), row.toString());
            assertEquals(2, ((Map<String, Object>) row.get("eval")).size());
        }
        assertEquals("done before", rows.get(2).get("pretrain"), "the retry found the lost attempt's finished pre-training");
        assertTrue(Files.isRegularFile(out.resolve("report/summary.md")));
        assertTrue(Files.isRegularFile(out.resolve("sweep.json")));

        // a cell is exactly what the commands give by hand
        Path direct = tmp.resolve("direct");
        assertEquals(0, dmpo("pretrain", "--config", mf.toString(), "--seed", "1", "--set", "threads=1", "--out", direct.toString()));
        assertEquals(0, dmpo("eval", direct.toString(), "--steps", "1,2", "--episodes", "2", "--envs", "2", "--threads", "1", "--json"));
        Path cell = out.resolve("toy-meanflow-s1");
        assertEquals(lines(direct.resolve("metrics.jsonl")), lines(cell.resolve("metrics.jsonl")));
        assertEquals(returns(direct), returns(cell));
        assertArrayEquals(weightsOf(direct), weightsOf(cell), "the same weights, Adam moments and EMA");

        // rerun: nothing is redone; an interrupted run (its latest checkpoint epoch 1, no summary yet) resumes
        List<Map<String, Object>> before = lines(cell.resolve("metrics.jsonl"));
        Path interrupted = out.resolve("toy-meanflow-s0");
        List<Map<String, Object>> whole = lines(interrupted.resolve("metrics.jsonl"));
        Files.delete(interrupted.resolve("summary.json"));
        Files.delete(interrupted.resolve("eval.json"));
        Files.writeString(interrupted.resolve("latest"), "iter_000001\n");
        r = sweep("--grid", grid.toString(), "--out", out.toString(), "--master", "local[2]");
        assertEquals(0, r.code(), r.err());
        rows = lines(out.resolve("results.jsonl"));
        assertEquals(List.of("resumed", "done before", "done before", "done before"), rows.stream().map(m -> m.get("pretrain")).toList());
        assertEquals(whole, lines(interrupted.resolve("metrics.jsonl")), "the resumed run is the uninterrupted one, each epoch once");
        assertEquals(before, lines(cell.resolve("metrics.jsonl")));
    }

    private static byte[] weightsOf(Path run) throws Exception {
        return Files.readAllBytes(run.resolve("checkpoints/iter_000002/train_state.safetensors"));
    }

    @Test
    void badGridsAndRunsAreOneLineErrors() throws Exception {
        Path grid = tmp.resolve("bad.yaml");
        Files.writeString(grid, "name: x\nconfig: [a.yaml]\n");
        Run r = sweep("--grid", grid.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("dmpo: error: ") && r.err().contains("unknown key 'config'") && r.err().strip().lines().count() == 1, r.err());
        Files.writeString(grid, "configs: [" + tmp.resolve("missing.yaml") + "]\n");
        r = sweep("--grid", grid.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
        r = sweep("--grid", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("is a directory"), r.err());
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        r = sweep("--grid", grid.toString(), "--out", file.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("exists and is not a directory"), r.err());
        r = sweep("--grid", grid.toString(), "--master", "yarn");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--master must be"), r.err());

        // a run whose config is bad input fails alone, with its error in its row (no retries: it would fail again)
        Path data = data(), configs = tmp.resolve("c").resolve("toy");
        Path good = config(configs, "meanflow", data), bad = configs.resolve("typo.yaml");
        Files.writeString(bad, Files.readString(good).replace("dispersive:", "dispersve:"));
        Files.writeString(grid, "configs: [" + good + ", " + bad + "]\nset: {train.epochs: 1}\neval: {steps: [1], episodes: 1, envs: 1}\n");
        Path out = tmp.resolve("partly");
        r = sweep("--grid", grid.toString(), "--out", out.toString(), "--master", "local[2]");
        assertEquals(Main.FAILURE, r.code(), r.err());
        List<Map<String, Object>> rows = lines(out.resolve("results.jsonl"));
        assertEquals("ok", rows.get(0).get("status"));
        assertEquals("error", rows.get(1).get("status"));
        assertEquals(0, ((Number) rows.get(1).get("attempt")).intValue());
        assertTrue(String.valueOf(rows.get(1).get("error")).contains("unknown key 'dispersve'"), rows.get(1).toString());
    }
}
