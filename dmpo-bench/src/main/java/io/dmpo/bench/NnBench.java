package io.dmpo.bench;

import io.dmpo.io.Json;
import io.dmpo.loss.MeanFlowLoss;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Affinity;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Engine benchmark (issues 2 and 11): for the Hopper state actor and the light-ViT pixel actor, batch-1 one-step action
 * latency, batch-1 forward with the (v, 0, 1) tangent, and a batch-128 MeanFlow training step; with {@code --vs}, the
 * same networks and weights through PyTorch (DJL) and ONNX Runtime in this same process. Every figure is measured in
 * {@code --rounds} interleaved rounds (ours, the anchors, a pause, ours, …) and reported as the median and quartiles of
 * all its calls, next to the machine's floors: its measured FMA throughput and read bandwidth.
 */
@Command(name = "nn", mixinStandardHelpOptions = true,
        description = "Latency of the actors' forward, forward+JVP and training step, with quartiles and the machine's floors; optional PyTorch/ONNX Runtime anchors.")
public final class NnBench implements Runnable {
    @Option(names = "--vs", split = ",", description = "anchors to run in the same process: pytorch, onnxruntime")
    List<String> anchors = new ArrayList<>();

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--threads", description = "engine threads (default: all cores = ${DEFAULT-VALUE})")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--samples", description = "timed calls per batch-1 figure over all rounds (default ${DEFAULT-VALUE}; a fifth of it for the ViT)")
    int samples = 2000;

    @Option(names = "--networks", split = ",", description = "which networks: hopper, vit (default: both)")
    List<String> networks = new ArrayList<>(List.of("hopper", "vit"));

    @Option(names = "--rounds", description = "interleaved measurement rounds at least (default ${DEFAULT-VALUE}); more follow until every figure has settled")
    int rounds = 10;

    @Option(names = "--max-rounds", description = "rounds at most while a figure has not settled (default ${DEFAULT-VALUE})")
    int maxRounds = 40;

    @Option(names = "--repeats", description = "multiply the rounds and the timed calls by this factor on a noisy machine (default ${DEFAULT-VALUE})")
    int repeats = 1;

    @Mixin
    Pinning pinning = new Pinning();

    @Option(names = "--warmup", description = "seconds of warm-up before each figure's first round (default ${DEFAULT-VALUE}; 3x for the ViT)")
    double warmup = 2.0;

    /** After an anchor's calls: PyTorch's and ONNX Runtime's OpenMP workers spin for a while before they sleep. */
    static final long QUIESCE_MILLIS = 300;

    @Override
    public void run() {
        for (String a : anchors) {
            if (!a.equals("pytorch") && !a.equals("onnxruntime")) throw new IllegalArgumentException("unknown anchor '" + a + "' (pytorch, onnxruntime)");
        }
        if (samples < 1) throw new IllegalArgumentException("--samples must be >= 1, got " + samples);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be >= 1, got " + repeats);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        if (maxRounds < rounds) throw new IllegalArgumentException("--max-rounds must be >= --rounds (" + rounds + "), got " + maxRounds);
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (!(warmup >= 0 && warmup <= 600)) throw new IllegalArgumentException("--warmup must be in [0, 600] seconds, got " + warmup);
        for (String n : networks) {
            if (!n.equals("hopper") && !n.equals("vit")) throw new IllegalArgumentException("unknown network '" + n + "' (hopper, vit)");
        }
        Parallel.setThreads(threads);
        boolean pin = pinning.resolve();
        // PyTorch gets the same number of intra-op threads, and must not try to download anything
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.offline", "true");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("threads", threads);
        out.put("pinned", pin);
        out.put("machine", machine());
        out.put("kernels", Kernels.VECTOR ? "vector" : "scalar");
        out.put("vector_lanes", Kernels.LANES);
        List<Workload> loads = new ArrayList<>();
        try {
            Parallel.setPinned(pin); // before the workloads' controllers start their helpers
            for (String net : networks) {
                loads.add(new Workload(switch (net) {
                    case "hopper" -> NetSpec.hopper();
                    case "vit" -> NetSpec.vit();
                    default -> throw new IllegalArgumentException("unknown network '" + net + "' (hopper, vit)");
                }));
            }
            measure(loads, out);
        } finally {
            for (Workload w : loads) w.controller.close();
            if (pin) Affinity.unpinCurrentThread();
            Parallel.setPinned(false);
        }
        if (json) {
            System.out.println(Json.write(out));
        } else {
            printTable(out);
        }
    }

    /** Every figure of every workload, interleaved with the anchors, in rounds until they settle; into {@code out}. */
    private void measure(List<Workload> loads, Map<String, Object> out) {
        int totalRounds = rounds * repeats;
        Floors floors = new Floors(threads);
        try (Anchors anchorSet = new Anchors(loads)) {
            if (pinning.on()) Parallel.pinCaller(); // after the anchors started their thread pools, which inherit the caller's CPUs
            // batch-1 latencies of every network before any training step (which leaves a large heap behind); each
            // round: ours, then the anchors, then a pause so their spinning workers do not steal the next round's core
            for (Workload w : loads) w.warmUpLatency(anchorSet);
            int latencyRounds = roundsUntilSettled(loads, anchorSet, false, () -> {
                floors.measure();
                for (Workload w : loads) w.latencyRound(totalRounds);
            }, w -> anchorSet.latencyRound(w, totalRounds));
            for (Workload w : loads) floors.bandwidthGBs(ActorCost.weightBytes(w.actor));
            for (Workload w : loads) w.warmUpTraining(anchorSet);
            int trainingRounds = roundsUntilSettled(loads, anchorSet, true, () -> {
                for (Workload w : loads) w.trainingRound(totalRounds);
            }, w -> anchorSet.trainingRound(w, totalRounds));
            out.put("latency_rounds", latencyRounds);
            out.put("training_rounds", trainingRounds);
            List<String> unsettled = new ArrayList<>();
            for (Workload w : loads) {
                for (String key : w.roundMedians.keySet()) if (!w.settled(key)) unsettled.add(w.spec.key() + "." + key);
            }
            out.put("unsettled", unsettled);
            out.put("fma_peak_gflops_1thread", round(floors.fmaGflops1.quantile(1.0) / 1000));
            out.put("fma_median_gflops", round(floors.fmaGflops.median() / 1000));
            out.put("fma_peak_gflops", round(floors.fmaPeakGflops()));
            for (Workload w : loads) out.put(w.spec.key(), w.report(floors, anchorSet));
        }
    }

    /**
     * Rounds of one phase (batch-1 latency, or training) — ours, then every anchor with the caller unpinned, then a
     * pause — at least {@code --rounds}, then on until the phase's figures have settled or {@code --max-rounds} ran;
     * returns how many ran.
     */
    private int roundsUntilSettled(List<Workload> loads, Anchors anchorSet, boolean training, Runnable ours,
                                   java.util.function.Consumer<Workload> anchorRound) {
        int min = rounds * repeats, cap = maxRounds * repeats, done = 0;
        while (done < min || (done < cap && !settled(loads, training))) {
            ours.run();
            anchorSet.unpinned(() -> loads.forEach(anchorRound));
            if (anchorSet.any()) quiesce();
            done++;
        }
        return done;
    }

    /** Whether every figure of one phase (ours and the anchors') has settled; see {@link Workload#settled}. */
    static boolean settled(List<Workload> loads, boolean training) {
        for (Workload w : loads) {
            for (String key : w.roundMedians.keySet()) {
                if (key.contains("train_step") == training && !w.settled(key)) return false;
            }
        }
        return true;
    }

    static void quiesce() {
        try {
            Thread.sleep(QUIESCE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The machine's ceilings, measured in every round next to the figures they bound: FMA throughput (one thread, and
     * all engine threads at once) and the read bandwidth of a buffer the size of a network's weights summed by the
     * engine's threads (the weights stay in cache between calls, as in a serving loop).
     */
    static final class Floors {
        final int threads;
        final Timing.Samples fmaGflops1 = new Timing.Samples(), fmaGflops = new Timing.Samples();
        final Map<Long, Timing.Samples> bandwidth = new LinkedHashMap<>();
        static final long PROBE_ROUNDS = 1_000_000; // 48 M fused multiply-adds: ~4 ms per thread
        float sink;

        Floors(int threads) {
            this.threads = threads;
            Timing.warmUp(() -> sink += Kernels.fmaProbe(10_000), 0.5);
        }

        void measure() {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                sink += Kernels.fmaProbe(PROBE_ROUNDS);
                long t1 = System.nanoTime();
                fmaGflops1.add(gflopsMilli(PROBE_ROUNDS, t1 - t0));
                // each thread times its own probe, so the figure is the machine's while all of them compute, not the
                // hand-off's (waking a parked worker takes ~50 µs on this VM, at times milliseconds)
                float[] parts = new float[threads];
                long[] nanos = new long[threads];
                Parallel.runSlices(threads, t -> {
                    long start = System.nanoTime();
                    parts[t] = Kernels.fmaProbe(PROBE_ROUNDS);
                    nanos[t] = System.nanoTime() - start;
                });
                long total = 0;
                for (int t = 0; t < threads; t++) {
                    sink += parts[t];
                    total += gflopsMilli(PROBE_ROUNDS, nanos[t]);
                }
                fmaGflops.add(total);
            }
        }

        /** GFLOP/s × 1000, kept as a long sample. */
        private static long gflopsMilli(long rounds, long nanos) {
            return Math.round(1000.0 * 2.0 * rounds * Kernels.FMA_PROBE_LANES / nanos);
        }

        /** FMA throughput of all engine threads at once, GFLOP/s: the best probe (a peak; other tenants only lower it). */
        double fmaPeakGflops() {
            return fmaGflops.quantile(1.0) / 1000.0;
        }

        /**
         * Read bandwidth (GB/s, best pass) of a {@code bytes}-sized buffer, each engine thread summing its share 100 times
         * in one hand-off (so the figure is the memory system's, not the hand-off's); measured on first use.
         */
        double bandwidthGBs(long bytes) {
            Timing.Samples s = bandwidth.get(bytes);
            if (s == null) {
                s = new Timing.Samples();
                bandwidth.put(bytes, s);
                float[] buf = new float[(int) (bytes / 4)];
                for (int i = 0; i < buf.length; i++) buf[i] = i % 7;
                int per = (buf.length + threads - 1) / threads, passes = 100;
                float[] parts = new float[threads];
                Runnable read = () -> Parallel.runSlices(threads, t -> {
                    int from = Math.min(buf.length, t * per), to = Math.min(buf.length, from + per);
                    for (int p = 0; p < passes; p++) parts[t] += Kernels.sum(buf, from, to - from);
                });
                Timing.warmUp(read, 0.5);
                Timing.Samples ns = new Timing.Samples();
                ns.time(read, 25);
                for (int i = 0; i < ns.count(); i++) s.add(Math.round(passes * bytes / ns.quantile((double) i / (ns.count() - 1)) * 1000));
                for (float f : parts) sink += f;
            }
            return s.quantile(1.0) / 1000.0; // the best of the timed passes, as for the FMA peak
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

        /** The same network with its initial weights (our training steps change the benchmarked copy's). */
        MeanFlowActor fresh() {
            return pixel ? vit().actor() : hopper().actor();
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

    /** One network's fixed, seeded inputs (batch 1 and batch 128) and the samples of its figures. */
    final class Workload {
        final NetSpec spec;
        final MeanFlowActor actor;
        final SplittableRandom rng = new SplittableRandom(42);
        final Tensor obs1, eps1, obs, act;
        final int b = 128;
        final int b1Samples, trainSamples;
        final Runnable forward, control, tangent, train;
        final io.dmpo.policy.BatchOneSampler controller;
        final Map<String, Timing.Samples> figures = new LinkedHashMap<>();
        final Map<String, List<Double>> roundMedians = new LinkedHashMap<>();

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
            trainSamples = spec.pixel() ? 10 : 60;
            forward = () -> MeanFlowSampler.sample(actor, obs1, eps1, 1);
            // the robot's path: FlowPolicy.controller()'s allocation-free sampler (same action, bit for bit)
            controller = new io.dmpo.policy.BatchOneSampler(actor, 1);
            float[] o1 = obs1.toArray(), e1 = eps1.toArray(), a1 = new float[actor.actionDim];
            control = () -> controller.sample(o1, e1, a1);
            Tensor v1 = eps1.copy();
            tangent = () -> {
                Tensor cond = actor.encode(obs1);
                actor.velocity(new Dual(eps1, v1), new Dual(Ops.full(1, 1, 0.2f), Tensor.zeros(1, 1)),
                        new Dual(Ops.full(1, 1, 0.8f), Ops.full(1, 1, 1f)), cond);
            };
            MeanFlowStep step = new MeanFlowStep(actor, AdamW.withDefaults(actor.params(), 1e-6), MeanFlowStep.Config.DEFAULT);
            SplittableRandom noise = new SplittableRandom(3);
            train = () -> step.run(obs, act, noise, 1e-5);
        }

        /** Warm-up seconds: the pixel network's large kernels keep the JIT busy for seconds. */
        double warm() {
            return spec.pixel() ? 3 * warmup : warmup;
        }

        Timing.Samples figure(String key) {
            return figures.computeIfAbsent(key, k -> new Timing.Samples());
        }

        /**
         * A figure's headline: {@link Timing#level} of its round medians (the pooled median and quartiles say what the
         * disturbed rounds cost); without rounds, and for the paced controller (what a loop sees over time), the median
         * of all its calls.
         */
        double headline(String key) {
            List<Double> rm = roundMedians.get(key);
            return rm == null || key.equals(PACED) ? figures.get(key).median() : Timing.level(rm);
        }

        /** Whether figure {@code key} has {@link Timing#settled}; rounds continue (to --max-rounds) until all have. */
        boolean settled(String key) {
            if (key.equals(PACED)) return true;
            List<Double> rm = roundMedians.get(key);
            return rm != null && Timing.settled(rm);
        }

        /** Times {@code calls} calls into figure {@code key} and keeps this round's median (for the spread across rounds). */
        void timeRound(String key, Runnable body, int calls) {
            Timing.Samples round = new Timing.Samples();
            round.time(body, calls);
            Timing.Samples all = figure(key);
            for (int i = 0; i < round.count(); i++) all.add(round.at(i));
            roundMedians.computeIfAbsent(key, k -> new ArrayList<>()).add(round.median());
        }

        void warmUpLatency(Anchors anchorSet) {
            Timing.warmUp(forward, warm());
            Timing.warmUp(tangent, warm());
            Timing.warmUp(control, warm());
            anchorSet.unpinned(() -> anchorSet.warmUpLatency(this));
        }

        void latencyRound(int totalRounds) {
            int calls = perRound(b1Samples * repeats, totalRounds);
            timeRound("b1_forward", forward, calls);
            timeRound("b1_tangent", tangent, calls);
            timeRound("b1_control", control, calls);
            timePacedRound(Math.max(1, calls / 4));
        }

        /** A control loop's period: 1 kHz for the state actor, the paper's 120 Hz for the pixel actor. */
        long periodNanos() {
            return spec.pixel() ? 1_000_000_000L / 120 : 1_000_000L;
        }

        /**
         * {@link #PACED} calls of the controller, one per {@link #periodNanos} as in a control loop: the caller idles
         * between actions, so its caches have gone cold and the team's helpers have parked. Back-to-back calls
         * ({@code b1_control}) hide both. Not part of the settle rule: how cold the next action starts is the host's
         * business and does not converge.
         */
        void timePacedRound(int calls) {
            Timing.Samples round = new Timing.Samples();
            long period = periodNanos(), next = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                next += period;
                for (long wait; (wait = next - System.nanoTime()) > 0; ) java.util.concurrent.locks.LockSupport.parkNanos(wait);
                long t0 = System.nanoTime();
                control.run();
                long t1 = System.nanoTime();
                round.add(t1 - t0);
                if (t1 - next > period) next = t1 - period; // an overrun: the next period starts now, as a loop's would
            }
            Timing.Samples all = figure(PACED);
            for (int i = 0; i < round.count(); i++) all.add(round.at(i));
            roundMedians.computeIfAbsent(PACED, k -> new ArrayList<>()).add(round.median());
        }

        void warmUpTraining(Anchors anchorSet) {
            Timing.warmUp(train, warm());
            anchorSet.unpinned(() -> anchorSet.warmUpTraining(this));
        }

        void trainingRound(int totalRounds) {
            timeRound("b128_train_step", train, perRound(trainSamples * repeats, totalRounds));
        }

        Map<String, Object> report(Floors floors, Anchors anchorSet) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("params", actor.paramCount());
            for (var e : figures.entrySet()) {
                String key = e.getKey();
                Timing.Samples s = e.getValue();
                boolean ms = key.contains("train_step");
                double unit = ms ? 1e6 : 1e3;
                String suffix = ms ? "_ms" : "_us";
                r.put(key + suffix, round(headline(key) / unit));
                r.put(key + "_median" + suffix, round(s.median() / unit));
                r.put(key + "_q1" + suffix, round(s.quantile(0.25) / unit));
                r.put(key + "_q3" + suffix, round(s.quantile(0.75) / unit));
                r.put(key + "_calls", s.count());
                List<Double> rm = roundMedians.get(key);
                if (rm != null) r.put(key + "_round_medians" + suffix, rm.stream().map(v -> round(v / unit)).toList());
            }
            double fwd = headline("b1_forward");
            long macs = ActorCost.multiplyAdds(actor, 1);
            long bytes = ActorCost.weightBytes(actor);
            double peak = floors.fmaPeakGflops(), gbs = floors.bandwidthGBs(bytes);
            r.put("multiply_adds", macs);
            r.put("b1_forward_gflops", round(2.0 * macs / fwd));
            r.put("compute_floor_us", round(2.0 * macs / peak / 1e3));
            r.put("b1_forward_vs_compute_floor", round(fwd / (2.0 * macs / peak)));
            r.put("weights_bytes", bytes);
            r.put("read_bandwidth_gb_s", round(gbs));
            r.put("b1_forward_gb_s", round(bytes / fwd));
            r.put("memory_floor_us", round(bytes / gbs / 1e3));
            r.put("b1_forward_vs_memory_floor", round(fwd / (bytes / gbs)));
            double ctl = headline("b1_control");
            r.put("b1_control_vs_compute_floor", round(ctl / (2.0 * macs / peak)));
            r.put("b1_control_vs_memory_floor", round(ctl / (bytes / gbs)));
            r.put(PACED + "_hz", round(1e9 / periodNanos()));
            r.put(PACED + "_p99_us", round(figures.get(PACED).quantile(0.99) / 1e3));
            anchorSet.report(this, r);
            return r;
        }
    }

    /** The controller called at a control loop's rate (see {@link Workload#timePacedRound}). */
    static final String PACED = "b1_control_paced";

    static int perRound(int total, int rounds) {
        return Math.max(1, (total + rounds - 1) / rounds);
    }

    /** The anchors of every network, opened once and measured in the same rounds as our engine. */
    final class Anchors implements AutoCloseable {
        final Map<Workload, OnnxRuntimeAnchor> ort = new LinkedHashMap<>();
        final Map<Workload, PyTorchAnchor> torch = new LinkedHashMap<>();
        final Map<Workload, Runnable> ortAction = new LinkedHashMap<>(), torchAction = new LinkedHashMap<>(),
                torchTrain = new LinkedHashMap<>();
        final Map<Workload, Map<String, Object>> checks = new LinkedHashMap<>();

        Anchors(List<Workload> loads) {
            for (Workload w : loads) {
                Map<String, Object> check = new LinkedHashMap<>();
                checks.put(w, check);
                if (anchors.contains("onnxruntime") && !w.spec.pixel()) {
                    try {
                        OnnxRuntimeAnchor a = new OnnxRuntimeAnchor(w.actor, 1, threads);
                        ort.put(w, a);
                        ortAction.put(w, a.batch1Action(w.obs1, w.eps1));
                    } catch (ai.onnxruntime.OrtException e) {
                        throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
                    }
                }
                if (anchors.contains("pytorch")) {
                    PyTorchAnchor t = new PyTorchAnchor(w.actor);
                    torch.put(w, t);
                    float[] theirs = t.action(w.obs1, w.eps1);
                    float[] ours = MeanFlowSampler.sample(w.actor, w.obs1, w.eps1, 1).toArray();
                    double maxDiff = 0;
                    for (int i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                    check.put("pytorch_b1_action_max_abs_diff", maxDiff);
                    torchAction.put(w, t.batch1Action(w.obs1, w.eps1));
                }
            }
        }

        boolean any() {
            return !ort.isEmpty() || !torch.isEmpty();
        }

        /** Runs an anchor's part with the caller unpinned ({@link Pinning#unpinnedDuring}); nothing to do without anchors. */
        void unpinned(Runnable anchorPart) {
            if (any()) pinning.unpinnedDuring(anchorPart);
        }

        void warmUpLatency(Workload w) {
            if (ortAction.containsKey(w)) Timing.warmUp(ortAction.get(w), w.warm());
            if (torchAction.containsKey(w)) Timing.warmUp(torchAction.get(w), w.warm());
            if (any()) quiesce();
        }

        void latencyRound(Workload w, int totalRounds) {
            int calls = perRound(w.b1Samples * repeats, totalRounds);
            if (ortAction.containsKey(w)) w.timeRound("onnxruntime_b1_forward", ortAction.get(w), calls);
            if (torchAction.containsKey(w)) w.timeRound("pytorch_b1_forward", torchAction.get(w), calls);
        }

        void warmUpTraining(Workload w) {
            PyTorchAnchor t = torch.get(w);
            if (t == null) return;
            // PyTorch holds the initial weights (copied before our training steps changed ours): its first loss is
            // compared with our loss on a fresh copy of the initial network
            MeanFlowActor initial = w.spec.fresh();
            MeanFlowLoss.Times times = MeanFlowLoss.sampleTimes(new SplittableRandom(5), w.b, -0.4, 1.0, 0.5);
            Tensor eps = Tensor.zeros(w.b, w.actor.actionDim);
            SplittableRandom rng = new SplittableRandom(7);
            for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
            Runnable step = t.trainStep(w.obs, w.act, eps, times.t(), times.r());
            double ourLoss = MeanFlowLoss.evaluate(initial, w.obs, w.act, eps, times, MeanFlowLoss.Options.PLAIN).loss();
            step.run(); // first step: same weights and inputs as ours, so the same loss
            checks.get(w).put("pytorch_loss_rel_diff", Math.abs(t.lastLoss - ourLoss) / Math.abs(ourLoss));
            torchTrain.put(w, step);
            Timing.warmUp(step, w.warm());
            quiesce();
        }

        void trainingRound(Workload w, int totalRounds) {
            if (torchTrain.containsKey(w)) {
                w.timeRound("pytorch_b128_train_step", torchTrain.get(w), perRound(w.trainSamples * repeats, totalRounds));
            }
        }

        void report(Workload w, Map<String, Object> r) {
            r.putAll(checks.get(w));
            double fwd = w.headline("b1_forward");
            if (w.figures.containsKey("onnxruntime_b1_forward")) {
                r.put("b1_forward_vs_onnxruntime", round(fwd / w.headline("onnxruntime_b1_forward")));
            }
            if (w.figures.containsKey("pytorch_b1_forward")) {
                r.put("b1_forward_vs_pytorch", round(fwd / w.headline("pytorch_b1_forward")));
            }
            if (w.figures.containsKey("pytorch_b128_train_step")) {
                r.put("b128_train_step_vs_pytorch", round(w.headline("b128_train_step") / w.headline("pytorch_b128_train_step")));
            }
        }

        @Override
        public void close() {
            for (OnnxRuntimeAnchor a : ort.values()) {
                try {
                    a.close();
                } catch (ai.onnxruntime.OrtException e) {
                    throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
                }
            }
            for (PyTorchAnchor t : torch.values()) t.close();
        }
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
        for (var e : out.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?>)) System.out.printf("%-30s %s%n", e.getKey(), e.getValue());
        }
        for (var e : out.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> m)) continue;
            System.out.println(e.getKey() + ":");
            for (var f : ((Map<String, Object>) m).entrySet()) System.out.printf("  %-28s %s%n", f.getKey(), f.getValue());
        }
    }
}
