package io.dmpo.cli;

import io.dmpo.data.ArrayDataset;
import io.dmpo.data.D4rl;
import io.dmpo.io.Json;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.dmpo.cli.EnvCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** dmpo pretrain on a small synthetic dataset: artifacts, determinism, resume, and one-line config and data errors. */
class PretrainCommandTest {
    @TempDir
    Path tmp;

    /** 6 episodes of 100 steps, obs 4, act 2: actions are a smooth function of the observation. */
    private Path data() throws Exception {
        int n = 600, od = 4, ad = 2;
        SplittableRandom rng = new SplittableRandom(2);
        float[] o = new float[n * od], a = new float[n * ad], r = new float[n];
        boolean[] term = new boolean[n], tmo = new boolean[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < od; j++) o[i * od + j] = (float) (Math.sin(0.05 * i + j) + 0.1 * rng.nextGaussian());
            a[i * ad] = (float) Math.tanh(o[i * od] + o[i * od + 1]);
            a[i * ad + 1] = (float) Math.tanh(o[i * od + 2] - o[i * od + 3]);
            r[i] = 1;
            if (i % 100 == 99) tmo[i] = true;
        }
        Path f = tmp.resolve("toy.h5");
        D4rl.write(f, new ArrayDataset("toy", "memory", od, ad, o, a, r, term, tmo, null, Map.of()), Map.of("env", "toy"));
        return f;
    }

    private Path config(Path data, String algorithm, String extra) throws Exception {
        Path c = tmp.resolve(algorithm + ".yaml");
        Files.writeString(c, """
                algorithm: %s
                data: %s
                env: none
                seed: 3
                threads: 1
                horizon: 4
                act_steps: 2
                network: {cond_hidden: 16, cond_dim: 8, time_dim: 8, hidden: 32, blocks: 1}
                train: {epochs: 3, batch_size: 32, lr: 1.0e-3, lr_min: 1.0e-4, warmup_epochs: 1, val_fraction: 0.2, val_batches: 2}
                dispersive: {kind: infonce_l2, weight: 0.5, temperature: 0.5}
                %s
                """.formatted(algorithm, data, extra));
        return c;
    }

    private static List<String> metricsWithoutTimes(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            m.remove("epoch_seconds");
            out.add(Json.write(m));
        }
        return out;
    }

    @Test
    void trainsEveryAlgorithmDeterministicallyAndResumesBitForBit() throws Exception {
        Path data = data();
        for (String algorithm : new String[] {"meanflow", "reflow", "shortcut"}) {
            Path cfg = config(data, algorithm, "");
            Path a = tmp.resolve(algorithm + "-a"), b = tmp.resolve(algorithm + "-b");
            var r = run("pretrain", "--config", cfg.toString(), "--out", a.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(0, run("pretrain", "--config", cfg.toString(), "--out", b.toString()).code());
            assertEquals(3, metricsWithoutTimes(a).size());
            assertEquals(metricsWithoutTimes(a), metricsWithoutTimes(b), algorithm + ": same seed and threads => same metrics");
            for (String f : new String[] {"config.json", "evals.jsonl", "latest", "best", "policy.safetensors",
                    "checkpoints/iter_000003/policy.safetensors", "checkpoints/iter_000003/train_state.safetensors"}) {
                assertTrue(Files.exists(a.resolve(f)), algorithm + ": " + f);
            }
            FlowPolicy p = PolicyFile.load(a.resolve("policy.safetensors"));
            assertEquals(algorithm, p.spec().algorithm());
            assertEquals(2, p.actSteps());
            assertEquals(4, p.spec().horizon());
            assertTrue(String.valueOf(p.spec().provenance().get("dataset_sha256")).matches("[0-9a-f]{64}"));
            double[][] act = p.act(new double[][] {{0.1, -0.2, 0.3, 0.0}}, new SplittableRandom(1));
            assertEquals(2, act.length);
            assertEquals(2, act[0].length);

            // an interrupted run (2 of 3 epochs) resumed to the end equals the uninterrupted one
            Path c = tmp.resolve(algorithm + "-c");
            assertEquals(0, run("pretrain", "--config", cfg.toString(), "--out", c.toString(), "--set", "train.epochs=3").code());
            Files.delete(c.resolve("latest"));
            Files.writeString(c.resolve("latest"), "iter_000002\n");
            r = run("pretrain", "--resume", "--out", c.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(metricsWithoutTimes(a), metricsWithoutTimes(c), algorithm + ": resumed run differs");
            assertArrayEquals(Files.readAllBytes(a.resolve("checkpoints/iter_000003/policy.safetensors")),
                    Files.readAllBytes(c.resolve("checkpoints/iter_000003/policy.safetensors")), algorithm + ": resumed weights differ");
        }
    }

    /**
     * {@code eval.episodes}: every checkpoint is rolled out in its env, the best is the highest mean return (not the
     * lowest validation loss), policy.safetensors is that checkpoint's policy, and {@code dmpo eval} reproduces its
     * logged return; a resumed run repeats the rollouts exactly.
     */
    @Test
    @SuppressWarnings("unchecked")
    void checkpointsScoredByRolloutsKeepTheBestPolicy() throws Exception {
        int n = 400, od = 11, ad = 3;
        SplittableRandom rng = new SplittableRandom(7);
        float[] o = new float[n * od], a = new float[n * ad], r = new float[n];
        boolean[] term = new boolean[n], tmo = new boolean[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < od; j++) o[i * od + j] = (float) ((j == 0 ? 1.25 : 0) + 0.1 * rng.nextGaussian());
            for (int j = 0; j < ad; j++) a[i * ad + j] = (float) Math.tanh(o[i * od + 1 + j] * 3 + 0.2 * rng.nextGaussian());
            r[i] = 1;
            if (i % 100 == 99) tmo[i] = true;
        }
        Path data = tmp.resolve("hopper-like.h5");
        D4rl.write(data, new ArrayDataset("hopper-like", "memory", od, ad, o, a, r, term, tmo, null, Map.of()), Map.of("env", "hopper"));
        Path cfg = config(data, "meanflow", "eval: {episodes: 3, envs: 2}");
        Path dir = tmp.resolve("scored"), again = tmp.resolve("scored-again");
        var res = run("pretrain", "--config", cfg.toString(), "--out", dir.toString(), "--set", "env=hopper", "--set", "train.epochs=4",
                "--set", "train.checkpoint_every=1");
        assertEquals(0, res.code(), res.err());
        assertTrue(res.out().contains("best return"), res.out());
        List<Map<String, Object>> evals = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("evals.jsonl"))) evals.add((Map<String, Object>) Json.parse(line));
        assertEquals(4, evals.size());
        Map<String, Object> best = evals.get(0);
        for (Map<String, Object> e : evals) {
            assertEquals(((Number) e.get("eval_return")).doubleValue(), ((Number) e.get("score")).doubleValue(), "scored by the rollouts");
            assertTrue(e.containsKey("val_loss"));
            if (((Number) e.get("score")).doubleValue() > ((Number) best.get("score")).doubleValue()) best = e;
        }
        String bestName = (String) best.get("checkpoint");
        assertEquals(bestName, Files.readString(dir.resolve("best")).strip());
        assertArrayEquals(Files.readAllBytes(dir.resolve("checkpoints/" + bestName + "/policy.safetensors")),
                Files.readAllBytes(dir.resolve("policy.safetensors")));
        Map<String, Object> summary = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("summary.json")));
        assertEquals("eval_return", summary.get("selected_by"));
        assertEquals(((Number) best.get("iteration")).longValue(), ((Number) summary.get("best_epoch")).longValue());
        assertEquals(((Number) best.get("val_loss")).doubleValue(), ((Number) summary.get("best_val_loss")).doubleValue());
        assertEquals(2_000_000L, ((Number) best.get("eval_seed")).longValue(), "chosen on start states apart from dmpo eval's default");
        // dmpo report: a run scored by checkpoint rollouts (no eval.json) gets its score-vs-updates curve
        var rep = run("report", dir.toString(), "--out", tmp.resolve("curve").toString());
        assertEquals(0, rep.code(), rep.err());
        String md = Files.readString(tmp.resolve("curve/summary.md"));
        assertTrue(md.startsWith("# Stage 1: pre-training curves"), md);
        long lastStep = ((Number) ((Map<String, Object>) Json.parse(Files.readAllLines(dir.resolve("metrics.jsonl")).getLast())).get("step")).longValue();
        double bestScore = ((Number) best.get("score")).doubleValue();
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, " | %.0f | %d |", bestScore, lastStep)), md);
        assertTrue(Files.size(tmp.resolve("curve/curves_updates.png")) > 0);
        var e = run("eval", dir.resolve("policy.safetensors").toString(), "--steps", "1", "--episodes", "3", "--seed",
                String.valueOf(best.get("eval_seed")), "--json");
        assertEquals(0, e.code(), e.err());
        Map<String, Object> result = ((List<Map<String, Object>>) EnvCommandTest.<Map<String, Object>>json(e).get("results")).get(0);
        assertEquals(((Number) best.get("eval_return")).doubleValue(), ((Number) result.get("return_mean")).doubleValue());

        // resumed from epoch 2: the same rollouts, the same metrics
        assertEquals(0, run("pretrain", "--config", cfg.toString(), "--out", again.toString(), "--set", "env=hopper", "--set", "train.epochs=4",
                "--set", "train.checkpoint_every=1").code());
        Files.delete(again.resolve("latest"));
        Files.writeString(again.resolve("latest"), "iter_000002\n");
        assertEquals(0, run("pretrain", "--resume", "--out", again.toString()).code());
        assertEquals(metricsWithoutTimes(dir), metricsWithoutTimes(again));

        var bad = run("pretrain", "--config", cfg.toString(), "--out", tmp.resolve("no-env").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("eval.episodes needs the env"), bad.err());
    }

    /**
     * {@code train.budget_minutes} ends a session at a checkpoint without a summary (an unfinished run); each
     * {@code --resume} session continues it, and the finished run equals one trained in a single session.
     */
    @Test
    void aSessionBudgetStopsAtACheckpointAndResumesToTheSameRun() throws Exception {
        Path data = data(), cfg = config(data, "meanflow", "");
        Path whole = tmp.resolve("whole"), split = tmp.resolve("split");
        assertEquals(0, run("pretrain", "--config", cfg.toString(), "--out", whole.toString()).code());
        var r = run("pretrain", "--config", cfg.toString(), "--out", split.toString(), "--set", "train.budget_minutes=1.0e-6");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("stopped by its session budget after epoch 1 of 3"), r.out());
        assertFalse(Files.exists(split.resolve("summary.json")), "an unfinished run has no summary");
        assertEquals("iter_000001", Files.readString(split.resolve("latest")).strip());
        r = run("pretrain", "--resume", "--out", split.toString());
        assertTrue(r.out().contains("after epoch 2 of 3"), r.out());
        r = run("pretrain", "--resume", "--out", split.toString());
        assertTrue(r.out().contains("best validation loss"), r.out());
        assertTrue(Files.exists(split.resolve("summary.json")));
        assertEquals(metricsWithoutTimes(whole), metricsWithoutTimes(split), "three sessions = one");
        assertArrayEquals(Files.readAllBytes(whole.resolve("checkpoints/iter_000003/train_state.safetensors")),
                Files.readAllBytes(split.resolve("checkpoints/iter_000003/train_state.safetensors")));
        r = run("pretrain", "--config", cfg.toString(), "--set", "train.budget_minutes=-1", "--out", tmp.resolve("neg").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("train.budget_minutes must be >= 0"), r.err());
        // the same by optimizer steps: a session of at most one epoch's updates (each epoch here is fewer), twice, then done
        Path byUpdates = tmp.resolve("updates");
        String perEpoch = Long.toString(stepsPerEpoch(whole));
        r = run("pretrain", "--config", cfg.toString(), "--out", byUpdates.toString(), "--set", "train.budget_updates=" + perEpoch);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("stopped by its session budget after epoch 1 of 3"), r.out());
        run("pretrain", "--resume", "--out", byUpdates.toString());
        r = run("pretrain", "--resume", "--out", byUpdates.toString());
        assertTrue(Files.exists(byUpdates.resolve("summary.json")), r.out() + r.err());
        assertEquals(metricsWithoutTimes(whole), metricsWithoutTimes(byUpdates), "three sessions by updates = one");
        r = run("pretrain", "--config", cfg.toString(), "--set", "train.budget_updates=-5", "--out", tmp.resolve("neg2").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("train.budget_updates must be >= 0"), r.err());
    }

    /** Optimizer steps per epoch of a finished run (its metrics' step count over its epochs). */
    private static long stepsPerEpoch(Path run) throws Exception {
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        Map<?, ?> first = (Map<?, ?>) Json.parse(lines.get(0));
        return ((Number) first.get("step")).longValue();
    }

    @Test
    void configAndDataErrorsAreOneLine() throws Exception {
        Path data = data();
        Path typo = config(data, "meanflow", "trian: {epochs: 2}");
        var r = run("pretrain", "--config", typo.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(typo + ": unknown key 'trian'"), r.err());
        assertFalse(Files.exists(tmp.resolve("x")));
        r = run("pretrain", "--config", config(data, "meanflow", "").toString(), "--set", "train.lr=fast", "--out", tmp.resolve("y").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'train.lr' must be a number, got 'fast'"), r.err());
        r = run("pretrain", "--config", config(data, "meanflow", "").toString(), "--set", "env=hopper", "--out", tmp.resolve("z").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("has 4 columns, env 'hopper' has obs_dim 11"), r.err());
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, "algorithm: [meanflow\n");
        r = run("pretrain", "--config", bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not valid YAML") && r.err().strip().lines().count() == 1, r.err());
        r = run("pretrain", "--config", config(data, "flowmatch", "").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("algorithm must be meanflow, reflow or shortcut"), r.err());

        r = run("pretrain", "--config", config(data, "meanflow", "").toString(), "--set", "train..lr=1", "--out", tmp.resolve("w").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("empty key"), r.err());

        // a corrupt checkpoint on --resume is a clear error
        Path d = tmp.resolve("run");
        assertEquals(0, run("pretrain", "--config", config(data, "reflow", "").toString(), "--out", d.toString(),
                "--set", "train.epochs=1").code());
        Path state = d.resolve("checkpoints/iter_000001/train_state.safetensors");
        byte[] all = Files.readAllBytes(state);
        Files.write(state, java.util.Arrays.copyOf(all, all.length / 2));
        r = run("pretrain", "--resume", "--out", d.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("truncated") && r.err().contains("train_state.safetensors"), r.err());
        // ... and so is a dataset that changed since the run started
        byte[] bytes = Files.readAllBytes(data);
        D4rl.write(data, io.dmpo.data.Datasets.open(data), Map.of("env", "toy", "edited", "yes"));
        assertFalse(java.util.Arrays.equals(bytes, Files.readAllBytes(data)));
        r = run("pretrain", "--resume", "--out", d.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("changed since the run started"), r.err());
    }
}
