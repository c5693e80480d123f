package io.dmpo.loss;

import io.dmpo.nn.Init;
import io.dmpo.nn.Param;
import io.dmpo.nn.Schedules;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The dispersive losses against values computed by hand and their gradients against finite differences; degenerate
 * batches; and the objectives' gradients (ReFlow in full, the dispersive term's path into the encoder for MeanFlow).
 */
class ObjectivesTest {
    private static Tensor rows(double[][] x) {
        Tensor t = Tensor.zeros(x.length, x[0].length);
        for (int i = 0; i < x.length; i++) for (int j = 0; j < x[0].length; j++) t.set(i, j, (float) x[i][j]);
        return t;
    }

    private static Dispersive.Options opt(Dispersive.Kind k, double tau, double margin, boolean perDim) {
        return new Dispersive.Options(k, 0.5, tau, margin, perDim);
    }

    @Test
    void valuesByHandOnTinyBatches() {
        // InfoNCE-L2, D = 2, τ = 0.5 → s = D·τ = 1; squared distances 1, 4, 5
        Tensor h = rows(new double[][] {{0, 0}, {1, 0}, {0, 2}});
        double sum = 3 + 2 * (Math.exp(-1) + Math.exp(-4) + Math.exp(-5));
        assertEquals(Math.log(sum / 9), Dispersive.evaluate(h, opt(Dispersive.Kind.INFONCE_L2, 0.5, 1, true)).value(), 1e-12);
        double sumNoD = 3 + 2 * (Math.exp(-2) + Math.exp(-8) + Math.exp(-10)); // without /D: s = τ = 0.5
        assertEquals(Math.log(sumNoD / 9), Dispersive.evaluate(h, opt(Dispersive.Kind.INFONCE_L2, 0.5, 1, false)).value(), 1e-12);
        // InfoNCE-cosine: directions (1,0), (0,1), (−1,0): cosines 0, −1, 0; τ = 0.5
        Tensor c = rows(new double[][] {{1, 0}, {0, 2}, {-3, 0}});
        double cs = 3 * Math.exp(2) + 2 * (1 + Math.exp(-2) + 1);
        assertEquals(Math.log(cs / 9), Dispersive.evaluate(c, opt(Dispersive.Kind.INFONCE_COSINE, 0.5, 1, true)).value(), 1e-12);
        // hinge, m = 1: only the pair at squared distance 0.25 is inside the margin, counted twice over B(B−1) = 6
        Tensor g = rows(new double[][] {{0, 0}, {0.5, 0}, {0, 2}});
        assertEquals(2 * 0.75 * 0.75 / 6, Dispersive.evaluate(g, opt(Dispersive.Kind.HINGE, 0.5, 1, true)).value(), 1e-12);
        // covariance: centered [[−1,0],[1,−2],[0,2]] → C = [[1,−1],[−1,4]]; L = (1/D)·2·(−1)² = 1
        Tensor v = rows(new double[][] {{1, 2}, {3, 0}, {2, 4}});
        assertEquals(1.0, Dispersive.evaluate(v, opt(Dispersive.Kind.COVARIANCE, 0.5, 1, true)).value(), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(11);
        for (Dispersive.Kind k : new Dispersive.Kind[] {Dispersive.Kind.INFONCE_L2, Dispersive.Kind.INFONCE_COSINE,
                Dispersive.Kind.HINGE, Dispersive.Kind.COVARIANCE}) {
            for (int trial = 0; trial < 3; trial++) {
                int b = 3 + trial * 2, d = 2 + trial;
                Tensor h = Tensor.zeros(b, d);
                for (int i = 0; i < h.size(); i++) h.data[i] = (float) (0.6 * Init.gaussian(rng));
                Dispersive.Options o = opt(k, 0.3 + 0.2 * trial, 2.0, trial != 1);
                Tensor grad = Dispersive.evaluate(h, o).grad();
                Tensor dir = Tensor.zeros(b, d);
                for (int i = 0; i < dir.size(); i++) dir.data[i] = (float) Init.gaussian(rng);
                double analytic = 0;
                for (int i = 0; i < dir.size(); i++) analytic += (double) grad.data[i] * dir.data[i];
                double numeric = centralDifference(eps -> Dispersive.evaluate(shift(h, dir, eps), o).value(), 1e-3);
                double scale = Math.max(1e-3, Math.max(Math.abs(analytic), Math.abs(numeric)));
                assertTrue(Math.abs(analytic - numeric) <= 2e-3 * scale, k + " trial " + trial + ": " + analytic + " vs " + numeric);
            }
        }
    }

    @Test
    void degenerateBatchesGiveFiniteNumbers() {
        for (Dispersive.Kind k : Dispersive.Kind.values()) {
            Dispersive.Options o = opt(k, 0.5, 1, true);
            Dispersive.Result one = Dispersive.evaluate(rows(new double[][] {{3, -1, 2}}), o);
            assertEquals(0.0, one.value(), 1e-12, k + " at B = 1");
            for (float x : one.grad().data) assertEquals(0f, x, k + " gradient at B = 1");
            Tensor same = rows(new double[][] {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}});
            Tensor zeros = Tensor.zeros(4, 3);
            Tensor huge = rows(new double[][] {{1e4, -2e4, 3e4}, {-1e4, 5e3, 0}, {2e4, 2e4, -2e4}, {0, 0, 1e4}});
            for (Tensor h : new Tensor[] {same, zeros, huge}) {
                Dispersive.Result r = Dispersive.evaluate(h, o);
                assertTrue(Double.isFinite(r.value()), k + " value " + r.value());
                for (float x : r.grad().data) assertTrue(Float.isFinite(x), k + " gradient");
            }
            if (k == Dispersive.Kind.INFONCE_L2) { // identical rows: every exponent is 0 → log(B²/B²) = 0; far rows: log(B/B²)
                assertEquals(0.0, Dispersive.evaluate(same, o).value(), 1e-12);
                assertEquals(Math.log(4.0 / 16), Dispersive.evaluate(huge, o).value(), 1e-9);
            }
        }
    }

    private static Tensor shift(Tensor x, Tensor dir, double eps) {
        Tensor out = x.copy();
        for (int i = 0; i < out.size(); i++) out.data[i] += (float) (eps * dir.data[i]);
        return out;
    }

    private interface Fn {
        double at(double eps);
    }

    /** Richardson-extrapolated central difference of f at 0. */
    private static double centralDifference(Fn f, double h) {
        double d1 = (f.at(h) - f.at(-h)) / (2 * h), d2 = (f.at(h / 2) - f.at(-h / 2)) / h;
        return (4 * d2 - d1) / 3;
    }

    private static MeanFlowActor smallActor(long seed) {
        MeanFlowActor a = MeanFlowActor.state(5, 6, 16, 4, 8, 32, 1);
        Init.apply(a.params(), seed);
        return a;
    }

    private static double[] gradients(MeanFlowActor actor, FlowObjective obj, Tensor obs, Tensor act, long seed) {
        List<Param> ps = actor.params();
        Schedules.zeroGrad(ps);
        obj.apply(actor, obs, act, new SplittableRandom(seed), true);
        List<Float> all = new ArrayList<>();
        for (Param p : ps) for (float g : p.grad) all.add(g);
        double[] out = new double[all.size()];
        for (int i = 0; i < out.length; i++) out[i] = all.get(i);
        return out;
    }

    @Test
    void reflowGradientMatchesFiniteDifferencesAndDispersionReachesTheEncoder() {
        SplittableRandom rng = new SplittableRandom(5);
        MeanFlowActor actor = smallActor(3);
        Tensor obs = Tensor.zeros(8, 5), act = Tensor.zeros(8, 6);
        for (int i = 0; i < obs.size(); i++) obs.data[i] = (float) Init.gaussian(rng);
        for (int i = 0; i < act.size(); i++) act.data[i] = (float) Math.tanh(Init.gaussian(rng));
        List<Param> ps = actor.params();
        // ReFlow has a fixed target: its analytic gradient is the full derivative of the loss
        ReFlowObjective reflow = new ReFlowObjective(0, 1, Dispersive.Options.OFF);
        double[] g = gradients(actor, reflow, obs, act, 9);
        checkDirectional(actor, g, () -> reflow.apply(actor, obs, act, new SplittableRandom(9), false).total(), rng, "reflow");

        // MeanFlow + λ·dispersive = MeanFlow + λ·(∂L_disp/∂θ through the encoder only)
        Dispersive.Options disp = new Dispersive.Options(Dispersive.Kind.INFONCE_L2, 0.7, 0.5, 1, true);
        MeanFlowObjective plain = new MeanFlowObjective(-0.4, 1, 0.5, MeanFlowLoss.Options.PLAIN, Dispersive.Options.OFF);
        MeanFlowObjective withDisp = new MeanFlowObjective(-0.4, 1, 0.5, MeanFlowLoss.Options.PLAIN, disp);
        double[] gPlain = gradients(actor, plain, obs, act, 4), gDisp = gradients(actor, withDisp, obs, act, 4);
        double[] diff = new double[gPlain.length];
        for (int i = 0; i < diff.length; i++) diff[i] = (gDisp[i] - gPlain[i]) / disp.weight();
        int encoderSize = 0;
        for (Param p : actor.encoder.params()) encoderSize += p.size();
        for (int i = encoderSize; i < diff.length; i++) assertEquals(0.0, diff[i], 1e-5, "dispersion only moves the encoder");
        checkDirectional(actor, diff, () -> Dispersive.evaluate(actor.encode(obs), disp).value(), rng, "dispersive via encoder");

        FlowObjective.Terms t = withDisp.apply(actor, obs, act, new SplittableRandom(4), false);
        assertEquals(t.flow() + 0.7 * t.dispersive(), t.total(), 1e-12);
        ShortCutObjective sc = new ShortCutObjective(0, 1, 0.25, 7, Dispersive.Options.OFF);
        assertTrue(Double.isFinite(sc.apply(actor, obs, act, new SplittableRandom(1), true).total()));
    }

    private static void checkDirectional(MeanFlowActor actor, double[] grad, DoubleSupplier loss, SplittableRandom rng, String what) {
        List<Param> ps = actor.params();
        double[] dir = new double[grad.length];
        for (int i = 0; i < dir.length; i++) dir[i] = Init.gaussian(rng);
        double analytic = 0;
        for (int i = 0; i < dir.length; i++) analytic += grad[i] * dir[i];
        float[][] saved = new float[ps.size()][];
        for (int k = 0; k < ps.size(); k++) saved[k] = ps.get(k).value.clone();
        Fn f = eps -> {
            int at = 0;
            for (int k = 0; k < ps.size(); k++) {
                float[] v = ps.get(k).value;
                for (int i = 0; i < v.length; i++) v[i] = (float) (saved[k][i] + eps * dir[at++]);
            }
            return loss.getAsDouble();
        };
        double numeric = centralDifference(f, 2e-3);
        for (int k = 0; k < ps.size(); k++) System.arraycopy(saved[k], 0, ps.get(k).value, 0, saved[k].length);
        double scale = Math.max(1e-4, Math.max(Math.abs(analytic), Math.abs(numeric)));
        assertTrue(Math.abs(analytic - numeric) <= 1e-2 * scale, what + ": analytic " + analytic + " vs numeric " + numeric);
    }

    /** Report rows: the reference dispersion reads "+disp", any other setting names its form and parameters. */
    @Test
    void labelsNameTheDispersiveSettingUnlessItIsTheReference() {
        java.util.function.BiFunction<String, Dispersive.Options, String> label = (name, d) -> new FlowObjective() {
            public String name() { return name; }
            public Dispersive.Options dispersive() { return d; }
            public Terms apply(MeanFlowActor a, Tensor o, Tensor x, SplittableRandom r, boolean b) { throw new AssertionError(); }
        }.label();
        Dispersive.Options reference = new Dispersive.Options(Dispersive.Kind.INFONCE_L2, 0.5, 0.5, 1, true);
        assertEquals("MeanFlow+disp (DMPO)", label.apply("meanflow", reference));
        assertEquals("MeanFlow (MP1)", label.apply("meanflow", Dispersive.Options.OFF));
        assertEquals("MeanFlow (MP1)", label.apply("meanflow", new Dispersive.Options(Dispersive.Kind.HINGE, 0, 0.5, 1, true)));
        assertEquals("ReFlow+disp", label.apply("reflow", reference));
        assertEquals("MeanFlow+InfoNCE-L2 λ0.1 τ0.5", label.apply("meanflow", new Dispersive.Options(Dispersive.Kind.INFONCE_L2, 0.1, 0.5, 1, true)));
        assertEquals("MeanFlow+InfoNCE-L2 λ0.5 τ0.5 /τ", label.apply("meanflow", new Dispersive.Options(Dispersive.Kind.INFONCE_L2, 0.5, 0.5, 1, false)));
        assertEquals("MeanFlow+InfoNCE-cosine λ0.9 τ0.25", label.apply("meanflow", new Dispersive.Options(Dispersive.Kind.INFONCE_COSINE, 0.9, 0.25, 1, true)));
        assertEquals("ShortCut+hinge λ0.5 m2", label.apply("shortcut", new Dispersive.Options(Dispersive.Kind.HINGE, 0.5, 0.5, 2, true)));
        assertEquals("MeanFlow+covariance λ1", label.apply("meanflow", new Dispersive.Options(Dispersive.Kind.COVARIANCE, 1.0, 0.5, 1, true)));
    }
}
