package io.dmpo.sweep;

import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The driver of {@code dmpo sweep} (docs/sweeps.md): the grid's cells become one Spark task each ({@link GridRun}),
 * their rows come back to the driver, which writes {@code results.jsonl} (grid order) and {@code sweep.json}, then
 * the usual {@code dmpo report} over the run directories. Local masters ({@code local[N]}) need no cluster; with
 * {@code spark://host:port} every node must see the dmpo checkout and {@code --out} at the same paths (a shared
 * filesystem), since executors run the classes of this checkout and write the run directories there.
 */
public final class Sweep {
    /** What the sweep did: its rows and how many runs failed on bad input. */
    public record Outcome(List<Map<String, Object>> rows, int errors, double wallSeconds) {}

    private final Grid grid;
    private final Path out, home;
    private final String master;
    private final int maxFailures;
    private final String executorMemory;
    private final PrintStream log;

    public Sweep(Grid grid, Path out, Path home, String master, int maxFailures, String executorMemory, PrintStream log) {
        this.grid = grid;
        this.out = out.toAbsolutePath().normalize();
        this.home = home.toAbsolutePath().normalize();
        this.master = master;
        this.maxFailures = maxFailures;
        this.executorMemory = executorMemory;
        this.log = log;
    }

    /** The Spark settings of a sweep: task retries, executors that run the engine and see this checkout. */
    SparkConf conf() {
        boolean local = master.startsWith("local");
        String m = master;
        if (local) {
            // local[N] retries a failed task only in the local[N,F] form
            var matcher = java.util.regex.Pattern.compile("local\\[(\\*|\\d+)]").matcher(master);
            if (master.equals("local")) m = "local[1," + maxFailures + "]";
            else if (matcher.matches()) m = "local[" + matcher.group(1) + "," + maxFailures + "]";
        }
        SparkConf c = new SparkConf().setAppName("dmpo-sweep " + grid.name()).setMaster(m)
                .set("spark.task.maxFailures", Integer.toString(maxFailures))
                .set("spark.ui.enabled", "false")
                .set("spark.executor.cores", "1") // one run per executor JVM at a time
                .set("spark.executor.memory", executorMemory)
                .set("spark.task.cpus", "1")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "
                        + "--sun-misc-unsafe-memory-access=allow -XX:+UseG1GC -XX:G1HeapRegionSize=4m -Ddmpo.home=" + home); // as ./dmpo runs
        if (local) c.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        return c;
    }

    public Outcome run() throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("kind", "dmpo-sweep");
        record.put("grid", grid.name());
        record.put("master", master);
        record.put("runs", grid.cells().stream().map(Grid.Cell::name).toList());
        record.put("git_commit", io.dmpo.run.Provenance.gitCommit());
        record.put("java", System.getProperty("java.version"));
        AtomicFiles.writeString(out.resolve("sweep.json"), Json.write(record) + "\n");
        long done = grid.cells().stream().filter(c -> Files.exists(out.resolve(c.name()).resolve("eval.json"))
                && (c.finetune() == null || Files.exists(out.resolve(c.name()).resolve("finetune/summary.json")))).count();
        log.printf(Locale.ROOT, "dmpo sweep: %s on %s: %d runs (%d finished before), out %s%n", grid.name(), master,
                grid.cells().size(), done, out);
        List<String> rows;
        String outDir = out.toString();
        int attempts = maxFailures;
        try (JavaSparkContext sc = new JavaSparkContext(conf())) {
            sc.setLogLevel("WARN");
            rows = sc.parallelize(grid.cells(), grid.cells().size()).map(cell -> {
                TaskContext t = TaskContext.get();
                String executor = org.apache.spark.SparkEnv.get().executorId() + "@" + java.net.InetAddress.getLocalHost().getHostName()
                        + "/pid " + ProcessHandle.current().pid();
                return GridRun.execute(cell, outDir, t == null ? 0 : t.attemptNumber(), attempts, executor);
            }).collect();
        }
        List<Map<String, Object>> parsed = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        int errors = 0;
        for (String r : rows) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(r);
            parsed.add(m);
            lines.append(r).append('\n');
            if (!"ok".equals(m.get("status"))) {
                if ("error".equals(m.get("status"))) errors++;
                log.println("dmpo sweep: " + m.get("run") + ": " + m.get("error"));
            }
        }
        AtomicFiles.writeString(out.resolve("results.jsonl"), lines.toString());
        double wall = (System.nanoTime() - t0) / 1e9;
        record.put("wall_seconds", wall);
        record.put("errors", errors);
        AtomicFiles.writeString(out.resolve("sweep.json"), Json.write(record) + "\n");
        return new Outcome(parsed, errors, wall);
    }
}
