package io.dmpo.policy;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Tensor;

/** K-step MeanFlow sampling through the layer path: the chain of {@link FlowChain}, batched. */
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
        FlowChain.clip(x.data, x.offset, x.size());
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
        FlowChain chain = new FlowChain(steps);
        Tensor.requireShape(eps, cond.rows, actor.actionDim, "noise");
        int b = eps.rows;
        Tensor x = eps.copy();
        for (int k = 0; k < steps; k++) {
            Tensor u = actor.velocity(Dual.of(x), Dual.of(Ops.full(b, 1, chain.r(k))), Dual.of(Ops.full(b, 1, chain.t(k))), cond).value();
            FlowChain.step(x.data, x.offset, u.data, u.offset, chain.dt(k), x.size());
        }
        return x;
    }
}
