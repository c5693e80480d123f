package io.dmpo.bench;

import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.MeanFlowSampler;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pixel (light-ViT) actor has no float64 golden fixture, so it is checked against PyTorch 2.7.1 itself (through
 * DJL, in this process; the network is written there from the spec with PyTorch's own conv2d, layer_norm, softmax,
 * gelu): same weights, same observation and noise ⇒ the same one-step action (before its clip to [−1, 1]) within 1e-4. The state actor is checked
 * the same way (on top of its golden fixture) as a check of the anchor.
 */
class PyTorchParityTest {
    @BeforeAll
    static void offline() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", "1");
    }

    static void check(MeanFlowActor actor, boolean pixels, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor obs = Tensor.zeros(1, actor.obsDim), eps = Tensor.zeros(1, actor.actionDim);
        int image = pixels ? actor.obsDim - 9 : 0;
        for (int i = 0; i < obs.size(); i++) obs.data[i] = i < image ? rng.nextInt(256) : (float) Init.gaussian(rng);
        for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
        try (PyTorchAnchor torch = new PyTorchAnchor(actor)) {
            // before the final clip: a clipped element is ±1 whatever either network computed
            float[] theirs = torch.action(obs, eps, false);
            float[] ours = MeanFlowSampler.sampleUnclipped(actor, obs, eps, 1).toArray();
            int beyond = 0;
            for (int i = 0; i < ours.length; i++) {
                assertEquals(theirs[i], ours[i], 1e-4, "unclipped action element " + i);
                if (Math.abs(theirs[i]) > 1) beyond++;
            }
            assertTrue(beyond > 0, "the check covers elements beyond ±1");
        }
    }

    @Test
    void pixelActorMatchesPyTorch() {
        MeanFlowActor actor = MeanFlowActor.pixel(3, 96, 96, 9, 28, 7);
        Init.apply(actor.params(), 31);
        check(actor, true, 32);
    }

    @Test
    void stateActorMatchesPyTorch() {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 33);
        check(actor, false, 34);
    }
}
