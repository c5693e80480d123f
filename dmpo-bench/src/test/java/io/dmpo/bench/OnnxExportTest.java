package io.dmpo.bench;

import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.MeanFlowSampler;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our ONNX export, run by ONNX Runtime, gives our engine's actions within 1e-4 (K = 1 and K = 3, batch 1 and 5),
 * compared before the final clip to [−1, 1] (an export without the Clip node against the unclipped sampler); the
 * default export is that output clipped.
 */
class OnnxExportTest {
    @Test
    void onnxRuntimeReproducesTheEngine() throws Exception {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 17);
        SplittableRandom rng = new SplittableRandom(3);
        int beyond = 0;
        for (int steps : new int[] {1, 3}) {
            try (OnnxRuntimeAnchor raw = new OnnxRuntimeAnchor(actor, steps, 1, false);
                 OnnxRuntimeAnchor clipped = new OnnxRuntimeAnchor(actor, steps, 1)) {
                for (int batch : new int[] {1, 5}) {
                    Tensor obs = Tensor.zeros(batch, 11), eps = Tensor.zeros(batch, 12);
                    for (int i = 0; i < obs.size(); i++) obs.data[i] = (float) (3 * Init.gaussian(rng));
                    for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
                    Tensor ours = MeanFlowSampler.sampleUnclipped(actor, obs, eps, steps);
                    float[] theirs = raw.act(obs, eps), theirsClipped = clipped.act(obs, eps);
                    assertEquals(ours.size(), theirs.length);
                    for (int i = 0; i < theirs.length; i++) {
                        String at = "K=" + steps + " batch=" + batch + " element " + i;
                        assertEquals(ours.data[i], theirs[i], 1e-4, at);
                        assertEquals(Math.max(-1f, Math.min(1f, theirs[i])), theirsClipped[i], 1e-6, "default export clips: " + at);
                        if (Math.abs(theirs[i]) > 1) beyond++;
                    }
                }
            }
        }
        assertTrue(beyond >= 5, "the check covers elements beyond ±1 (" + beyond + " of 144)");
    }
}
