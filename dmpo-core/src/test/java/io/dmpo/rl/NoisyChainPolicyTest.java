package io.dmpo.rl;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.env.ActionChunking;
import io.dmpo.env.VectorEnv;
import io.dmpo.nn.Dual;
import io.dmpo.nn.Init;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Param;
import io.dmpo.nn.Schedules;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The noisy chain of docs/algorithms.md, "Stage 2", checked against direct computations, numeric integrals and finite differences. */
class NoisyChainPolicyTest {
    static MeanFlowActor actor(int obs, int chunk, long seed) {
        MeanFlowActor a = MeanFlowActor.state(obs, chunk, 8, 4, 4, 16, 1);
        Init.apply(a.params(), seed);
        return a;
    }

    static MinMaxNormalizer unitActions(int dims) {
        float[] lo = new float[dims], hi = new float[dims];
        java.util.Arrays.fill(lo, -1f);
        java.util.Arrays.fill(hi, 1f);
        return new MinMaxNormalizer(lo, hi);
    }

    static NoisyChainPolicy chain(MeanFlowActor a, int k, double sMin, double sMax, long seed) {
        return new NoisyChainPolicy(a, k, new NoisyChainPolicy.Noise(sMin, sMax, new int[] {8}, 4),
                NoisyChainPolicy.Normalization.NONE, unitActions(a.actionDim), seed);
    }

    static Tensor randomObs(SplittableRandom rng, int rows, int cols) {
        Tensor t = Tensor.zeros(rows, cols);
        for (int i = 0; i < t.size(); i++) t.data[i] = (float) (Init.gaussian(rng) * 0.7);
        return t;
    }

    /** Simpson's rule over [a, b] with n (even) intervals. */
    static double simpson(DoubleUnaryOperator f, double a, double b, int n) {
        double h = (b - a) / n, s = f.applyAsDouble(a) + f.applyAsDouble(b);
        for (int i = 1; i < n; i++) s += f.applyAsDouble(a + i * h) * (i % 2 == 1 ? 4 : 2);
        return s * h / 3;
    }

    static double phi(double z) {
        return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    }

    /**
     * μ_k of each row, computed straight from the network (no chain code involved): the flow step, clipped to [−1, 1]
     * at the last step only.
     */
    static Tensor directMean(MeanFlowActor a, Tensor obs, Tensor x, int k, int steps) {
        Tensor cond = a.encode(obs);
        float t = 1f - (float) k / steps, r = 1f - (float) (k + 1) / steps;
        Tensor u = a.velocity(Dual.of(x), Dual.of(Ops.full(x.rows, 1, r)), Dual.of(Ops.full(x.rows, 1, t)), cond).value();
        Tensor mu = Tensor.zeros(x.rows, x.cols);
        for (int i = 0; i < x.rows; i++) {
            for (int j = 0; j < x.cols; j++) {
                float v = x.get(i, j) - (t - r) * u.get(i, j);
                mu.set(i, j, k == steps - 1 ? Math.max(-1f, Math.min(1f, v)) : v);
            }
        }
        return mu;
    }

    @Test
    void truncationMassAndEntropyMatchNumericIntegrals() {
        double z = simpson(NoisyChainPolicyTest::phi, -3, 3, 20_000);
        assertEquals(z, NoisyChainPolicy.TRUNCATION_MASS, 1e-12);
        double h = -simpson(x -> phi(x) / z * Math.log(phi(x) / z), -3, 3, 20_000);
        assertEquals(h, NoisyChainPolicy.STANDARD_TRUNCATED_ENTROPY, 1e-10);
    }

    @Test
    void logProbabilityIsTheDirectTruncatedGaussianDensity() {
        for (int steps : new int[] {1, 3}) {
            SplittableRandom rng = new SplittableRandom(steps);
            MeanFlowActor a = actor(3, 4, 7);
            double sigma = 0.1;
            NoisyChainPolicy p = chain(a, steps, sigma, sigma, 3);
            int b = 6;
            Tensor obs = randomObs(rng, b, 3), acts = Tensor.zeros(b, 4), rec = Tensor.zeros(b, p.recordDim());
            float[] lp = new float[b];
            p.sample(obs, rng, acts, rec, lp);
            float[] ev = p.evaluate(obs, rec).logProb();
            double logZ = Math.log(simpson(NoisyChainPolicyTest::phi, -3, 3, 20_000));
            for (int i = 0; i < b; i++) {
                double direct = 0;
                for (int j = 0; j < 4; j++) direct += Math.log(phi(rec.get(i, j)));
                for (int k = 0; k < steps; k++) {
                    Tensor x = Ops.columns(rec, k * 4, 4), next = Ops.columns(rec, (k + 1) * 4, 4);
                    Tensor mu = directMean(a, obs.rowSlice(i, 1), x.rowSlice(i, 1).copy(), k, steps);
                    for (int j = 0; j < 4; j++) {
                        double zz = (next.get(i, j) - mu.get(0, j)) / sigma;
                        assertTrue(Math.abs(zz) <= 3 + 1e-4, "sample outside the ±3σ support: z = " + zz);
                        direct += Math.log(phi(zz) / sigma) - logZ;
                    }
                }
                assertEquals(direct, ev[i], 2e-5 * Math.abs(direct) + 1e-4, "K=" + steps + " row " + i);
                assertEquals(ev[i], lp[i], 2e-5 * Math.abs(direct) + 1e-4, "sample and evaluate paths");
                // the env action is the clipped (here unit-range) last chain state
                for (int j = 0; j < 4; j++) assertEquals(Math.max(-1, Math.min(1, rec.get(i, steps * 4 + j))), acts.get(i, j), 1e-5);
            }
        }
    }

    @Test
    void transitionDensityIntegratesToOneOverItsSupport() {
        SplittableRandom rng = new SplittableRandom(11);
        MeanFlowActor a = actor(2, 1, 5);
        NoisyChainPolicy p = chain(a, 1, 0.05, 0.12, 9);
        Tensor obs = randomObs(rng, 1, 2), acts = Tensor.zeros(1, 1), rec = Tensor.zeros(1, 2);
        p.sample(obs, rng, acts, rec, new float[1]);
        float x0 = rec.get(0, 0);
        Tensor x0t = Tensor.zeros(1, 1);
        x0t.set(0, 0, x0);
        double mu = directMean(a, obs, x0t, 0, 1).get(0, 0);
        double sigma = Math.exp(p.evaluate(obs, rec).entropy()[0] - NoisyChainPolicy.STANDARD_TRUNCATED_ENTROPY);
        assertTrue(sigma >= 0.05 - 1e-6 && sigma <= 0.12 + 1e-6, "σ = " + sigma);
        double logPrior = Math.log(phi(x0));
        double mass = simpson(x1 -> {
            Tensor r = Tensor.zeros(1, 2);
            r.set(0, 0, x0);
            r.set(0, 1, (float) x1);
            return Math.exp(p.evaluate(obs, r).logProb()[0] - logPrior);
        }, mu - 3 * sigma, mu + 3 * sigma, 4000);
        assertEquals(1.0, mass, 2e-4);
        // just outside the support (a last-bit move of μ): finite, the same formula (no −∞)
        Tensor edge = Tensor.zeros(1, 2);
        edge.set(0, 0, x0);
        edge.set(0, 1, (float) (mu + 3.0001 * sigma));
        float lpEdge = p.evaluate(obs, edge).logProb()[0];
        assertTrue(Float.isFinite(lpEdge));
    }

    @Test
    void aPixelChainEvaluatesWithDropoutOff() {
        MeanFlowActor pixel = MeanFlowActor.pixel(3, 96, 96, 9, 28, 1);
        pixel.trainingMode(5); // as pre-training leaves it
        new NoisyChainPolicy(pixel, 1, new NoisyChainPolicy.Noise(0.05, 0.12, new int[] {8}, 4),
                NoisyChainPolicy.Normalization.NONE, unitActions(7), 1);
        assertFalse(pixel.inTrainingMode(), "evaluate must not draw dropout masks");
    }

    @Test
    void noiseStaysInsideItsRangeForAnyNetworkOutput() {
        SplittableRandom rng = new SplittableRandom(4);
        MeanFlowActor a = actor(3, 4, 1);
        NoisyChainPolicy p = chain(a, 2, 0.05, 0.12, 2);
        for (Param q : p.noiseParams()) for (int i = 0; i < q.size(); i++) q.value[i] *= 1000; // saturate both ways
        Tensor obs = randomObs(rng, 200, 3);
        p.sample(obs, rng, Tensor.zeros(200, 4), Tensor.zeros(200, p.recordDim()), new float[200]);
        double[] s = p.takeSigmaStats();
        assertTrue(s[1] >= 0.05 * (1 - 1e-6) && s[2] <= 0.12 * (1 + 1e-6), "σ range " + s[1] + ".." + s[2]);
        assertTrue(s[1] < 0.055 && s[2] > 0.115, "saturated outputs reach both bounds: " + s[1] + ".." + s[2]);
        assertTrue(Double.isNaN(p.takeSigmaStats()[0]), "statistics reset after being taken");
    }

    /** d/dθ of Σ w·log π + Σ v·H against central differences along random directions of every parameter. */
    @Test
    void evaluateGradientsMatchFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(21);
        MeanFlowActor a = actor(3, 4, 13);
        NoisyChainPolicy p = chain(a, 2, 0.05, 0.12, 5);
        int b = 5;
        Tensor obs = randomObs(rng, b, 3), rec = Tensor.zeros(b, p.recordDim());
        p.sample(obs, rng, Tensor.zeros(b, 4), rec, new float[b]);
        float[] w = new float[b], v = new float[b];
        for (int i = 0; i < b; i++) {
            w[i] = (float) Init.gaussian(rng);
            v[i] = (float) Init.gaussian(rng);
        }
        Schedules.zeroGrad(p.params());
        p.evaluate(obs, rec).backward(w, v);
        for (Param q : p.params()) {
            float[] dir = new float[q.size()], saved = q.value.clone();
            for (int i = 0; i < dir.length; i++) dir[i] = (float) Init.gaussian(rng);
            double an = 0;
            for (int i = 0; i < dir.length; i++) an += (double) q.grad[i] * dir[i];
            double h = 1e-3;
            DoubleUnaryOperator objective = t -> {
                for (int i = 0; i < dir.length; i++) q.value[i] = saved[i] + (float) t * dir[i];
                StochasticPolicy.Evaluation e = p.evaluate(obs, rec);
                double s = 0;
                for (int i = 0; i < b; i++) s += (double) w[i] * e.logProb()[i] + (double) v[i] * e.entropy()[i];
                System.arraycopy(saved, 0, q.value, 0, saved.length);
                return s;
            };
            double fd = (objective.applyAsDouble(h) - objective.applyAsDouble(-h)) / (2 * h);
            assertEquals(fd, an, 2e-2 * Math.max(1, Math.abs(fd)), "gradient of " + q.name);
        }
    }

    /** With σ → 0 the chain is the deployed sampler, bit for bit, for one step and for many (one chain rule). */
    @Test
    void noiseFreeChainIsTheSamplerBitForBit() {
        MeanFlowActor a = MeanFlowActor.state(5, 4);
        Init.apply(a.params(), 17);
        SplittableRandom rng = new SplittableRandom(3);
        Tensor obs = Tensor.zeros(6, 5), x0 = Tensor.zeros(6, 4);
        for (int i = 0; i < obs.size(); i++) obs.data[i] = (float) (2 * rng.nextGaussian());
        for (int i = 0; i < x0.size(); i++) x0.data[i] = (float) (1.5 * rng.nextGaussian()); // states outside [-1, 1] too
        for (int steps : new int[] {1, 5}) {
            NoisyChainPolicy p = chain(a, steps, 0.05, 0.1, 2);
            assertArrayEquals(io.dmpo.policy.MeanFlowSampler.sample(a, obs, x0, steps).toArray(),
                    p.deterministic(a, obs, x0).toArray(), "K=" + steps);
        }
    }

    @Test
    void deterministicChainBackwardMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(8);
        MeanFlowActor a = actor(3, 4, 17);
        NoisyChainPolicy p = chain(a, 3, 0.05, 0.12, 1);
        int b = 4;
        Tensor obs = randomObs(rng, b, 3), x0 = randomObs(rng, b, 4), w = randomObs(rng, b, 4);
        Schedules.zeroGrad(p.params());
        NoisyChainPolicy.DeterministicTrace tr = p.traceDeterministic(obs, x0);
        Tensor same = p.deterministic(a, obs, x0);
        for (int i = 0; i < same.size(); i++) assertEquals(same.data[i], tr.output().data[tr.output().offset + i], 1e-6);
        tr.backward(w);
        for (Param q : a.params()) {
            float[] dir = new float[q.size()], saved = q.value.clone();
            for (int i = 0; i < dir.length; i++) dir[i] = (float) Init.gaussian(rng);
            double an = 0;
            for (int i = 0; i < dir.length; i++) an += (double) q.grad[i] * dir[i];
            DoubleUnaryOperator f = t -> {
                for (int i = 0; i < dir.length; i++) q.value[i] = saved[i] + (float) t * dir[i];
                Tensor y = p.deterministic(a, obs, x0);
                System.arraycopy(saved, 0, q.value, 0, saved.length);
                double s = 0;
                for (int i = 0; i < y.size(); i++) s += (double) y.data[i] * w.data[i];
                return s;
            };
            double h = 1e-3, fd = (f.applyAsDouble(h) - f.applyAsDouble(-h)) / (2 * h);
            assertEquals(fd, an, 2e-2 * Math.max(1, Math.abs(fd)), "gradient of " + q.name);
        }
        for (Param q : p.noiseParams()) for (float g : q.grad) assertEquals(0f, g, "the noise network takes no BC gradient");
    }

    @Test
    void behaviorCloningScheduleAndLoss() {
        BehaviorCloning.Schedule s = new BehaviorCloning.Schedule(0.2, 0.05, 20, 50);
        assertEquals(0.2, s.at(0));
        assertEquals(0.2, s.at(19));
        assertEquals(0.2, s.at(20));
        assertEquals(0.125, s.at(35), 1e-12);
        assertEquals(0.05, s.at(50));
        assertEquals(0.05, s.at(500));
        assertEquals(0.05, new BehaviorCloning.Schedule(0.05, 0.05, 0, 0).at(0));

        SplittableRandom rng = new SplittableRandom(3);
        MeanFlowActor a = actor(3, 4, 2), frozen = actor(3, 4, 2);
        NoisyChainPolicy p = chain(a, 2, 0.05, 0.12, 1);
        BehaviorCloning bc = new BehaviorCloning(p, frozen, new BehaviorCloning.Schedule(1, 1, 0, 0));
        Tensor obs = randomObs(rng, 8, 3), rec = Tensor.zeros(8, p.recordDim());
        p.sample(obs, rng, Tensor.zeros(8, 4), rec, new float[8]);
        Schedules.zeroGrad(p.params());
        assertEquals(0.0, bc.accumulate(obs, rec, 0), 1e-12, "identical weights: no BC loss");
        for (Param q : a.params()) for (int i = 0; i < q.size(); i++) q.value[i] += (float) (0.05 * Init.gaussian(rng));
        Schedules.zeroGrad(p.params());
        double loss = bc.accumulate(obs, rec, 0);
        assertTrue(loss > 0);
        Param q = a.params().get(a.params().size() - 2); // head.out.weight
        float[] saved = q.value.clone();
        double an = 0, h = 1e-3;
        float[] dir = new float[q.size()];
        for (int i = 0; i < dir.length; i++) {
            dir[i] = (float) Init.gaussian(rng);
            an += (double) q.grad[i] * dir[i];
        }
        DoubleUnaryOperator f = t -> {
            for (int i = 0; i < dir.length; i++) q.value[i] = saved[i] + (float) t * dir[i];
            double l = bc.accumulate(obs, rec, 0);
            System.arraycopy(saved, 0, q.value, 0, saved.length);
            return l;
        };
        Schedules.zeroGrad(p.params()); // f accumulates again; only its value matters
        double fd = (f.applyAsDouble(h) - f.applyAsDouble(-h)) / (2 * h);
        assertEquals(fd, an, 2e-2 * Math.max(1e-3, Math.abs(fd)));
    }

    /** PPO over the chain on a small task: the first minibatch's ratio is exactly 1 for K = 1 and K = 5, and it learns. */
    @Test
    void ratioIsOneAtTheFirstMinibatchForOneAndFiveSteps() {
        for (int steps : new int[] {1, 5}) {
            MeanFlowActor a = actor(2, 2, 31), frozen = actor(2, 2, 31);
            NoisyChainPolicy p = chain(a, steps, 0.05, 0.12, 4);
            PpoConfig cfg = PpoProbes.config(16, 4, 0.99, 0.95);
            cfg.minibatchSize = 16;
            cfg.epochs = 2;
            cfg.actorLr = 1e-3;
            cfg.criticWarmupIterations = 1;
            try (VectorEnv envs = VectorEnv.of(4, 1, i -> new ActionChunking(new LineEnv(), 2, 2))) {
                io.dmpo.nn.Sequential critic = io.dmpo.nn.Nets.mlp("critic", io.dmpo.nn.Pointwise.TANH, 2, 8, 1);
                Init.apply(critic.params(), 1);
                Ppo ppo = new Ppo(cfg, p, critic, envs, 3, 9);
                float[] lo = {-3, -2}, hi = {3, 2};
                ppo.useFixedObservationNormalizer(new MinMaxNormalizer(lo, hi), io.dmpo.env.ObservationSpec.state(lo.length));
                ppo.setExtraLoss(new BehaviorCloning(p, frozen, new BehaviorCloning.Schedule(0.05, 0.05, 0, 0)));
                float[] before = a.params().get(0).value.clone();
                for (int it = 0; it < 3; it++) {
                    Ppo.Stats s = ppo.iterate();
                    assertTrue(s.firstRatioDeviation() <= 1e-6, "K=" + steps + " iteration " + it + ": " + s.firstRatioDeviation());
                    assertTrue(s.sampleLogProbDrift() < 1e-3, "sampling and evaluation agree: " + s.sampleLogProbDrift());
                    assertTrue(Double.isFinite(s.extraLoss()));
                    if (it == 0) assertArrayEquals(before, a.params().get(0).value, "critic warm-up leaves the actor alone");
                }
                assertFalse(java.util.Arrays.equals(before, a.params().get(0).value), "the actor was updated after the warm-up");
            }
        }
    }

    private static void assertArrayEquals(float[] a, float[] b, String what) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, what);
    }
}
