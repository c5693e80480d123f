package io.dmpo.rl;

import io.dmpo.env.VectorEnv;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import io.dmpo.nn.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PpoTest {
    private static PpoConfig smallConfig() {
        PpoConfig c = new PpoConfig();
        c.rolloutSteps = 64;
        c.minibatchSize = 64;
        c.epochs = 4;
        c.actorLr = 3e-3;
        c.criticLr = 3e-3;
        c.actorLrSchedule = "constant";
        return c;
    }

    private record Run(List<Double> returns, List<Ppo.Stats> stats, double evalBefore, double evalAfter) {}

    private static Run train(int iterations, long seed) {
        List<LineEnv> evalEnvs = new ArrayList<>();
        for (int i = 0; i < 8; i++) evalEnvs.add(new LineEnv());
        try (VectorEnv venv = VectorEnv.of(4, 1, i -> new LineEnv())) {
            GaussianPolicy pi = new GaussianPolicy(2, 1, new int[] {16, 16}, Pointwise.TANH,
                    new double[] {-1}, new double[] {1}, 0).initialize(seed, -0.5);
            Sequential critic = Nets.mlp("critic", Pointwise.TANH, 2, 16, 16, 1);
            Orthogonal.apply(critic, Math.sqrt(2), 1, seed + 1);
            PpoConfig cfg = smallConfig();
            Ppo ppo = new Ppo(cfg, pi, critic, venv, iterations, seed);
            var evaluator = io.dmpo.eval.Evaluator.noiseFree(pi, Ppo.ObservationMap.running(ppo.obsStats(), cfg.obsClip));
            double before = io.dmpo.eval.Evaluator.run(evaluator, evalEnvs, 8, 99, "before").mean();
            List<Double> rets = new ArrayList<>();
            List<Ppo.Stats> stats = new ArrayList<>();
            for (int i = 0; i < iterations; i++) {
                Ppo.Stats s = ppo.iterate();
                stats.add(s);
                rets.add(s.episodeReturn());
            }
            double after = io.dmpo.eval.Evaluator.run(evaluator, evalEnvs, 8, 99, "after").mean();
            return new Run(rets, stats, before, after);
        }
    }

    @Test
    void improvesOnToyTaskAndIsDeterministic() {
        Run a = train(25, 7);
        double early = a.returns.subList(0, 3).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double late = a.returns.subList(22, 25).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(late > early + 3, "training return should improve: early " + early + ", late " + late);
        assertTrue(a.evalAfter > a.evalBefore + 3, "deterministic eval should improve: " + a.evalBefore + " -> " + a.evalAfter);
        for (Ppo.Stats s : a.stats) {
            assertEquals(0.0, s.firstRatioDeviation(), 1e-6, "ratio at the first minibatch must be 1");
            assertTrue(s.sampleLogProbDrift() < 1e-4, "sampling and evaluation log-probs agree");
        }
        Run b = train(25, 7);
        assertEquals(a.returns, b.returns, "same seed, same threads => identical metrics");
        assertEquals(a.evalAfter, b.evalAfter);
    }

    @Test
    void klEarlyStopEndsTheWholeUpdateAndExtraLossRunsPerMinibatch() {
        try (VectorEnv venv = VectorEnv.of(4, 1, i -> new LineEnv())) {
            GaussianPolicy pi = new GaussianPolicy(2, 1, new int[] {8}, Pointwise.TANH, new double[] {-1}, new double[] {1}, 0)
                    .initialize(1, 0);
            Sequential critic = Nets.mlp("critic", Pointwise.TANH, 2, 8, 1);
            PpoConfig cfg = smallConfig();
            cfg.minibatchSize = 32; // 8 minibatches per epoch, 4 epochs
            int[] calls = {0};
            Ppo ppo = new Ppo(cfg, pi, critic, venv, 10, 1);
            ppo.setExtraLoss((obs, rec, it) -> {
                calls[0]++;
                assertEquals(32, obs.rows);
                return 0.5;
            });
            Ppo.Stats full = ppo.iterate();
            assertEquals(32, full.minibatches());
            assertEquals(32, calls[0]);
            assertEquals(0.5, full.extraLoss(), 1e-12);
            assertTrue(!full.klStopped());
            assertTrue(Double.isNaN(full.stopKl()), "no stop, no stop KL");
            cfg.targetKl = 1e-12; // the first minibatch has KL 0; any later one exceeds this: stop everything
            Ppo.Stats stopped = ppo.iterate();
            assertTrue(stopped.klStopped());
            assertEquals(1, stopped.minibatches(), "the stop ends all remaining epochs, not just one");
            assertEquals(0, stopped.approxKl(), "the mean covers the minibatches that ran: the first, at KL 0");
            assertTrue(stopped.stopKl() > cfg.targetKl, "the KL that stopped the update is reported: " + stopped.stopKl());
            assertTrue(stopped.klText().contains("stop") && stopped.klText().contains("after 1 mb"), stopped.klText());
        }
    }

    @Test
    void lossGradientsMatchFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(3);
        int b = 12;
        float[] newLp = new float[b], oldLp = new float[b], adv = new float[b], ent = new float[b], v = new float[b],
                oldV = new float[b], ret = new float[b];
        for (int i = 0; i < b; i++) {
            oldLp[i] = (float) rng.nextDouble(-3, 0);
            newLp[i] = oldLp[i] + (float) rng.nextDouble(-0.4, 0.4);
            adv[i] = (float) rng.nextDouble(-2, 2);
            ent[i] = (float) rng.nextDouble(0, 2);
            oldV[i] = (float) rng.nextDouble(-1, 1);
            v[i] = oldV[i] + (float) rng.nextDouble(-0.5, 0.5);
            ret[i] = (float) rng.nextDouble(-1, 1);
        }
        PpoLoss.Result r = PpoLoss.compute(newLp, oldLp, adv, ent, v, oldV, ret, 0.2, 0.2, 0.5, 0.01);
        double h = 1e-3;
        for (int i = 0; i < b; i++) {
            float[][] arrays = {newLp, ent, v};
            float[][] grads = {r.gradLogProb(), r.gradEntropy(), r.gradValue()};
            for (int k = 0; k < 3; k++) {
                float keep = arrays[k][i];
                arrays[k][i] = (float) (keep + h);
                double up = PpoLoss.compute(newLp, oldLp, adv, ent, v, oldV, ret, 0.2, 0.2, 0.5, 0.01).loss();
                arrays[k][i] = (float) (keep - h);
                double dn = PpoLoss.compute(newLp, oldLp, adv, ent, v, oldV, ret, 0.2, 0.2, 0.5, 0.01).loss();
                arrays[k][i] = keep;
                assertEquals((up - dn) / (2 * h), grads[k][i], 2e-3, "d loss / d " + k + "[" + i + "]");
            }
        }
        // identical log-probs: ratio exactly 1, no KL, nothing clipped
        PpoLoss.Result same = PpoLoss.compute(oldLp, oldLp, adv, ent, v, oldV, ret, 0.2, 0.2, 0.5, 0.01);
        assertEquals(0, same.maxRatioDeviation());
        assertEquals(0, same.approxKl());
        assertEquals(0, same.clipFraction());
    }

    @Test
    void gaussianLogProbGradientsMatchFiniteDifferences() {
        GaussianPolicy pi = new GaussianPolicy(3, 2, new int[] {8}, Pointwise.TANH, new double[] {-1, -1},
                new double[] {1, 1}, 0).initialize(5, -0.3);
        for (var p : pi.params()) for (int i = 0; i < p.value.length; i++) p.value[i] *= 10; // non-trivial means
        int b = 9;
        SplittableRandom rng = new SplittableRandom(1);
        Tensor obs = Tensor.zeros(b, 3), act = Tensor.zeros(b, 2), rec = Tensor.zeros(b, 2);
        for (int i = 0; i < obs.data.length; i++) obs.data[i] = (float) rng.nextDouble(-1, 1);
        float[] lp = new float[b];
        pi.sample(obs, rng, act, rec, lp);
        float[] evalLp = pi.evaluate(obs, rec).logProb();
        for (int i = 0; i < b; i++) assertEquals(lp[i], evalLp[i], 1e-5);
        float[] gl = new float[b], ge = new float[b];
        for (int i = 0; i < b; i++) { gl[i] = (float) rng.nextDouble(-1, 1); ge[i] = (float) rng.nextDouble(-1, 1); }
        for (var p : pi.params()) p.zeroGrad();
        pi.evaluate(obs, rec).backward(gl, ge);
        for (var p : pi.params()) {
            for (int j = 0; j < Math.min(p.value.length, 6); j++) {
                float keep = p.value[j];
                double h = 1e-2;
                p.value[j] = (float) (keep + h);
                double up = objective(pi, obs, rec, gl, ge);
                p.value[j] = (float) (keep - h);
                double dn = objective(pi, obs, rec, gl, ge);
                p.value[j] = keep;
                double fd = (up - dn) / (2 * h);
                assertEquals(fd, p.grad[j], 2e-2 * Math.max(1, Math.abs(fd)), p.name + "[" + j + "]");
            }
        }
    }

    private static double objective(GaussianPolicy pi, Tensor obs, Tensor rec, float[] gl, float[] ge) {
        StochasticPolicy.Evaluation e = pi.evaluate(obs, rec);
        double s = 0;
        for (int i = 0; i < gl.length; i++) s += gl[i] * e.logProb()[i] + ge[i] * e.entropy()[i];
        return s;
    }
}
