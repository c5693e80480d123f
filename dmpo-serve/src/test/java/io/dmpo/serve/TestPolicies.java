package io.dmpo.serve;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Init;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.MeanFlowActor;

import java.util.Map;

/** Seeded policies of the two kinds a server meets: a Hopper-sized state policy and a wrist-camera pixel policy. */
final class TestPolicies {
    private TestPolicies() {}

    /** obs 11, act 3, chunks of 4 (all executed), K = 1; normalizer ranges differ per dimension. */
    static FlowPolicy state(long seed) {
        MeanFlowActor actor = MeanFlowActor.state(11, 4 * 3);
        Init.apply(actor.params(), seed);
        float[] lo = new float[11], hi = new float[11];
        for (int i = 0; i < 11; i++) {
            lo[i] = -1 - i * 0.1f;
            hi[i] = 1 + i * 0.3f;
        }
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT, Map.of("env", "hopper", "seed", seed));
        return new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi), new MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 0.5f}));
    }

    /** A wrist-camera RGB policy of {@code size}×{@code size} images + 9 proprioceptive values, act 7, chunks of 4. */
    static FlowPolicy wristPixel(int size, long seed) {
        int prop = 9, act = 7, horizon = 4;
        MeanFlowActor actor = MeanFlowActor.pixel(3, size, size, prop, horizon * act, 0);
        Init.apply(actor.params(), seed);
        FlowPolicy.Architecture arch = new FlowPolicy.Architecture("pixel", 0, 0, 16, 768, 1, 3, size, size);
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 3 * size * size + prop, act, horizon, horizon, 1, 1, arch,
                Map.of("env", "lift", "camera", "wrist"));
        float[] lo = new float[prop], hi = new float[prop];
        java.util.Arrays.fill(lo, -2);
        java.util.Arrays.fill(hi, 2);
        float[] alo = new float[act], ahi = new float[act];
        java.util.Arrays.fill(alo, -1);
        java.util.Arrays.fill(ahi, 1);
        return new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi), new MinMaxNormalizer(alo, ahi));
    }
}
