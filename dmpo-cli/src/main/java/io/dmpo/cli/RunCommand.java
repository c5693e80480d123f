package io.dmpo.cli;

import io.dmpo.eval.Evaluator;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.mujoco.Tasks;
import io.dmpo.rl.TrainingDiverged;
import io.dmpo.run.RunDirectory;
import io.dmpo.run.RunException;
import io.dmpo.train.MainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code dmpo run}: the main job ({@link MainJob}) on one task with its bundled configs
 * ({@code configs/<task>/meanflow-disp.yaml}, {@code configs/<task>/finetune-dmpo.yaml}) inside a wall-clock budget;
 * prints the headline table and writes the report ({@link MainJobReport}).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "The main job: pre-train, sweep, fine-tune at K = 1, evaluate and report, inside --budget-minutes.")
public final class RunCommand implements Runnable {
    @Option(names = "--task", description = "task with bundled data and configs (default: ${DEFAULT-VALUE})")
    String task = "hopper";
    @Option(names = "--budget-minutes", description = "wall-clock budget for everything (default: ${DEFAULT-VALUE})")
    double budgetMinutes = 20;
    @Option(names = "--out", description = "output directory (default: runs/main-<task>-s<seed>)")
    Path out;
    @Option(names = "--seed", description = "seed of every stage (default: ${DEFAULT-VALUE})")
    long seed = 0;
    @Option(names = "--threads", description = "engine and env threads (default: ${DEFAULT-VALUE})")
    int threads = 2;
    @Option(names = "--episodes", description = "evaluation episodes for the pre-trained and fine-tuned returns (default: ${DEFAULT-VALUE})")
    int episodes = 30;
    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    @Override
    public void run() {
        Check.range("--budget-minutes", budgetMinutes, 1, 24 * 60, false);
        Check.atLeast("--threads", threads, 1);
        Check.atLeast("--episodes", episodes, 2);
        Tasks.Task t = EnvCommand.userErrors(() -> Tasks.of(task));
        Path home = Path.of(System.getProperty("dmpo.home", "."));
        Path preCfg = home.resolve("configs").resolve(t.name()).resolve("meanflow-disp.yaml");
        Path ftCfg = home.resolve("configs").resolve(t.name()).resolve("finetune-dmpo.yaml");
        if (!Files.isRegularFile(preCfg) || !Files.isRegularFile(ftCfg)) {
            throw new UserError("no bundled configs for task '" + t.name() + "' (need " + preCfg + " and " + ftCfg + ")", 2);
        }
        Path dir = out != null ? out : Path.of("runs", "main-" + t.name() + "-s" + seed);
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new UserError(dir + ": exists and is not a directory", 2);
        try {
            if (Files.exists(dir) && RunDirectory.hasProgress(dir.resolve("pretrain"))) {
                throw new UserError(dir + ": holds an earlier run; choose another --out or remove it (a killed run's stages "
                        + "continue with 'dmpo pretrain --resume --out " + dir.resolve("pretrain") + "' and 'dmpo finetune --resume --out "
                        + dir.resolve("finetune") + "')", 2);
            }
            MainJob job = new MainJob(new MainJob.Settings(t.name(), t.sparseSuccess(), seed, threads, episodes, budgetMinutes),
                    Configs.read(preCfg, List.of()), preCfg.toString(), Configs.read(ftCfg, List.of()), ftCfg.toString(),
                    PretrainCommand::resolveData, r -> t.make(io.dmpo.mujoco.Camera.NONE, r), t.observation(io.dmpo.mujoco.Camera.NONE).dim(), t.actDim(), System.err);
            MainJob.Result r = job.run(dir);
            MainJobReport.write(dir, t.name(), r);
            print(t.name(), dir, r);
        } catch (MainJob.BudgetTooSmall e) {
            throw new UserError(e.getMessage() + ": --budget-minutes", 1);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (TrainingDiverged e) {
            throw new UserError(e.getMessage() + "; stopped (what was written stays in " + dir + ")", 1);
        } catch (RunException | io.dmpo.io.SafeTensors.SafeTensorsException e) {
            throw new UserError(e.getMessage(), 2);
        } catch (IOException e) {
            throw new UserError(dir + ": " + AtomicFiles.describe(e), 1);
        }
    }

    private void print(String task, Path dir, MainJob.Result r) {
        if (json) {
            System.out.println(Json.write(r.headline(dir)));
            return;
        }
        Evaluator.Episodes before = r.pretrained().get(1), after = r.finetuned();
        System.out.printf(Locale.ROOT, "%n%-34s %s%n", "DMPO on " + task,
                String.format(Locale.ROOT, "(%.1f of %.0f minutes, seed %d)", r.wallSeconds() / 60, budgetMinutes, seed));
        String what = r.successReward() ? "success rate" : "return";
        String format = r.successReward() ? "%.2f ± %.2f  (%d episodes)" : "%.1f ± %.1f  (%d episodes)";
        row("pre-trained " + what + ", 1 step", String.format(Locale.ROOT, format, before.mean(), before.stderr(), episodes));
        row("fine-tuned " + what + ", 1 step", String.format(Locale.ROOT, format, after.mean(), after.stderr(), episodes));
        row("fine-tuning env steps", String.format(Locale.ROOT, "%,d  (%d iterations, %.0f s)", r.finetune().envSteps(),
                r.finetune().iterations(), r.finetune().trainSeconds()));
        row("batch-1 latency, 1 step", String.format(Locale.ROOT, "%.1f µs", r.finetunedLatencyMicros()));
        row("speed-up over 20 steps (ReFlow)", String.format(Locale.ROOT, "%.1fx  (%.1f µs at 20 steps)",
                r.baselineLatencyMicros() / r.finetunedLatencyMicros(), r.baselineLatencyMicros()));
        row("report", dir.resolve("report").resolve("summary.md").toString());
    }

    private static void row(String k, String v) {
        System.out.printf(Locale.ROOT, "  %-32s %s%n", k, v);
    }
}
