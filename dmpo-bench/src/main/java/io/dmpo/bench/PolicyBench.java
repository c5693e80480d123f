package io.dmpo.bench;

import io.dmpo.io.Json;
import io.dmpo.nn.Affinity;
import io.dmpo.nn.Init;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.BatchOneSampler;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.MeanFlowSampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The paper's Table 2 on this machine (issue 11): batch-1 latency of one action for ReFlow at 20 steps, ShortCut at 5
 * and MeanFlow at 1, 2 and 5 — the three share the network and the sampler (docs/algorithms.md, "Flow conventions"), so a row differs only by
 * its number of network passes — for the Hopper state actor and the Lift light-ViT pixel actor, with the same weights
 * and inputs in PyTorch alongside. Each round measures every row (ours, PyTorch, a pause, next row, …), so rows compared
 * with each other see the same machine; per row: median, p99,
 * control frequency (1 / median) and the speed-up over ReFlow-20. Both actors run through the allocation-free control
 * path a robot uses ({@link BatchOneSampler}, equal to {@link MeanFlowSampler}'s actions bit for bit).
 */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Table 2 on the JVM: batch-1 action latency of ReFlow-20, ShortCut-5 and MeanFlow-1/2/5 (state and pixel actors), PyTorch alongside.")
public final class PolicyBench implements Runnable {
    @Option(names = "--task", split = ",", description = "hopper (state actor), lift (pixel actor); default both")
    List<String> tasks = new ArrayList<>(List.of("hopper", "lift"));

    @Option(names = "--json", description = "print one JSON object instead of the markdown tables")
    boolean json;

    @Option(names = "--threads", description = "engine threads, and PyTorch's intra-op threads (default: all cores = ${DEFAULT-VALUE})")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--vs", split = ",", description = "anchors: pytorch, or none (default ${DEFAULT-VALUE})")
    List<String> anchors = new ArrayList<>(List.of("pytorch"));

    @Option(names = "--rounds", description = "interleaved measurement rounds (default ${DEFAULT-VALUE})")
    int rounds = 10;

    @Option(names = "--calls", description = "timed calls per row and engine over all rounds (default ${DEFAULT-VALUE}; half for lift)")
    int calls = 1000;

    @Mixin
    Pinning pinning = new Pinning();


    @Option(names = "--warmup", description = "seconds of warm-up per row and engine, and 5x that for the pixel network first (default ${DEFAULT-VALUE})")
    double warmup = 1.0;

    /** The rows of the paper's Table 2 that use the light-ViT network: method and number of network passes. */
    record Row(String method, int steps, double rtx4090Ms, double rtx2080Ms) {}

    static final List<Row> ROWS = List.of(
            new Row("ReFlow", 20, 8.4, 47.7),
            new Row("ShortCut", 5, 2.5, 12.0),
            new Row("MeanFlow (DMPO)", 1, 0.6, 2.6),
            new Row("MeanFlow (DMPO)", 2, 1.1, 4.9),
            new Row("MeanFlow (DMPO)", 5, 2.6, 12.0));

    @Override
    public void run() {
        for (String t : tasks) {
            if (!t.equals("hopper") && !t.equals("lift")) throw new IllegalArgumentException("unknown task '" + t + "' (hopper, lift)");
        }
        for (String a : anchors) {
            if (!a.equals("pytorch") && !a.equals("none")) throw new IllegalArgumentException("unknown anchor '" + a + "' (pytorch, none)");
        }
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        if (calls < rounds) throw new IllegalArgumentException("--calls must be >= --rounds, got " + calls);
        if (!(warmup >= 0 && warmup <= 600)) throw new IllegalArgumentException("--warmup must be in [0, 600] seconds, got " + warmup);
        boolean torch = anchors.contains("pytorch");
        Parallel.setThreads(threads);
        boolean pin = pinning.resolve();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.offline", "true");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("machine", NnBench.machine());
        out.put("threads", threads);
        out.put("rounds", rounds);
        out.put("pinned", pin);
        try {
            Parallel.setPinned(pin);
            for (String task : tasks) out.put(task, measure(task, torch));
        } finally {
            Parallel.setPinned(false);
        }
        if (json) {
            System.out.println(Json.write(out));
        } else {
            System.out.println(markdown(out));
        }
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> measure(String task, boolean torch) {
        boolean pixel = task.equals("lift");
        MeanFlowActor actor = pixel ? MeanFlowActor.pixel(3, 96, 96, 9, 28, 7) : MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 1);
        SplittableRandom rng = new SplittableRandom(42);
        Tensor obs = Tensor.zeros(1, actor.obsDim);
        int imageSize = pixel ? actor.obsDim - 9 : 0;
        for (int c = 0; c < actor.obsDim; c++) obs.data[c] = c < imageSize ? rng.nextInt(256) : (float) Init.gaussian(rng);
        Tensor eps = Tensor.zeros(1, actor.actionDim);
        for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
        int rowCalls = pixel ? Math.max(rounds, calls / 2) : calls;

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("actor", pixel ? "light ViT + MLP (pixel, 3x96x96 + 9 proprio)" : "MLP (state, obs 11)");
        r.put("params", actor.paramCount());
        r.put("path", "FlowPolicy.controller()'s allocation-free BatchOneSampler" + (pixel ? " (fused batch-1 ViT session)" : ""));
        List<Map<String, Object>> rows = new ArrayList<>();
        List<BatchOneSampler> samplers = new ArrayList<>();
        try (PyTorchAnchor anchor = torch ? new PyTorchAnchor(actor) : null) {
            // compile the whole network before the first row: the ViT's kernels take C2 seconds, and a first row
            // measured during that would be slower for reasons that have nothing to do with its number of steps
            try (BatchOneSampler first = new BatchOneSampler(actor, 1)) {
                float[] o = obs.toArray(), e = eps.toArray(), a = new float[actor.actionDim];
                Timing.warmUp(() -> first.sample(o, e, a), pixel ? 5 * warmup : warmup);
            }
            // every row's sampler and anchor call, made and warmed up once; then each round measures every row
            // (ours, PyTorch), so the rows that Table 2 compares with each other see the same machine
            int nRows = ROWS.size();
            Runnable[] oursCall = new Runnable[nRows], theirsCall = new Runnable[nRows];
            float[][] ours = new float[nRows][actor.actionDim], theirs = new float[nRows][actor.actionDim];
            Timing.Samples[] a = new Timing.Samples[nRows], b = new Timing.Samples[nRows];
            for (int i = 0; i < nRows; i++) {
                int k = ROWS.get(i).steps();
                BatchOneSampler sampler = new BatchOneSampler(actor, k);
                samplers.add(sampler);
                float[] o = obs.toArray(), e = eps.toArray(), out = ours[i];
                oursCall[i] = () -> sampler.sample(o, e, out);
                theirsCall[i] = anchor == null ? null : anchor.batch1Sample(obs, eps, k, theirs[i]);
                a[i] = new Timing.Samples();
                b[i] = new Timing.Samples();
                Timing.warmUp(oursCall[i], warmup);
                if (theirsCall[i] != null) Timing.warmUp(theirsCall[i], warmup);
            }
            if (anchor != null) NnBench.quiesce();
            // pinned only now: PyTorch's pool, started from this thread above, keeps every CPU
            if (pinning.on()) Parallel.pinCaller();
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < nRows; i++) {
                    a[i].time(oursCall[i], NnBench.perRound(rowCalls, rounds));
                    if (theirsCall[i] != null) {
                        Timing.Samples torchTimes = b[i];
                        Runnable call = theirsCall[i];
                        pinning.unpinnedDuring(() -> torchTimes.time(call, NnBench.perRound(rowCalls, rounds)));
                        NnBench.quiesce();
                    }
                }
            }
            for (int i = 0; i < nRows; i++) {
                Row row = ROWS.get(i);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("method", row.method());
                m.put("steps", row.steps());
                m.put("multiply_adds", ActorCost.multiplyAdds(actor, row.steps()));
                m.put("median_us", NnBench.round(a[i].median() / 1e3));
                m.put("p99_us", NnBench.round(a[i].quantile(0.99) / 1e3));
                m.put("hz", Math.round(1e9 / a[i].median()));
                if (theirsCall[i] != null) {
                    double diff = 0;
                    for (int j = 0; j < actor.actionDim; j++) diff = Math.max(diff, Math.abs(ours[i][j] - theirs[i][j]));
                    m.put("pytorch_median_us", NnBench.round(b[i].median() / 1e3));
                    m.put("pytorch_p99_us", NnBench.round(b[i].quantile(0.99) / 1e3));
                    m.put("pytorch_hz", Math.round(1e9 / b[i].median()));
                    m.put("vs_pytorch", NnBench.round(a[i].median() / b[i].median()));
                    m.put("pytorch_action_max_abs_diff", diff);
                }
                if (pixel) {
                    m.put("paper_rtx4090_ms", row.rtx4090Ms());
                    m.put("paper_rtx2080_ms", row.rtx2080Ms());
                }
                rows.add(m);
            }
        } finally {
            for (BatchOneSampler b : samplers) b.close();
            if (pinning.on()) Affinity.unpinCurrentThread(); // the next task's anchor starts its threads unpinned
        }
        double reflow = (double) rows.get(0).get("median_us");
        Object reflowTorch = rows.get(0).get("pytorch_median_us");
        for (Map<String, Object> m : rows) {
            m.put("speedup_vs_reflow20", NnBench.round(reflow / (double) m.get("median_us")));
            if (reflowTorch != null) m.put("pytorch_speedup_vs_reflow20", NnBench.round((double) reflowTorch / (double) m.get("pytorch_median_us")));
        }
        r.put("rows", rows);
        return r;
    }

    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> out) {
        StringBuilder s = new StringBuilder();
        s.append("machine: ").append(out.get("machine")).append(", ").append(out.get("threads")).append(" threads, ")
                .append(out.get("rounds")).append(" interleaved rounds")
                .append(Boolean.TRUE.equals(out.get("pinned")) ? ", our threads pinned\n" : "\n");
        for (var e : out.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> raw)) continue;
            Map<String, Object> task = (Map<String, Object>) raw;
            List<Map<String, Object>> rows = (List<Map<String, Object>>) task.get("rows");
            boolean torch = rows.get(0).containsKey("pytorch_median_us");
            boolean paper = rows.get(0).containsKey("paper_rtx4090_ms");
            s.append("\n").append(e.getKey()).append(": ").append(task.get("actor")).append(", ")
                    .append(String.format("%,d", (Integer) task.get("params"))).append(" parameters; ours via ").append(task.get("path")).append("\n\n");
            s.append("| Method | Steps | Time (median) | p99 | Freq | Speed-up vs ReFlow-20 |");
            if (torch) s.append(" PyTorch time | PyTorch freq | ours ÷ PyTorch |");
            if (paper) s.append(" paper RTX 4090 | paper RTX 2080 |");
            s.append("\n|---|---|---|---|---|---|");
            if (torch) s.append("---|---|---|");
            if (paper) s.append("---|---|");
            s.append("\n");
            for (Map<String, Object> m : rows) {
                s.append(String.format("| %s | %d | %s | %s | %,d Hz | %.1f× |", m.get("method"), (Integer) m.get("steps"),
                        time((double) m.get("median_us")), time((double) m.get("p99_us")), (Long) m.get("hz"),
                        (double) m.get("speedup_vs_reflow20")));
                if (torch) {
                    s.append(String.format(" %s | %,d Hz | %.2f× |", time((double) m.get("pytorch_median_us")),
                            (Long) m.get("pytorch_hz"), (double) m.get("vs_pytorch")));
                }
                if (paper) {
                    double a = (double) m.get("paper_rtx4090_ms"), b = (double) m.get("paper_rtx2080_ms");
                    s.append(String.format(" %.1f ms (%,d Hz) | %.1f ms (%,d Hz) |", a, Math.round(1000 / a), b, Math.round(1000 / b)));
                }
                s.append("\n");
            }
            if (torch) {
                double diff = 0;
                for (Map<String, Object> m : rows) diff = Math.max(diff, (double) m.get("pytorch_action_max_abs_diff"));
                s.append(String.format("%nSame weights, noise and observation in PyTorch: actions agree within %.1e at every K.%n", diff));
            }
        }
        return s.toString();
    }

    static String time(double us) {
        return us >= 1000 ? String.format("%.2f ms", us / 1000) : String.format("%.1f µs", us);
    }
}
