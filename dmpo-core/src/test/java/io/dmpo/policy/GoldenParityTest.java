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
 * and the K-step samples to ~1e-4 relative (max-norm relative error per tensor).
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

    @Test
    void kStepSamplesMatchPyTorch() throws IOException {
        Tensor obs = matrix("obs", 8, 11), eps = matrix("eps", 8, 12);
        for (int k : new int[] {1, 5, 20}) {
            Tensor x = MeanFlowSampler.sample(actor, obs, eps, k);
            assertClose("sample_k" + k, io.get("sample_k" + k).doubles(), x.data, 0);
        }
    }
}
