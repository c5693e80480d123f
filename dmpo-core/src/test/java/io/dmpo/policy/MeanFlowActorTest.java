package io.dmpo.policy;

import io.dmpo.loss.MeanFlowLoss;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Dual;
import io.dmpo.nn.Init;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Param;
import io.dmpo.nn.Tensor;
import io.dmpo.train.MeanFlowStep;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The composite actor's JVP and backward against finite differences, and bitwise-reproducible training. */
class MeanFlowActorTest {
    @AfterEach
    void oneThread() {
        Parallel.setThreads(1);
    }

    static Tensor randn(SplittableRandom rng, int r, int c) {
        Tensor t = Tensor.zeros(r, c);
        for (int i = 0; i < t.size(); i++) t.data[i] = (float) Init.gaussian(rng);
        return t;
    }

    static Tensor uniformColumn(SplittableRandom rng, int b, double lo, double hi) {
        float[] v = new float[b];
        for (int i = 0; i < b; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return Ops.column(v);
    }

    @Test
    void jvpAlongV01MatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(21);
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 4);
        int b = 5;
        Tensor obs = randn(rng, b, 11), z = randn(rng, b, 12), v = randn(rng, b, 12);
        Tensor t = uniformColumn(rng, b, 0.3, 0.9), r = uniformColumn(rng, b, 0.0, 0.3);
        Tensor cond = actor.encode(obs);
        Dual out = actor.velocity(new Dual(z, v), Dual.of(r), new Dual(t, Ops.full(b, 1, 1f)), cond);
        double h = 1e-2;
        Tensor plus = actor.velocity(Dual.of(shift(z, v, h)), Dual.of(r), Dual.of(shift(t, Ops.full(b, 1, 1f), h)), cond).value();
        Tensor minus = actor.velocity(Dual.of(shift(z, v, -h)), Dual.of(r), Dual.of(shift(t, Ops.full(b, 1, 1f), -h)), cond).value();
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < plus.size(); i++) {
            double fd = (plus.data[i] - minus.data[i]) / (2 * h);
            maxRef = Math.max(maxRef, Math.abs(fd));
            maxErr = Math.max(maxErr, Math.abs(fd - out.tangent().data[out.tangent().offset + i]));
        }
        assertTrue(maxErr < 1e-2 * maxRef, "du/dt vs finite differences: " + maxErr + " of " + maxRef);
    }

    static Tensor shift(Tensor x, Tensor d, double h) {
        Tensor y = x.copy();
        for (int i = 0; i < y.size(); i++) y.data[i] += (float) (h * d.data[d.offset + i]);
        return y;
    }

    @Test
    void lossGradientMatchesFiniteDifferencesIncludingEncoder() {
        SplittableRandom rng = new SplittableRandom(22);
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 5);
        int b = 6;
        Tensor obs = randn(rng, b, 11), a = randn(rng, b, 12), eps = randn(rng, b, 12);
        MeanFlowLoss.Times times = MeanFlowLoss.sampleTimes(rng, b, -0.4, 1.0, 0.5);
        for (Param p : actor.params()) p.zeroGrad();
        MeanFlowLoss.Result res = MeanFlowLoss.evaluate(actor, obs, a, eps, times, MeanFlowLoss.Options.PLAIN);
        res.pass().backward(res.gradU(), null);
        // the target is a stop-gradient: perturb parameters but keep the target of the unperturbed network fixed
        Tensor target = Tensor.zeros(b, 12);
        for (int i = 0; i < b; i++) {
            float gap = times.t().get(i, 0) - times.r().get(i, 0);
            for (int j = 0; j < 12; j++) {
                target.set(i, j, eps.get(i, j) - a.get(i, j) - gap * res.pass().du().get(i, j));
            }
        }
        for (String name : List.of("cond.fc1.weight", "cond.fc2.bias", "temb.fc1.weight", "remb.fc2.weight", "head.inp.weight", "head.block0.l1.weight", "head.out.bias")) {
            Param p = actor.params().stream().filter(q -> q.name.equals(name)).findFirst().orElseThrow();
            float[] dir = new float[p.size()];
            double an = 0;
            for (int i = 0; i < dir.length; i++) {
                dir[i] = (float) (Init.gaussian(rng) / Math.sqrt(dir.length));
                an += dir[i] * p.grad[i];
            }
            // the loss is O(1) and its float32 rounding is ~1e-7, so use a large step with Richardson extrapolation
            double h = 0.1;
            double d1 = (lossWithFixedTarget(actor, p, dir, h, obs, a, eps, times, target)
                    - lossWithFixedTarget(actor, p, dir, -h, obs, a, eps, times, target)) / (2 * h);
            double d2 = (lossWithFixedTarget(actor, p, dir, h / 2, obs, a, eps, times, target)
                    - lossWithFixedTarget(actor, p, dir, -h / 2, obs, a, eps, times, target)) / h;
            double fd = (4 * d2 - d1) / 3;
            assertEquals(fd, an, 1e-2 * Math.abs(fd), name);
        }
    }

    static double lossWithFixedTarget(MeanFlowActor actor, Param p, float[] dir, double h, Tensor obs, Tensor a, Tensor eps,
                                      MeanFlowLoss.Times times, Tensor target) {
        float[] saved = p.value.clone();
        for (int i = 0; i < dir.length; i++) p.value[i] += (float) (h * dir[i]);
        int b = a.rows;
        Tensor z = Tensor.zeros(b, 12);
        for (int i = 0; i < b; i++) {
            float t = times.t().get(i, 0);
            for (int j = 0; j < 12; j++) z.set(i, j, (1 - t) * a.get(i, j) + t * eps.get(i, j));
        }
        Tensor u = actor.velocity(Dual.of(z), Dual.of(times.r()), Dual.of(times.t()), actor.encode(obs)).value();
        System.arraycopy(saved, 0, p.value, 0, saved.length);
        double s = 0;
        for (int i = 0; i < u.size(); i++) {
            double d = u.data[i] - target.data[i];
            s += d * d;
        }
        return s / u.size();
    }

    /** Same seed and thread count ⇒ identical trace; and since outputs are split by rows, 1 and 2 threads agree too. */
    @Test
    void trainingTraceIsBitwiseReproducible() {
        List<double[]> traces = new ArrayList<>();
        List<float[]> finalWeights = new ArrayList<>();
        for (int threads : new int[] {1, 1, 2}) {
            Parallel.setThreads(threads);
            MeanFlowActor actor = MeanFlowActor.state(11, 12);
            Init.apply(actor.params(), 9);
            MeanFlowStep step = new MeanFlowStep(actor, AdamW.withDefaults(actor.params(), 1e-6), MeanFlowStep.Config.DEFAULT);
            SplittableRandom data = new SplittableRandom(10), noise = new SplittableRandom(11);
            double[] trace = new double[6];
            for (int it = 0; it < trace.length; it++) {
                Tensor obs = randn(data, 128, 11), act = randn(data, 128, 12);
                trace[it] = step.run(obs, act, noise, 1e-3).loss();
            }
            traces.add(trace);
            finalWeights.add(actor.params().get(actor.params().size() - 2).value.clone());
        }
        assertArrayEquals(traces.get(0), traces.get(1), "same seed, same threads");
        assertArrayEquals(traces.get(0), traces.get(2), "1 vs 2 threads");
        assertArrayEquals(finalWeights.get(0), finalWeights.get(2));
        assertTrue(traces.get(0)[5] < traces.get(0)[0], "the loss goes down on a fixed distribution");
    }
}
