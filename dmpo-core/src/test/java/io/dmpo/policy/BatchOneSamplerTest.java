package io.dmpo.policy;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The allocation-free batch-1 path equals the layer path bit for bit and allocates nothing per call. */
class BatchOneSamplerTest {
    @Test
    void equalsTheLayerPathBitForBit() {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 21);
        SplittableRandom rng = new SplittableRandom(2);
        for (int steps : new int[] {1, 3, 8}) {
            BatchOneSampler s = new BatchOneSampler(actor, steps);
            for (int trial = 0; trial < 5; trial++) {
                Tensor obs = Tensor.zeros(1, 11), eps = Tensor.zeros(1, 12);
                for (int i = 0; i < 11; i++) obs.data[i] = (float) (2 * Init.gaussian(rng));
                for (int i = 0; i < 12; i++) eps.data[i] = (float) Init.gaussian(rng);
                float[] out = new float[12];
                s.sample(obs.data.clone(), eps.data.clone(), out);
                assertArrayEquals(MeanFlowSampler.sample(actor, obs, eps, steps).toArray(), out, "K=" + steps);
            }
        }
    }

    @Test
    void controllerActsLikeThePolicyWithoutAllocating() {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 4);
        float[] lo = new float[11], hi = new float[11];
        for (int j = 0; j < 11; j++) {
            lo[j] = -2 - j;
            hi[j] = 3 + j;
        }
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT, Map.of());
        FlowPolicy policy = new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi),
                new MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 1}));
        FlowPolicy.Controller c = policy.controller();
        double[][] history = {new double[11]}, out = new double[4][3];
        for (int j = 0; j < 11; j++) history[0][j] = 0.3 * j - 1;
        c.act(history, new SplittableRandom(5), out);
        assertArrayEquals(policy.act(history, new SplittableRandom(5)), out);

        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 20_000; i++) c.act(history, rng, out); // let the JIT settle
        long before = mx.getThreadAllocatedBytes(id);
        int calls = 5_000;
        for (int i = 0; i < calls; i++) c.act(history, rng, out);
        long perCall = (mx.getThreadAllocatedBytes(id) - before) / calls;
        assertTrue(perCall < 16, "bytes allocated per action: " + perCall);
    }
}
