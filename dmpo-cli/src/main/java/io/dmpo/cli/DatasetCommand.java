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

/** {@code dmpo dataset ...}: inspect offline datasets (D4RL or robomimic HDF5 layouts, DESIGN.md §9). */
@Command(name = "dataset", mixinStandardHelpOptions = true, description = "Offline datasets (D4RL / robomimic HDF5).",
        subcommands = {DatasetCommand.InfoCmd.class})
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

        @Override
        public void run() {
            Map<String, Object> r = describe(open(file, obsKeys));
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
}
