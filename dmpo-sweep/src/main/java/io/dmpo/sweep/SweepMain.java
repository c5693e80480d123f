package io.dmpo.sweep;

import io.dmpo.cli.Main;
import io.dmpo.cli.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dmpo sweep} (the launcher runs this module for it, so Spark never joins the CLI's classpath): a grid of
 * pre-training (and fine-tuning) runs as Spark tasks; see {@link Sweep} and docs/sweeps.md.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run a grid of pre-training (and fine-tuning) runs as Apache Spark tasks: each run pre-trains, is "
                + "evaluated at the grid's K list (and fine-tuned), in its own run directory under --out. Writes "
                + "results.jsonl (one row per run), sweep.json and report/. Rerunning picks up where it stopped: finished "
                + "runs are kept, interrupted ones resume from their last checkpoint.")
public final class SweepMain implements Callable<Integer> {
    @Option(names = "--grid", required = true, description = "grid file (e.g. experiments/stage1-hopper.yaml)")
    Path grid;
    @Option(names = "--master", description = "Spark master: local[N] (N runs at a time in this JVM, no cluster; default "
            + "local[2]) or spark://host:port (a standalone cluster, docs/sweeps.md)")
    String master = "local[2]";
    @Option(names = "--out", description = "sweep directory (default: runs/sweep-<grid name>)")
    Path out;
    @Option(names = "--max-failures", description = "attempts per run; a run failing on its last attempt gets an error row "
            + "(default: 3)")
    int maxFailures = 3;
    @Option(names = "--executor-memory", description = "heap of each executor on a cluster (default: 4g; pixel datasets need more)")
    String executorMemory = "4g";

    @Override
    public Integer call() throws IOException {
        if (maxFailures < 1) throw new UserError("--max-failures must be >= 1, got " + maxFailures, 2);
        if (!(master.matches("local(\\[(\\*|[1-9][0-9]*)(,[1-9][0-9]*)?])?") || master.startsWith("spark://"))) {
            throw new UserError("--master must be local, local[N] or spark://host:port, got '" + master + "'", 2);
        }
        if (out != null) requireDirectoryOrAbsent(out); // before reading the grid: the cheaper mistake first
        Path home = Path.of(System.getProperty("dmpo.home", ".")).toAbsolutePath().normalize();
        Grid g;
        try {
            g = Grid.read(grid, home);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
        Path dir = out != null ? out : Path.of("runs", "sweep-" + g.name());
        requireDirectoryOrAbsent(dir);
        if (!executorMemory.matches("[1-9][0-9]*[mMgG]")) throw new UserError("--executor-memory must be like 4g or 512m, got '" + executorMemory + "'", 2);
        Sweep.Outcome o = new Sweep(g, dir, home, master, maxFailures, executorMemory, System.err).run();
        List<String> pretrained = new ArrayList<>(), finetuned = new ArrayList<>();
        for (Map<String, Object> r : o.rows()) {
            if (!"ok".equals(r.get("status"))) continue;
            Path run = dir.toAbsolutePath().resolve((String) r.get("run"));
            pretrained.add(run.toString());
            if (r.containsKey("finetune")) finetuned.add(run.resolve("finetune").toString());
        }
        report(pretrained, dir.toAbsolutePath().resolve("report"));
        report(finetuned, dir.toAbsolutePath().resolve("report-finetune"));
        System.out.printf(Locale.ROOT, "sweep %s: %d runs (%d failed), %.0f s -> %s%n", g.name(), o.rows().size(), o.errors(),
                o.wallSeconds(), dir.resolve("results.jsonl"));
        return o.errors() == 0 ? Main.OK : Main.FAILURE;
    }

    private static void requireDirectoryOrAbsent(Path dir) {
        if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
            throw new UserError(dir + ": exists and is not a directory (--out is the sweep's directory)", 2);
        }
    }

    private static void report(List<String> runs, Path dir) {
        if (runs.isEmpty()) return;
        List<String> args = new ArrayList<>(List.of("report", "--out", dir.toString()));
        args.addAll(runs);
        int code = Main.commandLine().execute(args.toArray(String[]::new));
        if (code != 0) throw new UserError("the report over the sweep's runs failed (exit " + code + ")", code);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SweepMain());
        // the CLI's one-line errors and exit codes
        cl.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("dmpo: error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip().lines().findFirst().orElse("")));
            if (Boolean.getBoolean("dmpo.debug")) e.printStackTrace(c.getErr());
            return e instanceof UserError u ? u.exitCode() : Main.FAILURE;
        });
        cl.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println("dmpo: error: " + e.getMessage().strip().lines().findFirst().orElse("") + " (see 'dmpo sweep --help')");
            return Main.BAD_INPUT;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
