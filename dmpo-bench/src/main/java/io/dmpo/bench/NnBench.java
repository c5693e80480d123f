package io.dmpo.bench;

import io.dmpo.io.Json;
import io.dmpo.loss.MeanFlowLoss;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Dual;
import io.dmpo.nn.Init;
import io.dmpo.nn.Kernels;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.MeanFlowSampler;
import io.dmpo.train.MeanFlowStep;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Engine benchmark (issue 2): for the Hopper state actor and the light-ViT pixel actor, batch-1 one-step action latency,
 * batch-1 forward with the (v, 0, 1) tangent, and a batch-128 MeanFlow training step; with {@code --vs}, the same
 * networks and weights through PyTorch (DJL) and ONNX Runtime in this same process.
 */
@Command(name = "nn", mixinStandardHelpOptions = true,
        description = "Latency of the actors' forward, forward+JVP and training step; optional PyTorch/ONNX Runtime anchors.")
public final class NnBench implements Runnable {
    @Option(names = "--vs", split = ",", description = "anchors to run in the same process: pytorch, onnxruntime")
    List<String> anchors = new ArrayList<>();

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--threads", description = "engine threads (default: all cores = ${DEFAULT-VALUE})")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--samples", description = "timed calls per batch-1 figure (default ${DEFAULT-VALUE})")
    int samples = 2000;

    @Option(names = "--networks", split = ",", description = "which networks: hopper, vit (default: both)")
    List<String> networks = new ArrayList<>(List.of("hopper", "vit"));

    @Option(names = "--repeats", description = "repeat every measurement and report each figure's median (default ${DEFAULT-VALUE}); helps on a noisy machine")
    int repeats = 1;

    @Option(names = "--warmup", description = "seconds of warm-up before each figure (default ${DEFAULT-VALUE})")
    double warmup = 2.0;

    @Override
    public void run() {
        for (String a : anchors) {
            if (!a.equals("pytorch") && !a.equals("onnxruntime")) throw new IllegalArgumentException("unknown anchor '" + a + "' (pytorch, onnxruntime)");
        }
        if (samples < 1) throw new IllegalArgumentException("--samples must be >= 1, got " + samples);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be >= 1, got " + repeats);
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (!(warmup >= 0 && warmup <= 600)) throw new IllegalArgumentException("--warmup must be in [0, 600] seconds, got " + warmup);
        for (String n : networks) {
            if (!n.equals("hopper") && !n.equals("vit")) throw new IllegalArgumentException("unknown network '" + n + "' (hopper, vit)");
        }
        Parallel.setThreads(threads);
        // PyTorch gets the same number of intra-op threads, and must not try to download anything
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.offline", "true");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("threads", threads);
        out.put("machine", machine());
        out.put("kernels", Kernels.VECTOR ? "vector" : "scalar");
        List<Workload> loads = new ArrayList<>();
        for (String net : networks) {
            loads.add(new Workload(switch (net) {
                case "hopper" -> NetSpec.hopper();
                case "vit" -> NetSpec.vit();
                default -> throw new IllegalArgumentException("unknown network '" + net + "' (hopper, vit)");
            }));
        }
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be >= 1, got " + repeats);
        List<Map<String, Map<String, Object>>> runs = new ArrayList<>();
        for (int rep = 0; rep < repeats; rep++) {
            Map<String, Map<String, Object>> run = new LinkedHashMap<>();
            // our engine first for every network, then the anchors: PyTorch's OpenMP workers keep spinning for a
            // while after their last parallel region and would steal a core from whatever is measured next
            // batch-1 latencies of every network before any training step (which leaves a large heap behind)
            for (Workload w : loads) run.put(w.spec.key(), measureLatency(w));
            for (Workload w : loads) measureTraining(w, run.get(w.spec.key()));
            for (Workload w : loads) measureAnchors(w, run.get(w.spec.key()));
            runs.add(run);
        }
        out.put("repeats", repeats);
        for (Workload w : loads) out.put(w.spec.key(), medianPerKey(runs, w.spec.key()));
        if (json) {
            System.out.println(Json.write(out));
        } else {
            printTable(out);
        }
    }

    /** A network to benchmark, with a fixed seeded input. */
    record NetSpec(String key, MeanFlowActor actor, int obsDim, boolean pixel) {
        static NetSpec hopper() {
            MeanFlowActor a = MeanFlowActor.state(11, 12);
            Init.apply(a.params(), 1);
            return new NetSpec("hopper_actor", a, 11, false);
        }

        static NetSpec vit() {
            MeanFlowActor a = MeanFlowActor.pixel(3, 96, 96, 9, 28, 7);
            Init.apply(a.params(), 1);
            return new NetSpec("vit_actor", a, a.obsDim, true);
        }

        Tensor observations(int batch, SplittableRandom rng) {
            Tensor t = Tensor.zeros(batch, obsDim);
            int imageSize = pixel ? obsDim - 9 : 0;
            for (int r = 0; r < batch; r++) {
                for (int c = 0; c < obsDim; c++) {
                    t.set(r, c, c < imageSize ? (float) rng.nextInt(256) : (float) Init.gaussian(rng));
                }
            }
            return t;
        }
    }

    /** Each numeric figure's median over the repeats; a ratio is the median of the per-run (paired) ratios. */
    static Map<String, Object> medianPerKey(List<Map<String, Map<String, Object>>> runs, String key) {
        Map<String, Object> merged = new LinkedHashMap<>();
        for (String k : runs.get(0).get(key).keySet()) {
            List<Double> vals = new ArrayList<>();
            for (Map<String, Map<String, Object>> run : runs) vals.add(((Number) run.get(key).get(k)).doubleValue());
            vals.sort(null);
            int n = vals.size();
            double med = n % 2 == 1 ? vals.get(n / 2) : 0.5 * (vals.get(n / 2 - 1) + vals.get(n / 2));
            Object first = runs.get(0).get(key).get(k);
            merged.put(k, first instanceof Integer || first instanceof Long ? (Object) Math.round(med)
                    : k.endsWith("_diff") ? (Object) med : (Object) round(med));
        }
        return merged;
    }

    /** One network's fixed, seeded inputs (batch 1 and batch 128), shared by every engine measured on it. */
    final class Workload {
        final NetSpec spec;
        final MeanFlowActor actor;
        final SplittableRandom rng = new SplittableRandom(42);
        final Tensor obs1, eps1, obs, act;
        final int b = 128;
        final int b1Samples;
        double fwd, train;

        Workload(NetSpec spec) {
            this.spec = spec;
            this.actor = spec.actor();
            obs1 = spec.observations(1, rng);
            eps1 = Tensor.zeros(1, actor.actionDim);
            for (int i = 0; i < eps1.size(); i++) eps1.data[i] = (float) Init.gaussian(rng);
            obs = spec.observations(b, rng);
            act = Tensor.zeros(b, actor.actionDim);
            for (int i = 0; i < act.size(); i++) act.data[i] = (float) (2 * rng.nextDouble() - 1);
            b1Samples = spec.pixel() ? Math.max(100, samples / 5) : samples;
        }
    }

    Map<String, Object> measureLatency(Workload w) {
        NetSpec spec = w.spec;
        MeanFlowActor actor = w.actor;
        Tensor obs1 = w.obs1, eps1 = w.eps1;
        int b1Samples = w.b1Samples;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("params", actor.paramCount());

        // the pixel network's large kernels keep the JIT busy for seconds: warm it up longer
        double warm = spec.pixel() ? 3 * warmup : warmup;
        double fwd = Timing.medianNanos(() -> MeanFlowSampler.sample(actor, obs1, eps1, 1), warm, b1Samples);
        r.put("b1_forward_us", round(fwd / 1e3));
        w.fwd = fwd;

        Tensor z1 = eps1, v1 = eps1.copy();
        double tan = Timing.medianNanos(() -> {
            Tensor cond = actor.encode(obs1);
            actor.velocity(new Dual(z1, v1), new Dual(Ops.full(1, 1, 0.2f), Tensor.zeros(1, 1)),
                    new Dual(Ops.full(1, 1, 0.8f), Ops.full(1, 1, 1f)), cond);
        }, warm, b1Samples);
        r.put("b1_tangent_us", round(tan / 1e3));

        if (!spec.pixel()) {
            long bytes = 4L * actor.paramCount();
            double gbs = l3BandwidthGBs(bytes);
            r.put("weights_bytes", bytes);
            r.put("l3_read_bandwidth_gb_s", round(gbs));
            r.put("memory_floor_us", round(bytes / gbs / 1e3));
        }

        return r;
    }

    void measureTraining(Workload w, Map<String, Object> r) {
        NetSpec spec = w.spec;
        MeanFlowActor actor = w.actor;
        Tensor obs = w.obs, act = w.act;
        double warm = spec.pixel() ? 3 * warmup : warmup;
        MeanFlowStep step = new MeanFlowStep(actor, AdamW.withDefaults(actor.params(), 1e-6), MeanFlowStep.Config.DEFAULT);
        SplittableRandom noise = new SplittableRandom(3);
        double train = Timing.medianNanos(() -> step.run(obs, act, noise, 1e-5), warm, spec.pixel() ? 9 : 60);
        r.put("b128_train_step_ms", round(train / 1e6));
        w.train = train;
    }

    void measureAnchors(Workload w, Map<String, Object> r) {
        NetSpec spec = w.spec;
        MeanFlowActor actor = w.actor;
        Tensor obs1 = w.obs1, eps1 = w.eps1, obs = w.obs, act = w.act;
        int b1Samples = w.b1Samples, b = w.b;
        double fwd = w.fwd, train = w.train;
        SplittableRandom rng = w.rng;
        if (anchors.contains("onnxruntime") && !spec.pixel()) {
            try (OnnxRuntimeAnchor ort = new OnnxRuntimeAnchor(actor, 1, threads)) {
                double of = Timing.medianNanos(ort.batch1Action(obs1, eps1), warmup, b1Samples);
                r.put("onnxruntime_b1_forward_us", round(of / 1e3));
                r.put("b1_forward_vs_onnxruntime", round(fwd / of));
            } catch (ai.onnxruntime.OrtException e) {
                throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
            }
        }
        if (anchors.contains("pytorch")) {
            try (PyTorchAnchor torch = new PyTorchAnchor(actor)) {
                float[] theirs = torch.action(obs1, eps1);
                float[] ours = MeanFlowSampler.sample(actor, obs1, eps1, 1).toArray();
                double maxDiff = 0;
                for (int i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                r.put("pytorch_b1_action_max_abs_diff", maxDiff);
                double pf = Timing.medianNanos(torch.batch1Action(obs1, eps1), spec.pixel() ? 3 * warmup : warmup, b1Samples);
                r.put("pytorch_b1_forward_us", round(pf / 1e3));
                MeanFlowLoss.Times times = MeanFlowLoss.sampleTimes(new SplittableRandom(5), b, -0.4, 1.0, 0.5);
                Tensor eps = Tensor.zeros(b, actor.actionDim);
                for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
                Runnable torchStep = torch.trainStep(obs, act, eps, times.t(), times.r());
                double ourLoss = MeanFlowLoss.evaluate(actor, obs, act, eps, times, MeanFlowLoss.Options.PLAIN).loss();
                torchStep.run(); // first step: same weights and inputs as ours, so the same loss
                r.put("pytorch_loss_rel_diff", Math.abs(torch.lastLoss - ourLoss) / Math.abs(ourLoss));
                double pt = Timing.medianNanos(torchStep, spec.pixel() ? 3 * warmup : warmup, spec.pixel() ? 9 : 30);
                r.put("pytorch_b128_train_step_ms", round(pt / 1e6));
                r.put("b1_forward_vs_pytorch", round(fwd / pf));
                r.put("b128_train_step_vs_pytorch", round(train / pt));
            }
        }
    }

    /** Read bandwidth for a buffer the size of the weights (it stays in cache, as weights do across calls). */
    static double l3BandwidthGBs(long bytes) {
        float[] buf = new float[(int) (bytes / 4)];
        for (int i = 0; i < buf.length; i++) buf[i] = i % 7;
        float[] sink = new float[1];
        double ns = Timing.medianNanos(() -> sink[0] += Kernels.sum(buf, 0, buf.length), 1.0, 501);
        if (sink[0] == 42f) System.out.print("");
        return bytes / ns;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static String machine() {
        String cpu = "unknown cpu";
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (java.io.IOException e) {
            cpu = "cpu model unreadable (" + e.getMessage() + ")";
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version();
    }

    @SuppressWarnings("unchecked")
    static void printTable(Map<String, Object> out) {
        System.out.printf("machine: %s%nthreads: %s, kernels: %s%n", out.get("machine"), out.get("threads"), out.get("kernels"));
        for (var e : out.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> m)) continue;
            System.out.println(e.getKey() + ":");
            for (var f : ((Map<String, Object>) m).entrySet()) System.out.printf("  %-28s %s%n", f.getKey(), f.getValue());
        }
    }
}
