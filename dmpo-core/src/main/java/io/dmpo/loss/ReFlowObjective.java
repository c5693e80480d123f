package io.dmpo.loss;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.util.SplittableRandom;

/**
 * ReFlow / rectified flow (docs/algorithms.md, "Baselines"): r ≡ t always, L = mean‖u(z_t, t, t | s) − v‖², z_t = (1 − t)·a + t·ε,
 * v = ε − a; sampled with the same K-step Euler sampler. No tangents are needed (one plain traced pass).
 */
public record ReFlowObjective(double timeMu, double timeSigma, Dispersive.Options dispersive) implements FlowObjective {
    public ReFlowObjective {
        TimeSampling.check(timeMu, timeSigma);
    }

    @Override
    public String name() {
        return "reflow";
    }

    @Override
    public Terms apply(MeanFlowActor actor, Tensor obs, Tensor actions, SplittableRandom rng, boolean backward) {
        int b = actions.rows, d = actor.actionDim;
        Tensor t = TimeSampling.logitNormal(rng, b, timeMu, timeSigma);
        Tensor eps = FlowObjective.noise(rng, b, d);
        Tensor z = Tensor.zeros(b, d), v = Tensor.zeros(b, d);
        for (int i = 0; i < b; i++) {
            float ti = t.get(i, 0);
            for (int j = 0; j < d; j++) {
                z.set(i, j, (1 - ti) * actions.get(i, j) + ti * eps.get(i, j));
                v.set(i, j, eps.get(i, j) - actions.get(i, j));
            }
        }
        MeanFlowActor.Pass pass = actor.trace(obs, Dual.of(z), Dual.of(t), Dual.of(t));
        return FlowObjective.finish(pass, Regression.meanSquared(pass.u(), v), Regression.gradient(pass.u(), v), dispersive, backward);
    }
}
