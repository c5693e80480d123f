package io.dmpo.bench;

import io.dmpo.data.ArrayDataset;
import io.dmpo.data.WindowSampler;
import io.dmpo.io.Json;
import io.dmpo.loss.Dispersive;
import io.dmpo.loss.MeanFlowLoss;
import io.dmpo.loss.MeanFlowObjective;
import io.dmpo.nn.Activation;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Dual;
import io.dmpo.nn.Ema;
import io.dmpo.nn.Init;
import io.dmpo.nn.Layer;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Param;
import io.dmpo.nn.PixelEncoder;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Reshape;
import io.dmpo.nn.Schedules;
import io.dmpo.nn.Tensor;
import io.dmpo.nn.VisionTransformer;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.train.RandomShift;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where a pixel (light-ViT) MeanFlow pre-training step spends its time (docs/benchmarks.md, "ViT training step
 * breakdown"): the step of the pre-trainer taken apart in its own order — window sampling, random shift, the
 * encoder's layers forward (conv1, ReLU, conv2, tokens, position embedding, transformer block, LayerNorm, SpatialEmb),
 * the time embeddings and head forward with the JVP tangent, the loss, the dispersive term, the head backward, the
 * encoder's layers backward in reverse, gradient clipping, AdamW and EMA — each stage timed on the real layers of
 * {@code MeanFlowActor.pixel} at the training batch; next to the same step run whole (the objective as the
 * pre-trainer calls it). Medians over rounds; the stages' sum against the whole step says what the split itself costs.
 */
@Command(name = "breakdown", mixinStandardHelpOptions = true,
        description = "Per-stage time of one light-ViT MeanFlow training step (data, each encoder layer forward and "
                + "backward, head with JVP, loss, optimizer), next to the whole step.")
public final class StepBreakdown implements Runnable {
    @Option(names = "--batch", description = "training batch (default ${DEFAULT-VALUE})")
    int batch = 128;
    @Option(names = "--rounds", description = "timed steps (default ${DEFAULT-VALUE}; 2 more are warm-up)")
    int rounds = 8;
    @Option(names = "--threads", description = "engine threads (default ${DEFAULT-VALUE})")
    int threads = 2;
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    private static final int C = 3, H = 96, W = 96, PROP = 9, ACT = 7, HORIZON = 4, PAD = 4;
    /** The pixel configs' dispersive term (InfoNCE-L2, λ 0.5, τ 0.5). */
    private static final Dispersive.Options DISPERSIVE = new Dispersive.Options(Dispersive.Kind.INFONCE_L2, 0.5, 0.5, 1.0, true);

    @Override
    public void run() {
        if (batch < 2 || rounds < 1 || threads < 1) throw new IllegalArgumentException("--batch >= 2, --rounds >= 1, --threads >= 1");
        Parallel.setThreads(threads);
        MeanFlowActor actor = MeanFlowActor.pixel(C, H, W, PROP, ACT * HORIZON, 7);
        Init.apply(actor.params(), 3);
        actor.trainingMode(11);
        List<Param> params = actor.params();
        AdamW adam = AdamW.withDefaults(params, 1e-6);
        Ema ema = new Ema(params, 0.995);
        MeanFlowObjective objective = new MeanFlowObjective(-0.4, 1.0, 0.5, MeanFlowLoss.Options.PLAIN, DISPERSIVE);
        WindowSampler windows = windows(Math.max(2 * batch, 512));
        float[] obsBuf = new float[batch * windows.obsWidth()], actBuf = new float[batch * windows.actWidth()];
        SplittableRandom rng = new SplittableRandom(5);

        Map<String, List<Double>> stages = new LinkedHashMap<>();
        List<Double> whole = new ArrayList<>();
        for (int round = 0; round < rounds + 2; round++) {
            Map<String, Double> t = step(actor, objective, params, adam, ema, windows, obsBuf, actBuf, rng);
            long w0 = System.nanoTime();
            windows.sample(batch, rng, obsBuf, actBuf);
            RandomShift.apply(obsBuf, batch, windows.obsWidth(), C, H, W, PAD, rng);
            Schedules.zeroGrad(params);
            objective.apply(actor, new Tensor(obsBuf, 0, batch, windows.obsWidth()), new Tensor(actBuf, 0, batch, windows.actWidth()), rng, true);
            Schedules.clipGradNorm(params, 1.0);
            adam.step(1e-4);
            ema.update();
            double wholeMs = (System.nanoTime() - w0) / 1e6;
            if (round < 2) continue; // warm-up: the JIT and the first allocations
            t.forEach((k, v) -> stages.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            whole.add(wholeMs);
        }
        Map<String, Double> median = new LinkedHashMap<>();
        stages.forEach((k, v) -> median.put(k, median(v)));
        double sum = median.values().stream().mapToDouble(Double::doubleValue).sum(), wholeMedian = median(whole);
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("batch", batch);
            out.put("threads", threads);
            out.put("rounds", rounds);
            out.put("stages_ms", median);
            out.put("stages_sum_ms", sum);
            out.put("whole_step_ms", wholeMedian);
            out.put("whole_step_ms_all", whole);
            System.out.println(Json.write(out));
            return;
        }
        System.out.printf(Locale.ROOT, "light-ViT MeanFlow + dispersive training step, batch %d, %d threads, median of %d rounds%n",
                batch, threads, rounds);
        System.out.printf(Locale.ROOT, "%-28s %10s %7s%n", "stage", "ms", "share");
        median.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-28s %10.2f %6.1f%%%n", k, v, 100 * v / sum));
        System.out.printf(Locale.ROOT, "%-28s %10.2f%n%-28s %10.2f  (the same step, run whole)%n", "sum of stages", sum, "whole step", wholeMedian);
    }

    /** One training step taken apart in the pre-trainer's order; milliseconds per stage. */
    private Map<String, Double> step(MeanFlowActor actor, MeanFlowObjective objective, List<Param> params, AdamW adam, Ema ema,
                                     WindowSampler windows, float[] obsBuf, float[] actBuf, SplittableRandom rng) {
        Map<String, Double> ms = new LinkedHashMap<>();
        Clock clock = new Clock(ms);
        int b = batch;
        windows.sample(b, rng, obsBuf, actBuf);
        clock.lap("data: sample windows");
        RandomShift.apply(obsBuf, b, windows.obsWidth(), C, H, W, PAD, rng);
        clock.lap("data: random shift");
        Schedules.zeroGrad(params);
        clock.lap("zero gradients");

        PixelEncoder enc = (PixelEncoder) actor.encoder;
        VisionTransformer vit = enc.vit;
        Tensor obs = new Tensor(obsBuf, 0, b, windows.obsWidth());
        int img = vit.inputSize();
        Dual image = Dual.of(Ops.columns(obs, 0, img)), prop = Dual.of(Ops.columns(obs, img, PROP));
        clock.lap("encoder: split observation");
        // the ViT body in its order (VisionTransformer: conv1, ReLU, conv2, tokens, position embedding, block, LayerNorm)
        List<Map.Entry<String, Layer>> body = List.of(Map.entry("conv1 (8x8/4)", vit.conv1), Map.entry("ReLU", new Activation(Pointwise.RELU)),
                Map.entry("conv2 (3x3/2)", vit.conv2), Map.entry("tokens", new Reshape(vit.dim)), Map.entry("position embedding", vit.pos),
                Map.entry("transformer block", vit.block), Map.entry("LayerNorm", vit.ln));
        List<Layer.Trace> traces = new ArrayList<>();
        Dual x = image;
        for (var e : body) {
            Layer.Trace tr = traces.isEmpty() ? e.getValue().traceFromData(x) : e.getValue().trace(x); // pixels are data
            traces.add(tr);
            x = tr.output();
            clock.lap("encoder fwd: " + e.getKey());
        }
        Dual feat = new Dual(x.value().reshape(b, x.rows() * x.cols() / b), null);
        Layer.Trace spatial = enc.spatial.trace(Ops.concatCols(feat, prop));
        Tensor cond = Ops.concatCols(spatial.output(), prop).value();
        clock.lap("encoder fwd: SpatialEmb");

        // the head with the JVP tangent (v, 0, 1), as MeanFlowLoss.evaluate builds it
        Tensor actions = new Tensor(actBuf, 0, b, windows.actWidth());
        MeanFlowLoss.Times times = MeanFlowLoss.sampleTimes(rng, b, -0.4, 1.0, 0.5);
        int d = actor.actionDim;
        Tensor z = Tensor.zeros(b, d), v = Tensor.zeros(b, d);
        for (int i = 0; i < b; i++) {
            float tt = times.t().get(i, 0);
            for (int j = 0; j < d; j++) {
                float a = actions.get(i, j), eps = (float) Init.gaussian(rng);
                z.set(i, j, (1 - tt) * a + tt * eps);
                v.set(i, j, eps - a);
            }
        }
        Layer.Trace te = actor.timeEmb.trace(new Dual(times.t(), Ops.full(b, 1, 1f)));
        Layer.Trace re = actor.rEmb.trace(new Dual(times.r(), Tensor.zeros(b, 1)));
        Layer.Trace head = actor.head.trace(Ops.concatCols(new Dual(z, v), te.output(), re.output(), Dual.of(cond)));
        clock.lap("head fwd + JVP (time emb, MLP)");
        Tensor u = head.output().value(), du = head.output().tangent(), grad = Tensor.zeros(b, d);
        for (int i = 0; i < b; i++) {
            float gap = times.t().get(i, 0) - times.r().get(i, 0);
            for (int j = 0; j < d; j++) grad.set(i, j, (float) (2.0 / ((double) b * d) * (u.get(i, j) - (v.get(i, j) - gap * du.get(i, j)))));
        }
        clock.lap("loss");
        Dispersive.Result disp = Dispersive.evaluate(cond, DISPERSIVE);
        clock.lap("dispersive loss");

        Tensor gIn = head.backward(grad);
        int at = d;
        te.backward(Ops.columns(gIn, at, actor.timeDim));
        at += actor.timeDim;
        re.backward(Ops.columns(gIn, at, actor.timeDim));
        at += actor.timeDim;
        Tensor gCond = Ops.columns(gIn, at, actor.condDim);
        Ops.addInPlace(gCond, disp.grad());
        clock.lap("head bwd");
        Tensor gs = spatial.backward(Ops.columns(gCond, 0, enc.spatial.out));
        Tensor g = Ops.columns(gs, 0, feat.cols()).reshape(b * vit.tokens, vit.dim);
        clock.lap("encoder bwd: SpatialEmb");
        for (int i = body.size() - 1; i >= 0; i--) {
            g = traces.get(i).backward(g);
            clock.lap("encoder bwd: " + body.get(i).getKey());
        }
        Schedules.clipGradNorm(params, 1.0);
        clock.lap("gradient clipping");
        adam.step(1e-4);
        clock.lap("AdamW");
        ema.update();
        clock.lap("EMA");
        return ms;
    }

    /** Successive laps into named stages. */
    private static final class Clock {
        private final Map<String, Double> into;
        private long last = System.nanoTime();

        Clock(Map<String, Double> into) {
            this.into = into;
        }

        void lap(String stage) {
            long now = System.nanoTime();
            into.merge(stage, (now - last) / 1e6, Double::sum);
            last = now;
        }
    }

    /** Synthetic demonstrations with the pixel layout: a 3x96x96 image (0..255) and 9 proprioception values per row. */
    private static WindowSampler windows(int rows) {
        int od = C * H * W + PROP;
        SplittableRandom r = new SplittableRandom(1);
        float[] o = new float[rows * od], a = new float[rows * ACT], rew = new float[rows];
        for (int i = 0; i < o.length; i++) o[i] = r.nextInt(256);
        for (int i = 0; i < a.length; i++) a[i] = (float) (2 * r.nextDouble() - 1);
        boolean[] term = new boolean[rows], tmo = new boolean[rows];
        for (int i = 99; i < rows; i += 100) tmo[i] = true;
        tmo[rows - 1] = true;
        ArrayDataset d = new ArrayDataset("synthetic pixels", "memory", od, ACT, o, a, rew, term, tmo, null, Map.of());
        return new WindowSampler(d, 1, HORIZON);
    }

    private static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
