package io.dmpo.sweep;

import io.dmpo.cli.Configs;
import io.dmpo.train.ConfigMap;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A sweep grid file (docs/sweeps.md): Stage-1 configs (given, or {@code tasks} × {@code algorithms} naming
 * {@code configs/<task>/<algorithm>.yaml}) × {@code seeds} × any number of {@code axes} over config keys, each cell
 * one run that pre-trains, is evaluated at the {@code eval.steps} K list and, with a {@code finetune} section, is
 * fine-tuned. {@code set} applies to every run; {@code threads} (default 1) is every run's engine thread count, the
 * same for all so that runs sharing a JVM share one engine pool. Expanded in file order: configs, then axes in the
 * order written, then seeds innermost.
 */
public record Grid(String name, List<Cell> cells) {
    /** The K list and episodes of each run's evaluation ({@code dmpo eval}). */
    public record Eval(List<Integer> steps, int episodes, int envs) implements Serializable {}

    /** Stage 2 after Stage 1: the fine-tuning config and its overrides ({@code --set}). */
    public record Finetune(String config, List<String> sets) implements Serializable {}

    /**
     * One run: its directory name, the Stage-1 config (absolute path), seed, {@code --set} overrides (the grid's
     * {@code set} with {@code threads=}, then this cell's axis values), the grid's engine thread count, the evaluation
     * and the optional fine-tuning (null when none).
     */
    public record Cell(String name, String config, long seed, List<String> sets, Map<String, String> axisValues, int threads,
                       Eval eval, Finetune finetune) implements Serializable {}

    private static final Set<String> KEYS = Set.of("name", "configs", "tasks", "algorithms", "seeds", "axes", "set", "threads",
            "eval", "finetune");

    /** Reads and expands a grid file; {@code home} resolves relative config paths (the dmpo checkout). */
    @SuppressWarnings("unchecked")
    public static Grid read(Path file, Path home) {
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + ": is a directory, not a grid file");
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such grid file");
        Map<String, Object> raw = Configs.read(file, List.of());
        String src = file.toString();
        for (String k : raw.keySet()) {
            if (!KEYS.contains(k)) throw new IllegalArgumentException(src + ": unknown key '" + k + "' (grid keys: " + new java.util.TreeSet<>(KEYS) + ")");
        }
        if (raw.containsKey("name") && !(raw.get("name") instanceof String s && !s.isBlank())) {
            throw new IllegalArgumentException(src + ": name must be a non-empty string");
        }
        String name = raw.get("name") instanceof String s ? s : file.getFileName().toString().replaceAll("\\.ya?ml$", "");
        List<String> configs = new ArrayList<>();
        if (raw.containsKey("configs")) {
            if (raw.containsKey("tasks") || raw.containsKey("algorithms")) {
                throw new IllegalArgumentException(src + ": give either 'configs' or 'tasks' x 'algorithms', not both");
            }
            configs.addAll(strings(raw.get("configs"), src + ": configs"));
        } else {
            List<String> tasks = strings(raw.get("tasks"), src + ": tasks"), algorithms = strings(raw.get("algorithms"), src + ": algorithms");
            for (String t : tasks) for (String a : algorithms) configs.add("configs/" + t + "/" + a + ".yaml");
        }
        if (configs.isEmpty()) throw new IllegalArgumentException(src + ": no configs (give 'configs' or 'tasks' and 'algorithms')");
        List<Path> configPaths = new ArrayList<>();
        for (String c : configs) {
            Path p = Path.of(c);
            if (!p.isAbsolute()) p = Files.exists(p) ? p.toAbsolutePath() : home.resolve(c);
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException(src + ": config '" + c + "': no such file (" + p + ")");
            configPaths.add(p.normalize());
        }
        List<Long> seeds = new ArrayList<>();
        Object sv = raw.getOrDefault("seeds", List.of(0));
        if (!(sv instanceof List<?> sl) || sl.isEmpty()) throw new IllegalArgumentException(src + ": seeds must be a non-empty list of integers");
        for (Object o : sl) {
            if (!(o instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException(src + ": seeds must be integers, got '" + o + "'");
            }
            seeds.add(n.longValue());
        }
        if (new LinkedHashSet<>(seeds).size() != seeds.size()) throw new IllegalArgumentException(src + ": seeds repeat: " + seeds);

        Object tv = raw.getOrDefault("threads", 1);
        if (!(tv instanceof Integer || tv instanceof Long)) throw new IllegalArgumentException(src + ": threads must be an integer, got '" + tv + "'");
        int threads = ((Number) tv).intValue();
        if (threads < 1) throw new IllegalArgumentException(src + ": threads must be >= 1");
        List<String> common = new ArrayList<>(assignments(raw.get("set"), src + ": set"));
        if (common.stream().anyMatch(a -> a.startsWith("threads=") || a.startsWith("seed="))) {
            throw new IllegalArgumentException(src + ": set: threads and seed are the grid's own keys ('threads', 'seeds')");
        }
        common.add("threads=" + threads);

        // axes over config keys, in the order written: each a key and its list of values
        List<Map.Entry<String, List<String>>> axes = new ArrayList<>();
        if (raw.get("axes") instanceof Map<?, ?> am) {
            for (var e : ((Map<String, Object>) am).entrySet()) {
                if (!(e.getValue() instanceof List<?> vl) || vl.isEmpty()) throw new IllegalArgumentException(src + ": axes." + e.getKey() + " must be a non-empty list");
                if (e.getKey().equals("seed") || e.getKey().equals("threads")) throw new IllegalArgumentException(src + ": axes: use 'seeds' for seeds; threads are one per grid");
                List<String> vals = new ArrayList<>();
                for (Object v : vl) {
                    if (v instanceof Map || v instanceof List) throw new IllegalArgumentException(src + ": axes." + e.getKey() + ": values must be scalars");
                    vals.add(String.valueOf(v));
                }
                axes.add(Map.entry(e.getKey(), vals));
            }
        } else if (raw.containsKey("axes")) {
            throw new IllegalArgumentException(src + ": axes must map config keys to lists of values");
        }

        ConfigMap ev = new ConfigMap(raw.get("eval") instanceof Map<?, ?> m ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>(), src + " (eval)");
        int[] steps = ev.integers("steps", new int[] {1, 2, 4, 8, 16, 32, 64});
        Eval eval = new Eval(java.util.Arrays.stream(steps).boxed().toList(), ev.integer("episodes", 20), ev.integer("envs", 10));
        ev.requireAllRead();
        if (eval.episodes() < 1 || eval.envs() < 1 || steps.length == 0 || java.util.Arrays.stream(steps).anyMatch(k -> k < 1)) {
            throw new IllegalArgumentException(src + ": eval: steps must be a list of K >= 1, episodes and envs >= 1");
        }
        Finetune finetune = null;
        if (raw.get("finetune") instanceof Map<?, ?> fm) {
            Map<String, Object> f = new LinkedHashMap<>((Map<String, Object>) fm);
            Object c = f.remove("config");
            if (!(c instanceof String cs)) throw new IllegalArgumentException(src + ": finetune.config must name a fine-tuning config");
            Path cp = Path.of(cs).isAbsolute() ? Path.of(cs) : Files.exists(Path.of(cs)) ? Path.of(cs).toAbsolutePath() : home.resolve(cs);
            if (!Files.isRegularFile(cp)) throw new IllegalArgumentException(src + ": finetune.config '" + cs + "': no such file (" + cp + ")");
            List<String> fs = new ArrayList<>(assignments(f.remove("set"), src + ": finetune.set"));
            if (fs.stream().anyMatch(a -> a.startsWith("threads=") || a.startsWith("seed=") || a.startsWith("init="))) {
                throw new IllegalArgumentException(src + ": finetune.set: threads, seed and init are the grid's own (threads, seeds, the run)");
            }
            if (!f.isEmpty()) throw new IllegalArgumentException(src + ": finetune: unknown key '" + f.keySet().iterator().next() + "' (config, set)");
            fs.add("threads=" + threads);
            finetune = new Finetune(cp.normalize().toString(), List.copyOf(fs));
        } else if (raw.containsKey("finetune") && raw.get("finetune") != null) {
            throw new IllegalArgumentException(src + ": finetune must be a section (config, set)");
        }

        List<Cell> cells = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (Path config : configPaths) {
            String stem = config.getParent().getFileName() + "-" + config.getFileName().toString().replaceAll("\\.ya?ml$", "");
            for (Map<String, String> point : product(axes)) {
                for (long seed : seeds) {
                    StringBuilder n = new StringBuilder(stem);
                    for (var e : point.entrySet()) n.append('-').append(e.getKey()).append('=').append(e.getValue());
                    n.append("-s").append(seed);
                    String cellName = n.toString().replaceAll("[^A-Za-z0-9._=+-]", "_");
                    if (!names.add(cellName)) throw new IllegalArgumentException(src + ": two runs would share the directory '" + cellName + "' (a config listed twice?)");
                    List<String> sets = new ArrayList<>(common);
                    point.forEach((k, v) -> sets.add(k + "=" + v));
                    cells.add(new Cell(cellName, config.toString(), seed, List.copyOf(sets),
                            java.util.Collections.unmodifiableMap(new LinkedHashMap<>(point)), threads, eval, finetune));
                }
            }
        }
        return new Grid(name, List.copyOf(cells));
    }

    private static List<Map<String, String>> product(List<Map.Entry<String, List<String>>> axes) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (var axis : axes) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : out) {
                for (String v : axis.getValue()) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(axis.getKey(), v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    private static List<String> strings(Object o, String what) {
        if (!(o instanceof List<?> l) || l.isEmpty()) throw new IllegalArgumentException(what + " must be a non-empty list");
        List<String> out = new ArrayList<>();
        for (Object x : l) {
            if (!(x instanceof String s) || s.isBlank()) throw new IllegalArgumentException(what + ": entries must be names, got '" + x + "'");
            out.add(s);
        }
        return out;
    }

    /** A nested map of settings as {@code --set key.path=value} assignments. */
    @SuppressWarnings("unchecked")
    private static List<String> assignments(Object o, String what) {
        if (o == null) return List.of();
        if (!(o instanceof Map<?, ?> m)) throw new IllegalArgumentException(what + " must map config keys to values");
        List<String> out = new ArrayList<>();
        flatten("", (Map<String, Object>) m, out, what);
        return out;
    }

    private static void flatten(String prefix, Map<String, Object> m, List<String> out, String what) {
        for (var e : m.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> sub) {
                @SuppressWarnings("unchecked")
                Map<String, Object> s = (Map<String, Object>) sub;
                flatten(key + ".", s, out, what);
            } else if (e.getValue() instanceof List<?> l) {
                out.add(key + "=" + l.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ", "[", "]")));
            } else {
                out.add(key + "=" + e.getValue());
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "grid %s: %d runs", name, cells.size());
    }
}
