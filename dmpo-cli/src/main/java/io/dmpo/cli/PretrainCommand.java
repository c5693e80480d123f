package io.dmpo.cli;

import io.dmpo.data.Dataset;
import io.dmpo.data.Datasets;
import io.dmpo.io.AtomicFiles;
import io.dmpo.mujoco.Tasks;
import io.dmpo.rl.TrainingDiverged;
import io.dmpo.run.Provenance;
import io.dmpo.run.RunDirectory;
import io.dmpo.run.RunException;
import io.dmpo.train.ConfigMap;
import io.dmpo.train.PretrainConfig;
import io.dmpo.train.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code dmpo pretrain}: Stage 1 (MeanFlow + dispersive, ReFlow, ShortCut) from a YAML config; see {@link Pretrainer}. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pre-train a one-step flow policy on a demonstration dataset (Stage 1). Writes a run directory with "
                + "config.json, metrics.jsonl, evals.jsonl, checkpoints/, latest, best and policy.safetensors (the best policy).")
public final class PretrainCommand implements Runnable {
    @Option(names = "--config", description = "YAML config (e.g. configs/hopper/meanflow-disp.yaml); not needed with --resume")
    Path config;
    @Option(names = "--set", paramLabel = "key=value", description = "override a config value (repeatable), e.g. --set train.epochs=5")
    List<String> overrides = new ArrayList<>();
    @Option(names = "--out", description = "run directory (default: runs/pretrain-<config name>-s<seed>)")
    Path out;
    @Option(names = "--resume", description = "continue the run in --out from its latest checkpoint")
    boolean resume;
    @Option(names = "--seed", description = "override the config's seed")
    Long seed;

    @Override
    public void run() {
        Configs.Source src = Configs.forRun("dmpo-pretrain", resume, out, config, overrides, seed,
                config != null || !overrides.isEmpty() || seed != null ? "--config/--set/--seed" : null);
        Map<String, Object> raw = src.raw();
        String source = src.name();
        PretrainConfig cfg;
        try {
            cfg = resume ? PretrainConfig.fromRecorded(raw, source) : PretrainConfig.from(new ConfigMap(raw, source));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage().startsWith(source) ? e.getMessage() : source + ": " + e.getMessage(), 2);
        }
        Path dataPath = resolveData(cfg.data());
        io.dmpo.mujoco.ArmTask arm = io.dmpo.mujoco.ArmTask.of(cfg.env());
        if (arm != null) {
            List<String> expected = io.dmpo.mujoco.ArmEnv.observationKeys(camera(cfg));
            if (!cfg.obsKeys().equals(expected) && !(cfg.obsKeys().isEmpty() && !camera(cfg).pixels())) {
                throw new UserError(source + ": obs_keys " + cfg.obsKeys() + " do not match what env '" + cfg.env() + "' observes"
                        + (camera(cfg).pixels() ? " through camera '" + cfg.camera() + "'" : "") + ": " + expected, 2);
            }
        }
        Dataset data = Datasets.open(dataPath, cfg.obsKeys());
        Tasks.Setting rollouts = null;
        if (!cfg.env().isEmpty() && !cfg.env().equals("none")) {
            Tasks.Task task = EnvCommand.userErrors(() -> {
                try {
                    return Tasks.of(cfg.env());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(source + ": env: " + e.getMessage() + ", or none");
                }
            });
            data.requireDims(task.observation(camera(cfg)).dim(), task.actDim(), task.name());
            rollouts = new Tasks.Setting(task, camera(cfg));
        }
        String name = config != null ? config.getFileName().toString().replaceAll("\\.ya?ml$", "") : cfg.algorithm();
        Path dir = out != null ? out : Path.of("runs", String.format(Locale.ROOT, "pretrain-%s-s%d", name, cfg.seed()));
        Map<String, Object> provenance = new LinkedHashMap<>();
        try {
            provenance.put("dataset", dataPath.toString());
            String sha = Provenance.sha256(dataPath);
            if (resume && RunDirectory.readConfig(dir).get("provenance") instanceof Map<?, ?> was
                    && was.get("dataset_sha256") instanceof String before && !before.equals(sha)) {
                throw new UserError(dataPath + ": changed since the run started (SHA-256 " + sha.substring(0, 12) + "…, the run "
                        + "used " + before.substring(0, Math.min(12, before.length())) + "…); resuming would train on other data", 2);
            }
            provenance.put("dataset_sha256", sha);
            provenance.put("env", cfg.env());
            if (!cfg.obsKeys().isEmpty()) provenance.put("obs_keys", String.join(",", cfg.obsKeys()));
            if (!cfg.camera().isEmpty()) provenance.put("camera", cfg.camera());
            if (cfg.network().pixel()) provenance.put("random_shift", Integer.toString(cfg.train().randomShift())); // pad, pixels
            provenance.put("git_commit", Provenance.gitCommit());
            Tasks.Setting setting = rollouts;
            boolean success = setting != null && setting.task().sparseSuccess();
            Pretrainer.Result r = new Pretrainer(cfg, data, provenance, System.err, setting == null ? null : i -> setting.make(), success)
                    .run(dir, resume);
            if (!r.finished()) {
                System.out.printf(Locale.ROOT, "pretrain %s: stopped by its session budget after epoch %d of %d (%.0f s); "
                        + "continue with: dmpo pretrain --resume --out %s%n", cfg.algorithm(), r.epochs(), cfg.train().epochs(), r.wallSeconds(), dir);
                return;
            }
            String best = !cfg.eval().on() ? String.format(Locale.ROOT, "best validation loss %.5f", r.bestValidationLoss())
                    : String.format(Locale.ROOT, "best %s %.3f over %d episodes (validation loss %.5f)", success ? "success rate" : "return",
                    r.bestEval(), cfg.eval().episodes(), r.bestValidationLoss());
            System.out.printf(Locale.ROOT, "pretrain %s: %s at epoch %d, %d epochs, %.0f s (this session) -> %s%n",
                    cfg.algorithm(), best, r.bestEpoch(), r.epochs(), r.wallSeconds(), r.policy());
        } catch (IllegalArgumentException e) { // settings that do not fit the data (image size, dimensions)
            throw new UserError(e.getMessage(), 2);
        } catch (TrainingDiverged e) {
            throw new UserError(e.getMessage() + "; stopped (the last good checkpoint stays in " + dir + ")", 1);
        } catch (RunException | io.dmpo.io.SafeTensors.SafeTensorsException e) { // a bad run directory or checkpoint
            throw new UserError(e.getMessage(), 2);
        } catch (IOException e) {
            throw new UserError(e.getMessage() != null && e.getMessage().startsWith(dir.toString()) ? e.getMessage()
                    : dir + ": " + AtomicFiles.describe(e), 1);
        }
    }

    /** The camera a pixel policy of this config observes through (the network's image size), or none. */
    static io.dmpo.mujoco.Camera camera(PretrainConfig cfg) {
        if (cfg.camera().isEmpty()) return io.dmpo.mujoco.Camera.NONE;
        return new io.dmpo.mujoco.Camera(cfg.camera(), cfg.network().width(), cfg.network().height());
    }

    /** Relative data paths are tried as given, then under the dmpo checkout (configs name data/hopper-medium.h5). */
    static Path resolveData(String data) {
        Path p = Path.of(data);
        if (p.isAbsolute() || java.nio.file.Files.exists(p)) return p;
        Path home = Path.of(System.getProperty("dmpo.home", ".")).resolve(p);
        return java.nio.file.Files.exists(home) ? home : p;
    }
}
