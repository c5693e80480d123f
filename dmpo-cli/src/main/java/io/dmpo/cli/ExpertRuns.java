package io.dmpo.cli;

import io.dmpo.env.RunningMeanStd;
import io.dmpo.io.AtomicFiles;
import io.dmpo.run.RunDirectory;
import io.dmpo.run.RunException;
import io.dmpo.nn.Pointwise;
import io.dmpo.rl.GaussianPolicy;
import io.dmpo.rl.PpoCheckpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Expert run directories written by {@code dmpo expert}: {@code config.json}, {@code metrics.jsonl},
 * {@code evals.jsonl}, {@code checkpoints/iter_NNNNNN/} and {@code latest} (the name of the newest checkpoint).
 */
final class ExpertRuns {
    private ExpertRuns() {}

    /** A policy restored from a checkpoint, ready for deterministic or noisy actions. */
    record Loaded(Path runDir, Path checkpoint, Map<String, Object> config, Map<String, Object> state,
                  GaussianPolicy policy, RunningMeanStd obsStats, double obsClip, String weightsSha256) {}

    static Map<String, Object> config(Path runDir) {
        try {
            return RunDirectory.readConfig(runDir);
        } catch (RunException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }

    /** The checkpoint {@code latest} names, or null before the first one; an unreadable pointer is an error. */
    static Path latest(Path runDir) {
        try {
            RunDirectory.Checkpoint c = RunDirectory.readPointer(runDir, RunDirectory.LATEST);
            return c == null ? null : c.path();
        } catch (RunException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (IOException e) {
            throw new UserError(runDir.resolve(RunDirectory.LATEST) + ": cannot read: " + AtomicFiles.describe(e), 2);
        }
    }

    /** Every checkpoint's evaluation record (from evals.jsonl), in training order. */
    static List<Map<String, Object>> evals(Path runDir) throws IOException {
        try {
            return RunDirectory.readLines(runDir.resolve(RunDirectory.EVALS));
        } catch (RunException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }

    static int[] ints(Object list) {
        List<?> l = (List<?>) list;
        int[] x = new int[l.size()];
        for (int i = 0; i < x.length; i++) x[i] = ((Number) l.get(i)).intValue();
        return x;
    }

    static GaussianPolicy newPolicy(Map<String, Object> cfg, int obsDim, int actDim, double[] low, double[] high) {
        int[] hidden = ints(cfg.get("hidden"));
        Pointwise act = Pointwise.valueOf(String.valueOf(cfg.get("activation")));
        return new GaussianPolicy(obsDim, actDim, hidden, act, low, high, ((Number) cfg.get("log_std_init")).doubleValue());
    }

    /**
     * Loads a policy from {@code path}: a run directory (its latest checkpoint, or {@code checkpointName} under it) or a
     * checkpoint directory inside a run.
     */
    @SuppressWarnings("unchecked")
    static Loaded load(Path path, String checkpointName, int obsDim, int actDim, double[] low, double[] high) {
        Path runDir, ckpt;
        if (Files.isRegularFile(path.resolve("state.json"))) {
            ckpt = path;
            runDir = path.toAbsolutePath().getParent().getParent();
        } else {
            runDir = path;
            ckpt = checkpointName != null ? path.resolve("checkpoints").resolve(checkpointName) : latest(path);
            if (ckpt == null || !Files.isDirectory(ckpt)) {
                throw new UserError(path + ": no checkpoint " + (checkpointName != null ? "'" + checkpointName + "'" : "yet")
                        + " (expected " + path.resolve("checkpoints") + "/iter_*)", 2);
            }
        }
        Map<String, Object> cfg = config(runDir);
        GaussianPolicy policy = newPolicy(cfg, obsDim, actDim, low, high);
        Map<String, Object> ppo = (Map<String, Object>) cfg.get("ppo");
        boolean norm = Boolean.TRUE.equals(ppo.get("normalizeObs"));
        RunningMeanStd stats = norm ? new RunningMeanStd(obsDim) : null;
        try {
            Map<String, Object> st = PpoCheckpoint.load(ckpt, policy.params(), null, null, null, stats, null);
            byte[] w = Files.readAllBytes(ckpt.resolve("weights.safetensors"));
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(w));
            return new Loaded(runDir, ckpt, cfg, st, policy, stats, ((Number) ppo.get("obsClip")).doubleValue(), sha);
        } catch (IOException e) {
            throw new UserError(ckpt + ": cannot load checkpoint: " + e.getMessage(), 2);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
