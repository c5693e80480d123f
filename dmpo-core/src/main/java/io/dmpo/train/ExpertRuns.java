package io.dmpo.train;

import io.dmpo.env.RunningMeanStd;
import io.dmpo.io.AtomicFiles;
import io.dmpo.rl.GaussianPolicy;
import io.dmpo.rl.Ppo;
import io.dmpo.rl.PpoCheckpoint;
import io.dmpo.run.Provenance;
import io.dmpo.run.RunDirectory;
import io.dmpo.run.RunException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reading expert run directories ({@link ExpertTrainer}'s): {@code config.json}, {@code evals.jsonl},
 * {@code checkpoints/iter_NNNNNN/} and the {@code latest} pointer. Problems are {@link RunException}s naming the file.
 */
public final class ExpertRuns {
    private ExpertRuns() {}

    /** A policy restored from a checkpoint; {@link #observations()} maps raw env observations to its input. */
    public record Loaded(Path runDir, Path checkpoint, ExpertConfig config, Map<String, Object> runConfig,
                         Map<String, Object> state, GaussianPolicy policy, RunningMeanStd obsStats, String weightsSha256) {
        public Ppo.ObservationMap observations() {
            return Ppo.ObservationMap.running(obsStats, config.ppo().obsClip);
        }

        public long iteration() {
            return ((Number) state.get("iteration")).longValue();
        }

        public double evalReturn() {
            return ((Number) state.get("eval_return")).doubleValue();
        }
    }

    /** The run directory of {@code path}: itself, or the run holding the checkpoint directory {@code path}. */
    public static Path runDirOf(Path path) {
        return Files.isRegularFile(path.resolve("state.json")) ? path.toAbsolutePath().getParent().getParent() : path;
    }

    public static ExpertConfig config(Path runDir) {
        try {
            return ExpertConfig.ofRun(RunDirectory.readConfig(runDir), runDir.resolve(RunDirectory.CONFIG).toString());
        } catch (IllegalArgumentException e) {
            throw new RunException(e.getMessage());
        }
    }

    /** Every checkpoint's evaluation record (from evals.jsonl), in training order. */
    public static List<Map<String, Object>> evals(Path runDir) {
        try {
            return RunDirectory.readLines(runDir.resolve(RunDirectory.EVALS));
        } catch (IOException e) {
            throw new RunException(runDir.resolve(RunDirectory.EVALS) + ": cannot read: " + AtomicFiles.describe(e));
        }
    }

    public static double evalReturn(Map<String, Object> evalRecord) {
        if (!(evalRecord.get("eval_return") instanceof Number r)) throw new RunException("an evaluation record without eval_return: " + evalRecord);
        return r.doubleValue();
    }

    /** The best deterministic evaluation return of the run. */
    public static double bestEval(Path runDir) {
        return evals(runDir).stream().mapToDouble(ExpertRuns::evalReturn).max()
                .orElseThrow(() -> new RunException(runDir + ": the expert run has no evaluations (evals.jsonl)"));
    }

    /**
     * The checkpoint for a data quality (docs/environments.md, "Data"): {@code expert} = the best-evaluated one;
     * {@code medium} = the earliest whose evaluation is within [1/3, 1/2] of the best (else the one closest to 40 %).
     */
    public static String checkpointFor(Path runDir, String quality) {
        List<Map<String, Object>> evals = evals(runDir);
        if (evals.isEmpty()) throw new RunException(runDir + ": no evaluated checkpoints (evals.jsonl is empty or missing)");
        for (Map<String, Object> e : evals) {
            if (!(e.get("checkpoint") instanceof String) || !(e.get("eval_return") instanceof Number)) {
                throw new RunException(runDir.resolve(RunDirectory.EVALS) + ": a record without checkpoint or eval_return: " + e);
            }
        }
        Map<String, Object> best = evals.get(0);
        for (Map<String, Object> e : evals) if (evalReturn(e) > evalReturn(best)) best = e;
        if (quality.equals("expert")) return (String) best.get("checkpoint");
        if (!quality.equals("medium")) throw new IllegalArgumentException("quality must be expert or medium, not '" + quality + "'");
        double b = evalReturn(best);
        for (Map<String, Object> e : evals) {
            if (evalReturn(e) >= b / 3 && evalReturn(e) <= b / 2
                    && Files.isDirectory(runDir.resolve("checkpoints").resolve((String) e.get("checkpoint")))) {
                return (String) e.get("checkpoint");
            }
        }
        Map<String, Object> closest = null;
        for (Map<String, Object> e : evals) {
            if (closest == null || Math.abs(evalReturn(e) - 0.4 * b) < Math.abs(evalReturn(closest) - 0.4 * b)) closest = e;
        }
        return (String) closest.get("checkpoint");
    }

    /**
     * Loads a policy from {@code path}: a run directory (its latest checkpoint, or {@code checkpointName} under it) or a
     * checkpoint directory inside a run; the env's sizes and action range build the network.
     */
    public static Loaded load(Path path, String checkpointName, int obsDim, int actDim, double[] low, double[] high) {
        Path runDir = runDirOf(path), ckpt;
        if (!runDir.equals(path)) {
            ckpt = path;
        } else {
            ckpt = checkpointName != null ? path.resolve("checkpoints").resolve(checkpointName) : latest(path);
            if (ckpt == null || !Files.isDirectory(ckpt)) {
                throw new RunException(path + ": no checkpoint " + (checkpointName != null ? "'" + checkpointName + "'" : "yet")
                        + " (expected " + path.resolve("checkpoints") + "/iter_*)");
            }
        }
        Map<String, Object> raw = RunDirectory.readConfig(runDir);
        ExpertConfig cfg = config(runDir);
        GaussianPolicy policy = new GaussianPolicy(obsDim, actDim, cfg.hidden(), cfg.activation(), low, high, cfg.logStdInit());
        RunningMeanStd stats = cfg.ppo().normalizeObs ? new RunningMeanStd(obsDim) : null;
        try {
            Map<String, Object> st = PpoCheckpoint.load(ckpt, policy.params(), null, null, null, stats, null);
            return new Loaded(runDir, ckpt, cfg, raw, st, policy, stats, Provenance.sha256(ckpt.resolve("weights.safetensors")));
        } catch (IOException e) {
            throw new RunException(ckpt + ": cannot load checkpoint: " + (e.getMessage() == null ? AtomicFiles.describe(e) : e.getMessage()));
        }
    }

    /** The checkpoint {@code latest} names, or null before the first one; an unreadable pointer is an error. */
    private static Path latest(Path runDir) {
        try {
            RunDirectory.Checkpoint c = RunDirectory.readPointer(runDir, RunDirectory.LATEST);
            return c == null ? null : c.path();
        } catch (IOException e) {
            throw new RunException(runDir.resolve(RunDirectory.LATEST) + ": cannot read: " + AtomicFiles.describe(e));
        }
    }
}
