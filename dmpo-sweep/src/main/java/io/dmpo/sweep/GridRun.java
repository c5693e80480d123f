package io.dmpo.sweep;

import io.dmpo.cli.Main;
import io.dmpo.io.Json;
import io.dmpo.run.RunDirectory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One grid cell, run where Spark schedules it: the same commands a user types ({@code dmpo pretrain}, {@code dmpo
 * eval}, {@code dmpo finetune}), called in this JVM, with the same resume rule as experiments/common.sh — a run with
 * {@code summary.json} is finished and never redone, one with only {@code config.json} continues from its latest
 * checkpoint ({@code --resume}), else it starts. So a task Spark retries after its executor died picks up the run
 * directory where the dead attempt left it. Returns the run's summary row (one JSON object).
 *
 * <p>A command that fails on bad input (exit 2) returns a row with {@code status: "error"} (a retry would fail the
 * same way); any other failure throws, and Spark retries the task. Each run's console output (progress, log lines)
 * goes to {@code <run>/sweep.log}, so runs sharing a JVM do not interleave.
 */
public final class GridRun {
    private GridRun() {}

    /** A command that did not succeed; {@code code} its exit code. */
    public static final class CommandFailed extends RuntimeException {
        public final int code;

        CommandFailed(String command, int code, String error) {
            super(command + " exited " + code + ": " + error.strip());
            this.code = code;
        }
    }

    /**
     * Fault injection for the retry test: {@code -Ddmpo.sweep.loseFirstAttempt=<run>} fails that run's first attempt
     * after its pre-training, as a task lost with its executor would be; Spark must retry it and the retry must pick
     * the run directory up. Unset outside that test.
     */
    static final String LOSE_PROPERTY = "dmpo.sweep.loseFirstAttempt";

    /**
     * Runs the cell in {@code outDir}; {@code attempt} counts from 0 and {@code maxAttempts} is Spark's limit: a failure
     * on the last attempt becomes the run's {@code status: error} row (a divergence repeats exactly from the same
     * checkpoint), so one run that cannot finish does not abort the sweep's other runs.
     */
    public static String execute(Grid.Cell cell, String outDir, int attempt, int maxAttempts, String executor) throws IOException {
        Path dir = Path.of(outDir).resolve(cell.name());
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("run", cell.name());
        row.put("config", cell.config());
        row.put("seed", cell.seed());
        row.putAll(cell.axisValues());
        try (PrintStream log = new PrintStream(Files.newOutputStream(dir.resolve("sweep.log"), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), true, StandardCharsets.UTF_8)) {
            log.printf("== attempt %d on %s%n", attempt, executor);
            ThreadConsole.route(log);
            try {
                requireSameThreads(cell, dir);
                boolean trained = Files.exists(dir.resolve("summary.json"));
                row.put("pretrain", trained ? "done before" : Files.exists(dir.resolve(RunDirectory.CONFIG)) ? "resumed" : "trained");
                if (!trained) {
                    List<String> args = new ArrayList<>();
                    if (Files.exists(dir.resolve(RunDirectory.CONFIG))) {
                        args.addAll(List.of("pretrain", "--resume", "--out", dir.toString()));
                    } else {
                        args.addAll(List.of("pretrain", "--config", cell.config(), "--seed", Long.toString(cell.seed()), "--out", dir.toString()));
                        for (String s : cell.sets()) args.addAll(List.of("--set", s));
                    }
                    command(args);
                }
                if (!Files.exists(dir.resolve("summary.json"))) { // stopped by train.budget_minutes: rerun the sweep to go on
                    row.put("status", "unfinished");
                    row.put("error", "pre-training stopped by train.budget_minutes; rerun the sweep to continue it");
                    return finish(row, attempt, executor, t0);
                }
                if (attempt == 0 && cell.name().equals(System.getProperty(LOSE_PROPERTY))) {
                    throw new IllegalStateException("attempt 0 of " + cell.name() + " lost after pre-training (-D" + LOSE_PROPERTY + ")");
                }
                if (!Files.exists(dir.resolve("eval.json"))) {
                    command(List.of("eval", dir.toString(), "--steps", cell.eval().steps().stream().map(String::valueOf)
                                    .collect(java.util.stream.Collectors.joining(",")), "--episodes", Integer.toString(cell.eval().episodes()),
                            "--envs", Integer.toString(cell.eval().envs()), "--threads", Integer.toString(cell.threads()), "--json"));
                }
                Path ft = dir.resolve("finetune");
                if (cell.finetune() != null && !Files.exists(ft.resolve("summary.json"))) {
                    List<String> args = new ArrayList<>();
                    if (Files.exists(ft.resolve(RunDirectory.CONFIG))) {
                        args.addAll(List.of("finetune", "--resume", "--out", ft.toString()));
                    } else {
                        args.addAll(List.of("finetune", "--config", cell.finetune().config(), "--init", dir.toString(), "--seed",
                                Long.toString(cell.seed()), "--out", ft.toString()));
                        for (String s : cell.finetune().sets()) args.addAll(List.of("--set", s));
                    }
                    command(args);
                }
                row.put("status", "ok");
                summarize(dir, row);
            } catch (CommandFailed e) {
                if (e.code != Main.BAD_INPUT && attempt + 1 < maxAttempts) throw e;
                row.put("status", "error");
                row.put("error", e.getMessage());
            } finally {
                ThreadConsole.unroute();
            }
        }
        return finish(row, attempt, executor, t0);
    }

    private static String finish(Map<String, Object> row, int attempt, String executor, long t0) {
        row.put("attempt", attempt);
        row.put("executor", executor);
        row.put("task_seconds", (System.nanoTime() - t0) / 1e9);
        return Json.write(row);
    }

    /**
     * Runs sharing a JVM share the engine's one thread pool, so every run of a sweep must use the grid's thread count;
     * a started run resumes with the count it recorded.
     */
    @SuppressWarnings("unchecked")
    private static void requireSameThreads(Grid.Cell cell, Path dir) {
        for (Path d : List.of(dir, dir.resolve("finetune"))) {
            if (!Files.exists(d.resolve(RunDirectory.CONFIG)) || Files.exists(d.resolve("summary.json"))) continue;
            Map<String, Object> config;
            try {
                config = RunDirectory.readConfig(d);
            } catch (io.dmpo.run.RunException e) {
                throw new CommandFailed("resume " + d, Main.BAD_INPUT, e.getMessage());
            }
            Object recorded = config.get("config") instanceof Map<?, ?> c ? ((Map<String, Object>) c).get("threads") : null;
            if (recorded instanceof Number n && n.intValue() != cell.threads()) {
                throw new CommandFailed("resume " + d, Main.BAD_INPUT, d + " was started with threads " + n.intValue()
                        + ", this grid runs every run with threads " + cell.threads() + " (delete the run directory to redo it)");
            }
        }
    }


    private static void command(List<String> args) {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args.toArray(String[]::new));
        System.err.print(err); // into the run's sweep.log
        if (code != 0) throw new CommandFailed("dmpo " + String.join(" ", args), code, err.toString());
    }

    /** The row's numbers: pre-training summary, the evaluation per K, and the fine-tuning summary. */
    @SuppressWarnings("unchecked")
    private static void summarize(Path dir, Map<String, Object> row) throws IOException {
        Map<String, Object> summary = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("summary.json")));
        row.put("selected_by", summary.getOrDefault("selected_by", "val_loss"));
        for (String k : List.of("best_eval_success_rate", "best_eval_return")) if (summary.containsKey(k)) row.put(k, summary.get(k));
        row.put("best_val_loss", summary.get("best_val_loss"));
        row.put("best_epoch", summary.get("best_epoch"));
        row.put("train_seconds", summary.get("train_seconds"));
        Map<String, Object> eval = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("eval.json")));
        Map<String, Object> byK = new LinkedHashMap<>();
        if (eval.get("results") instanceof List<?> results) {
            for (Object o : results) {
                Map<String, Object> r = (Map<String, Object>) o;
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("return_mean", r.get("return_mean"));
                k.put("return_stderr", r.get("return_stderr"));
                k.put("latency_us", r.get("latency_us"));
                byK.put(String.valueOf(r.get("steps")), k);
            }
        }
        row.put("eval", byK);
        Path ft = dir.resolve("finetune").resolve("summary.json");
        if (Files.exists(ft)) {
            Map<String, Object> f = (Map<String, Object>) Json.parse(Files.readString(ft));
            Map<String, Object> k = new LinkedHashMap<>();
            for (String key : List.of("initial_eval_return", "final_eval_return", "best_eval_return", "iterations", "env_steps", "train_seconds")) {
                k.put(key, f.get(key));
            }
            row.put("finetune", k);
        }
    }

    /**
     * System.out and System.err routed per thread: a Spark executor runs several tasks in one JVM, and the commands
     * print to the standard streams. A routed thread writes into its run's log; every other thread to the original.
     */
    static final class ThreadConsole {
        private static final ThreadLocal<PrintStream> TARGET = new ThreadLocal<>();
        private static PrintStream originalOut, originalErr;

        static synchronized void route(PrintStream log) {
            if (originalOut == null) {
                originalOut = System.out;
                originalErr = System.err;
                System.setOut(new PrintStream(new Routed(originalOut), true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(new Routed(originalErr), true, StandardCharsets.UTF_8));
            }
            TARGET.set(log);
        }

        static void unroute() {
            TARGET.remove();
        }

        private static final class Routed extends OutputStream {
            private final PrintStream fallback;

            Routed(PrintStream fallback) {
                this.fallback = fallback;
            }

            private PrintStream target() {
                PrintStream t = TARGET.get();
                return t != null ? t : fallback;
            }

            @Override public void write(int b) { target().write(b); }
            @Override public void write(byte[] b, int off, int len) { target().write(b, off, len); }
            @Override public void flush() { target().flush(); }
        }
    }
}
