package io.dmpo.cli;

import io.dmpo.data.DataException;
import io.dmpo.data.Dataset;
import io.dmpo.data.Datasets;
import io.dmpo.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code dmpo dataset ...}: inspect offline datasets (D4RL or robomimic HDF5 layouts, docs/environments.md, "Data layouts"). */
@Command(name = "dataset", mixinStandardHelpOptions = true, description = "Offline datasets (D4RL / robomimic HDF5).",
        subcommands = {DatasetCommand.InfoCmd.class, DatasetCommand.ConcatCmd.class})
public final class DatasetCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Opens a dataset, turning data problems into one-line user errors. */
    static Dataset open(Path file, List<String> obsKeys) {
        try {
            return Datasets.open(file, obsKeys);
        } catch (DataException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }

    static Map<String, Object> describe(Dataset d) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file", d.source());
        r.put("layout", d.layout());
        r.put("transitions", d.size());
        r.put("episodes", d.episodes().size());
        r.put("obs_dim", d.obsDim());
        r.put("act_dim", d.actDim());
        double[] rets = d.episodes().stream().mapToDouble(Dataset.Episode::ret).toArray();
        double mean = java.util.Arrays.stream(rets).average().orElse(Double.NaN);
        double var = java.util.Arrays.stream(rets).map(x -> (x - mean) * (x - mean)).average().orElse(Double.NaN);
        r.put("return_mean", mean);
        r.put("return_std", Math.sqrt(var));
        r.put("return_min", java.util.Arrays.stream(rets).min().orElse(Double.NaN));
        r.put("return_max", java.util.Arrays.stream(rets).max().orElse(Double.NaN));
        r.put("episode_length_mean", d.episodes().stream().mapToInt(Dataset.Episode::length).average().orElse(Double.NaN));
        int term = 0, tmo = 0;
        for (int i = 0; i < d.size(); i++) {
            if (d.terminals()[i]) term++;
            if (d.timeouts()[i]) tmo++;
        }
        r.put("terminals", term);
        r.put("timeouts", tmo);
        r.put("next_observations", d.nextObservations() != null);
        Map<String, Object> attrs = new LinkedHashMap<>();
        for (var e : d.attributes().entrySet()) {
            Object v = e.getValue();
            attrs.put(e.getKey(), v instanceof Number || v instanceof Boolean || v instanceof String ? v : String.valueOf(v));
        }
        r.put("attributes", attrs);
        return r;
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Layout, transitions, episodes, dims and episode-return statistics of a dataset file.")
    static final class InfoCmd implements Runnable {
        @Parameters(paramLabel = "<file>", description = "an HDF5 file in D4RL or robomimic layout")
        Path file;
        @Option(names = "--json", description = "print JSON")
        boolean json;
        @Option(names = "--obs-keys", split = ",", description = "robomimic: observation keys to concatenate (default: all low-dim keys)")
        List<String> obsKeys;
        @Option(names = "--env", description = "also check that obs/act dims fit this task")
        String env;

        @Override
        public void run() {
            Dataset d = open(file, obsKeys);
            if (env != null) {
                io.dmpo.mujoco.Tasks.Task t = EnvCommand.userErrors(() -> io.dmpo.mujoco.Tasks.of(env));
                try {
                    d.requireDims(t.observation(io.dmpo.mujoco.Camera.NONE).dim(), t.actDim(), t.name());
                } catch (DataException e) {
                    throw new UserError(e.getMessage(), 2);
                }
            }
            Map<String, Object> r = describe(d);
            if (json) {
                System.out.println(Json.write(r));
                return;
            }
            for (var e : r.entrySet()) {
                if (e.getKey().equals("attributes")) continue;
                Object v = e.getValue();
                System.out.printf(Locale.ROOT, "%-20s %s%n", e.getKey(), v instanceof Double x ? String.format(Locale.ROOT, "%.2f", x) : v);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> attrs = (Map<String, Object>) r.get("attributes");
            for (var e : attrs.entrySet()) System.out.printf(Locale.ROOT, "attr %-15s %s%n", e.getKey(), e.getValue());
        }
    }

    @Command(name = "concat", mixinStandardHelpOptions = true,
            description = "Concatenate D4RL-layout files (e.g. medium + expert = medium-expert) into one D4RL file.")
    static final class ConcatCmd implements Runnable {
        @Parameters(paramLabel = "<file>", arity = "2..*", description = "input files, in order")
        List<Path> files;
        @Option(names = "--out", required = true, description = "output .h5 file (written atomically)")
        Path out;
        @Option(names = "--force", description = "overwrite --out if it exists")
        boolean force;
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            String problem = io.dmpo.io.AtomicFiles.outputProblem(out, force);
            if (problem != null) throw new UserError(problem, 2);
            for (Path f : files) {
                if (f.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                    throw new UserError(out + ": is also an input; write to another file", 2);
                }
            }
            List<Dataset> parts = new java.util.ArrayList<>();
            for (Path f : files) parts.add(open(f, null));
            Dataset first = parts.get(0);
            long total = 0;
            for (Dataset d : parts) total += d.size();
            long maxRows = (Integer.MAX_VALUE - 8) / Math.max(1, Math.max(first.obsDim(), first.actDim()));
            if (total > maxRows) {
                throw new UserError("concat: " + total + " transitions of " + first.obsDim() + " values exceed one array's "
                        + "limit (" + maxRows + " rows); concatenate fewer files", 2);
            }
            int n = 0;
            boolean next = true;
            for (Dataset d : parts) {
                if (d.obsDim() != first.obsDim() || d.actDim() != first.actDim()) {
                    throw new UserError(d.source() + ": dims (" + d.obsDim() + ", " + d.actDim() + ") differ from "
                            + first.source() + " (" + first.obsDim() + ", " + first.actDim() + ")", 2);
                }
                n += d.size();
                next &= d.nextObservations() != null;
            }
            int od = first.obsDim(), ad = first.actDim();
            float[] o = new float[n * od], a = new float[n * ad], r = new float[n], no = next ? new float[n * od] : null;
            boolean[] t = new boolean[n], to = new boolean[n];
            int off = 0;
            List<String> sources = new java.util.ArrayList<>();
            for (Dataset d : parts) {
                System.arraycopy(d.observations(), 0, o, off * od, d.size() * od);
                System.arraycopy(d.actions(), 0, a, off * ad, d.size() * ad);
                System.arraycopy(d.rewards(), 0, r, off, d.size());
                System.arraycopy(d.terminals(), 0, t, off, d.size());
                System.arraycopy(d.timeouts(), 0, to, off, d.size());
                if (no != null) System.arraycopy(d.nextObservations(), 0, no, off * od, d.size() * od);
                // a part that ends mid-episode must not run into the next part's first episode
                if (!t[off + d.size() - 1]) to[off + d.size() - 1] = true;
                off += d.size();
                sources.add(d.source());
            }
            io.dmpo.data.ArrayDataset cat = new io.dmpo.data.ArrayDataset(out.toString(), "d4rl", od, ad, o, a, r, t, to, no, null);
            Map<String, Object> attrs = new LinkedHashMap<>();
            Object env = first.attributes().get("env");
            if (env != null) attrs.put("env", String.valueOf(env));
            attrs.put("sources", String.join(",", sources));
            attrs.put("command_line", "dmpo " + String.join(" ", spec.root().commandLine().getParseResult().originalArgs()));
            attrs.put("format", "d4rl");
            try {
                io.dmpo.data.D4rl.write(out, cat, attrs);
            } catch (java.io.IOException e) {
                throw new UserError(e.getMessage().startsWith(out.toString()) ? e.getMessage()
                        : out + ": cannot write: " + io.dmpo.io.AtomicFiles.describe(e), 1);
            }
            System.out.printf(Locale.ROOT, "concat: %d files, %d transitions, %d episodes -> %s%n", parts.size(), n,
                    cat.episodes().size(), out);
        }
    }
}
