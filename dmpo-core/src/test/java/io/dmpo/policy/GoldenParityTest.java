package io.dmpo.policy;

import io.dmpo.io.SafeTensors;
import io.dmpo.loss.MeanFlowLoss;
import io.dmpo.nn.Param;
import io.dmpo.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with PyTorch (float64, torch.func.jvp) for the Hopper actor: the fixture in test resources was produced by
 * shared/golden/make_golden.py. Our float32 engine must reproduce u, du/dt, the MeanFlow loss, every parameter gradient
 * and the K-step samples to ~1e-4 relative (max-norm relative error per tensor). Samples are compared before the final
 * clip, against a float64 reference that is first checked against the fixture (whose samples are stored clipped).
 */
class GoldenParityTest {
    static final double TOL = 1e-4;
    static SafeTensors io;
    static MeanFlowActor actor;
    static Map<String, String> ourName = new LinkedHashMap<>();

    static SafeTensors resource(String name) throws IOException {
        try (InputStream in = GoldenParityTest.class.getResourceAsStream("/golden/" + name)) {
            assertNotNull(in, "missing test resource golden/" + name);
            return SafeTensors.parse(in.readAllBytes(), name);
        }
    }

    /** The fixture's parameter names → ours (documented in MeanFlowActor). */
    static String toOurs(String golden) {
        return golden.replace("cond1.", "cond.fc1.").replace("cond2.", "cond.fc2.")
                .replace("head.l1.", "head.block0.l1.").replace("head.l2.", "head.block0.l2.");
    }

    @BeforeAll
    static void load() throws IOException {
        io = resource("golden_hopper_io.safetensors");
        SafeTensors w = resource("golden_hopper_weights.safetensors");
        actor = MeanFlowActor.state(11, 12);
        assertEquals(566_652, actor.paramCount());
        Map<String, Param> byName = new LinkedHashMap<>();
        for (Param p : actor.params()) byName.put(p.name, p);
        for (var e : w.tensors().entrySet()) {
            Param p = byName.get(toOurs(e.getKey()));
            assertNotNull(p, "fixture parameter " + e.getKey() + " has no counterpart");
            float[] v = e.getValue().floats();
            assertEquals(p.size(), v.length, e.getKey());
            System.arraycopy(v, 0, p.value, 0, v.length);
            ourName.put(e.getKey(), p.name);
        }
        assertEquals(actor.params().size(), ourName.size(), "every parameter is covered by the fixture");
    }

    static Tensor matrix(String name, int rows, int cols) throws IOException {
        float[] v = io.get(name).floats();
        assertEquals(rows * cols, v.length, name);
        return new Tensor(v, 0, rows, cols);
    }

    static void assertClose(String what, double[] expected, float[] actual, int actualOffset) {
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[actualOffset + i]));
        }
        double rel = maxErr / Math.max(maxRef, 1e-30);
        assertTrue(rel <= TOL, what + ": relative error " + rel + " > " + TOL);
    }

    MeanFlowLoss.Result run() throws IOException {
        for (Param p : actor.params()) p.zeroGrad();
        Tensor obs = matrix("obs", 8, 11), a = matrix("a", 8, 12), eps = matrix("eps", 8, 12);
        MeanFlowLoss.Times times = new MeanFlowLoss.Times(matrix("t", 8, 1), matrix("r", 8, 1));
        return MeanFlowLoss.evaluate(actor, obs, a, eps, times, MeanFlowLoss.Options.PLAIN);
    }

    @Test
    void velocityAndJvpMatchPyTorch() throws IOException {
        MeanFlowLoss.Result res = run();
        assertClose("cond", io.get("cond").doubles(), res.pass().cond.toArray(), 0);
        assertClose("u", io.get("u").doubles(), res.pass().u().toArray(), 0);
        assertClose("du/dt", io.get("dudt").doubles(), res.pass().du().toArray(), 0);
        double expected = io.get("loss").doubles()[0];
        assertEquals(expected, res.loss(), TOL * expected, "MeanFlow loss");
    }

    @Test
    void everyParameterGradientMatchesPyTorch() throws IOException {
        MeanFlowLoss.Result res = run();
        res.pass().backward(res.gradU(), null);
        Map<String, Param> byName = new LinkedHashMap<>();
        for (Param p : actor.params()) byName.put(p.name, p);
        for (var e : ourName.entrySet()) {
            assertClose("grad." + e.getKey(), io.get("grad." + e.getKey()).doubles(), byName.get(e.getValue()).grad, 0);
        }
    }

    /**
     * The state actor written out in float64 (the PyTorch spec: Mish MLP encoder, sin/cos time embeddings through
     * Linear–Mish–Linear, ResidualMLP head over [z, emb(t), emb(r), s]) with the fixture's weights. It reproduces the
     * fixture's float64 cond, u and clipped K-step samples to ~1e-12 (checked below), so its unclipped chain is the
     * float64 reference the fixture does not store (the fixture's samples are clipped: 31 of 96 elements sit at ±1).
     */
    static final class Reference {
        final Map<String, Param> p = new LinkedHashMap<>();

        Reference(MeanFlowActor actor) {
            for (Param q : actor.params()) p.put(q.name, q);
        }

        double[] linear(double[] x, String name) {
            Param w = p.get(name + ".weight"), b = p.get(name + ".bias");
            int out = w.shape[0], in = w.shape[1];
            assertEquals(in, x.length, name);
            double[] y = new double[out];
            for (int o = 0; o < out; o++) {
                double s = b.value[o];
                for (int i = 0; i < in; i++) s += (double) w.value[o * in + i] * x[i];
                y[o] = s;
            }
            return y;
        }

        static double[] mish(double[] x) {
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) y[i] = x[i] * Math.tanh(Math.log1p(Math.exp(x[i])));
            return y;
        }

        static double[] concat(double[]... parts) {
            int n = 0;
            for (double[] q : parts) n += q.length;
            double[] y = new double[n];
            int at = 0;
            for (double[] q : parts) {
                System.arraycopy(q, 0, y, at, q.length);
                at += q.length;
            }
            return y;
        }

        double[] cond(double[] obs) {
            return linear(mish(linear(obs, "cond.fc1")), "cond.fc2");
        }

        double[] timeEmbedding(double t, String name) {
            int half = p.get(name + ".fc1.weight").shape[1] / 2;
            double[] e = new double[2 * half];
            for (int k = 0; k < half; k++) {
                double f = Math.exp(-k * Math.log(10000.0) / (half - 1));
                e[k] = Math.sin(t * f);
                e[half + k] = Math.cos(t * f);
            }
            return linear(mish(linear(e, name + ".fc1")), name + ".fc2");
        }

        double[] u(double[] z, double r, double t, double[] cond) {
            double[] h = linear(concat(z, timeEmbedding(t, "temb"), timeEmbedding(r, "remb"), cond), "head.inp");
            double[] f = linear(mish(linear(mish(h), "head.block0.l1")), "head.block0.l2");
            for (int i = 0; i < h.length; i++) h[i] += f[i];
            return linear(h, "head.out");
        }

        /** x_K of the K-step chain (t_k = 1 − k/K), unclipped. */
        double[] sample(double[] obs, double[] eps, int steps) {
            double[] s = cond(obs), x = eps.clone();
            for (int k = 0; k < steps; k++) {
                double tk = 1 - (double) k / steps, tk1 = 1 - (double) (k + 1) / steps;
                double[] u = u(x, tk1, tk, s);
                for (int i = 0; i < x.length; i++) x[i] -= (tk - tk1) * u[i];
            }
            return x;
        }
    }

    static double[] row(double[] all, int r, int cols) {
        return java.util.Arrays.copyOfRange(all, r * cols, (r + 1) * cols);
    }

    static double maxRelative(double[] expected, double[] actual) {
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
        }
        return maxErr / Math.max(maxRef, 1e-30);
    }

    /** The float64 reference first reproduces the fixture, so that it can stand in for PyTorch below. */
    @Test
    void float64ReferenceReproducesTheFixture() throws IOException {
        Reference ref = new Reference(actor);
        double[] obs = io.get("obs").doubles(), z = io.get("z").doubles(), r = io.get("r").doubles(), t = io.get("t").doubles();
        double[] eps = io.get("eps").doubles();
        double[] cond = new double[8 * 16], u = new double[8 * 12];
        for (int b = 0; b < 8; b++) {
            double[] c = ref.cond(row(obs, b, 11));
            System.arraycopy(c, 0, cond, b * 16, 16);
            System.arraycopy(ref.u(row(z, b, 12), r[b], t[b], c), 0, u, b * 12, 12);
        }
        assertTrue(maxRelative(io.get("cond").doubles(), cond) < 1e-10, "cond");
        assertTrue(maxRelative(io.get("u").doubles(), u) < 1e-10, "u");
        for (int k : new int[] {1, 5, 20}) {
            double[] want = io.get("sample_k" + k).doubles();
            for (int b = 0; b < 8; b++) {
                double[] x = ref.sample(row(obs, b, 11), row(eps, b, 12), k);
                for (int i = 0; i < 12; i++) {
                    assertEquals(want[b * 12 + i], Math.max(-1, Math.min(1, x[i])), 1e-10, "sample_k" + k + " row " + b);
                }
            }
        }
    }

    /**
     * K-step samples before the final clip against the float64 reference (a clipped comparison would accept any
     * value beyond ±1); the default sampler is exactly this, clipped.
     */
    @Test
    void kStepSamplesMatchPyTorch() throws IOException {
        Reference ref = new Reference(actor);
        Tensor obs = matrix("obs", 8, 11), eps = matrix("eps", 8, 12);
        double[] obs64 = io.get("obs").doubles(), eps64 = io.get("eps").doubles();
        for (int k : new int[] {1, 5, 20}) {
            double[] want = new double[8 * 12];
            for (int b = 0; b < 8; b++) System.arraycopy(ref.sample(row(obs64, b, 11), row(eps64, b, 12), k), 0, want, b * 12, 12);
            int beyond = 0;
            for (double v : want) if (Math.abs(v) > 1) beyond++;
            assertTrue(beyond >= 8, "the check covers elements beyond ±1 (" + beyond + ")");
            Tensor x = MeanFlowSampler.sampleUnclipped(actor, obs, eps, k);
            assertClose("unclipped sample_k" + k, want, x.data, 0);
            Tensor clipped = MeanFlowSampler.sample(actor, obs, eps, k);
            for (int i = 0; i < x.size(); i++) assertEquals(Math.max(-1f, Math.min(1f, x.data[i])), clipped.data[i], "sample = clip(unclipped)");
        }
    }
}
