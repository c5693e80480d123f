package io.dmpo.cli;

import io.dmpo.io.AtomicFiles;
import io.dmpo.mujoco.Tasks;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import io.dmpo.rl.TrainingDiverged;
import io.dmpo.run.Provenance;
import io.dmpo.run.RunDirectory;
import io.dmpo.run.RunException;
import io.dmpo.train.ConfigMap;
import io.dmpo.train.FinetuneConfig;
import io.dmpo.train.Finetuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code dmpo finetune}: Stage 2, PPO fine-tuning of a pre-trained flow policy as a noisy K-step chain; see {@link Finetuner}. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tune a pre-trained flow policy online with PPO (Stage 2). Writes a run directory with config.json, "
                + "metrics.jsonl, evals.jsonl, checkpoints/, latest, best, init_policy.safetensors and policy.safetensors "
                + "(the last evaluated policy).")
public final class FinetuneCommand implements Runnable {
    @Option(names = "--config", description = "YAML config (e.g. configs/hopper/finetune-dmpo.yaml); not needed with --resume")
    Path config;
    @Option(names = "--init", description = "the pre-trained policy: a pretrain run directory or a policy .safetensors file "
            + "(overrides the config's init)")
    Path init;
    @Option(names = "--set", paramLabel = "key=value", description = "override a config value (repeatable), e.g. --set iterations=50")
    List<String> overrides = new ArrayList<>();
    @Option(names = "--out", description = "run directory (default: runs/finetune-<config name>-s<seed>)")
    Path out;
    @Option(names = "--resume", description = "continue the run in --out from its latest checkpoint")
    boolean resume;
    @Option(names = "--seed", description = "override the config's seed")
    Long seed;
    @Option(names = "--iterations", description = "with --resume: raise the run's iteration total to N and continue to it "
            + "(runs with constant learning-rate schedules; a new run takes --set iterations=N)")
    Integer iterations;

    @Override
    public void run() {
        Configs.Source src = Configs.forRun("dmpo-finetune", resume, out, config, overrides, seed,
                config != null || init != null || !overrides.isEmpty() || seed != null ? "--config/--init/--set/--seed" : null);
        Map<String, Object> raw = src.raw();
        String source = src.name();
        if (iterations != null) {
            if (!resume) throw new UserError("--iterations raises a resumed run's total (with --resume --out); a new run takes --set iterations=N", 2);
            if (iterations < 1) throw new UserError("--iterations must be >= 1, got " + iterations, 2);
            raw.put("iterations", iterations);
        }
        if (!resume && init != null) raw.put("init", init.toString());
        FinetuneConfig cfg;
        try {
            cfg = FinetuneConfig.from(new ConfigMap(raw, source));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage().startsWith(source) ? e.getMessage() : source + ": " + e.getMessage(), 2);
        }
        String name = config != null ? config.getFileName().toString().replaceAll("\\.ya?ml$", "") : "run";
        Path dir = out != null ? out : Path.of("runs", String.format(Locale.ROOT, "finetune-%s-s%d", name, cfg.seed()));
        Path initFile = resume ? resumedInit(dir) : initPolicyFile(cfg.init(), source);
        FlowPolicy policy = loadPolicy(initFile);
        Tasks.Setting setting = EnvCommand.userErrors(() -> Tasks.forPolicy(policy, cfg.env(), initFile.toString()));
        Tasks.Task task = setting.task();
        if (cfg.successReward() != io.dmpo.env.SuccessReward.FIRST && !task.sparseSuccess()) {
            throw new UserError(source + ": success_reward " + cfg.successReward().key() + " applies to the manipulation tasks; '"
                    + task.name() + "' has a dense reward", 2);
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        try {
            provenance.put("init", initFile.toString());
            provenance.put("init_sha256", Provenance.sha256(initFile));
            provenance.put("env", task.name());
            if (setting.camera().pixels()) provenance.put("camera", setting.camera().name());
            provenance.put("git_commit", Provenance.gitCommit());
            Finetuner.Result r = new Finetuner(cfg, policy, setting::make, provenance, System.err, task.sparseSuccess()).run(dir, resume);
            System.out.printf(Locale.ROOT, task.sparseSuccess()
                            ? "finetune %s K=%d: noise-free success rate %.3f -> %.3f (best %.3f) after %d iterations, %d env steps, %.0f s%s -> %s%n"
                            : "finetune %s K=%d: noise-free eval return %.1f -> %.1f (best %.1f) after %d iterations, "
                            + "%d env steps, %.0f s%s -> %s%n", task.name(), cfg.chainSteps(), r.initialEvalReturn(), r.finalEvalReturn(),
                    r.bestEvalReturn(), r.iterations(), r.envSteps(), r.trainSeconds(), r.stoppedByBudget() ? " (budget reached)" : "",
                    r.policy());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (TrainingDiverged e) {
            throw new UserError(e.getMessage() + "; stopped (the last good checkpoint stays in " + dir + ")", 1);
        } catch (RunException | io.dmpo.io.SafeTensors.SafeTensorsException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (IOException e) {
            throw new UserError(e.getMessage() != null && e.getMessage().startsWith(dir.toString()) ? e.getMessage()
                    : dir + ": " + AtomicFiles.describe(e), 1);
        }
    }

    /**
     * The pre-trained policy of a run being resumed: its own copy, init_policy.safetensors — or, when a run was killed
     * between recording its config and writing that copy, the init file its config.json names, if it still holds the
     * recorded SHA-256 (the trainer then writes the copy).
     */
    static Path resumedInit(Path dir) {
        Path own = dir.resolve(Finetuner.INIT_POLICY);
        if (Files.exists(own)) return own;
        Object prov = RunDirectory.readConfig(dir).get("provenance");
        if (prov instanceof Map<?, ?> p && p.get("init") instanceof String recorded && p.get("init_sha256") instanceof String sha) {
            Path file = Path.of(recorded);
            try {
                if (Files.isRegularFile(file) && Provenance.sha256(file).equals(sha)) {
                    System.err.println("dmpo finetune: " + own + " missing (killed before it was written): using the recorded " + file);
                    return file;
                }
            } catch (IOException e) {
                throw new UserError(file + ": " + AtomicFiles.describe(e), 1);
            }
            throw new UserError(dir + ": no " + Finetuner.INIT_POLICY + ", and the recorded init " + file + " is gone or changed "
                    + "(SHA-256 " + sha.substring(0, Math.min(12, sha.length())) + "…)", 2);
        }
        throw new UserError(dir + ": no " + Finetuner.INIT_POLICY + " and no recorded init to recover it from", 2);
    }

    /** A pretrain run directory means its policy.safetensors; a file is taken as is. */
    static Path initPolicyFile(String init, String source) {
        if (init == null || init.isBlank()) throw new UserError(source + ": no pre-trained policy: give --init <pretrain run dir or policy file>", 2);
        Path p = PretrainCommand.resolveData(init);
        if (Files.isDirectory(p)) p = p.resolve(io.dmpo.train.Pretrainer.POLICY);
        if (!Files.isRegularFile(p)) throw new UserError(p + ": no such policy file (expected a pretrain run directory or a .safetensors policy)", 2);
        return p;
    }

    static FlowPolicy loadPolicy(Path file) {
        try {
            return PolicyFile.load(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot load the policy: " + (e.getMessage() == null ? AtomicFiles.describe(e) : e.getMessage()), 2);
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": " + e.getMessage(), 2);
        }
    }
}
