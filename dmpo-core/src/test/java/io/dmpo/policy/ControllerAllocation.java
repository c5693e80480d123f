package io.dmpo.policy;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Init;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.SplittableRandom;

/** Run by BatchOneSamplerTest in a fresh JVM: prints the bytes a compiled Controller.act allocates per call. */
final class ControllerAllocation {
    public static void main(String[] args) {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 4);
        float[] lo = new float[11], hi = new float[11];
        java.util.Arrays.fill(lo, -3);
        java.util.Arrays.fill(hi, 3);
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT, Map.of());
        FlowPolicy policy = new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi),
                new MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 1}));
        FlowPolicy.Controller c = policy.controller();
        double[][] history = {new double[11]}, out = new double[4][3];
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        SplittableRandom rng = new SplittableRandom(1);
        long perCall = Long.MAX_VALUE;
        for (int round = 0; round < 20 && perCall >= 16; round++) { // until C2 has compiled the kernels
            for (int i = 0; i < 10_000; i++) c.act(history, rng, out);
            long before = mx.getThreadAllocatedBytes(id);
            for (int i = 0; i < 2_000; i++) c.act(history, rng, out);
            perCall = (mx.getThreadAllocatedBytes(id) - before) / 2_000;
        }
        System.out.println("bytes per action: " + perCall);
    }
}
