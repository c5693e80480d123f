package io.dmpo.policy;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Tensor;

/** K-step MeanFlow sampling, DESIGN.md §3. */
public final class MeanFlowSampler {
    private MeanFlowSampler() {}

    /**
     * t_k = 1 − k/K, x_0 = ε, x_{k+1} = x_k − (t_k − t_{k+1})·u(x_k, t_{k+1}, t_k | s), a = clip(x_K, −1, 1).
     * The encoder runs once; K = 1 is the one-pass policy a = clip(ε − u(ε, 0, 1 | s), −1, 1).
     */
    public static Tensor sample(MeanFlowActor actor, Tensor obs, Tensor eps, int steps) {
        return sampleFromCond(actor, actor.encode(obs), eps, steps);
    }

    public static Tensor sampleFromCond(MeanFlowActor actor, Tensor cond, Tensor eps, int steps) {
        Tensor x = sampleUnclippedFromCond(actor, cond, eps, steps);
        for (int i = 0; i < x.size(); i++) x.data[i] = Math.max(-1f, Math.min(1f, x.data[i]));
        return x;
    }

    /**
     * The chain's end x_K before the final clip to [−1, 1] ({@link #sample} is this, clipped). For parity checks: a
     * clipped element equals ±1 whatever the network computed, so comparisons after clipping hide errors there.
     */
    public static Tensor sampleUnclipped(MeanFlowActor actor, Tensor obs, Tensor eps, int steps) {
        return sampleUnclippedFromCond(actor, actor.encode(obs), eps, steps);
    }

    public static Tensor sampleUnclippedFromCond(MeanFlowActor actor, Tensor cond, Tensor eps, int steps) {
        if (steps < 1) throw new IllegalArgumentException("sampling steps must be >= 1, got " + steps);
        Tensor.requireShape(eps, cond.rows, actor.actionDim, "noise");
        int b = eps.rows;
        Tensor x = eps.copy();
        for (int k = 0; k < steps; k++) {
            float tk = 1f - (float) k / steps, tk1 = 1f - (float) (k + 1) / steps;
            Tensor u = actor.velocity(Dual.of(x), Dual.of(Ops.full(b, 1, tk1)), Dual.of(Ops.full(b, 1, tk)), cond).value();
            float dt = tk - tk1;
            for (int i = 0; i < x.size(); i++) x.data[i] -= dt * u.data[u.offset + i];
        }
        return x;
    }
}
