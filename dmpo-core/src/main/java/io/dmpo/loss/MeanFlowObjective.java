package io.dmpo.loss;

import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.util.SplittableRandom;

/**
 * MeanFlow (docs/algorithms.md, "MeanFlow loss") plus a dispersive regularizer on the embedding ("Dispersive regularization"): L = L_MF + λ·L_disp. With λ = 0 (or
 * kind NONE) this is MP1. Times: logit-normal (μ, σ) pairs, a fraction ρ of rows with r = t.
 */
public record MeanFlowObjective(double timeMu, double timeSigma, double flowRatio, MeanFlowLoss.Options loss,
                                Dispersive.Options dispersive) implements FlowObjective {
    public MeanFlowObjective {
        TimeSampling.check(timeMu, timeSigma);
        if (!(flowRatio >= 0 && flowRatio <= 1)) throw new IllegalArgumentException("flow_ratio must be in [0, 1], got " + flowRatio);
    }

    @Override
    public String name() {
        return "meanflow";
    }

    @Override
    public Terms apply(MeanFlowActor actor, Tensor obs, Tensor actions, SplittableRandom rng, boolean backward) {
        int b = actions.rows;
        MeanFlowLoss.Times times = MeanFlowLoss.sampleTimes(rng, b, timeMu, timeSigma, flowRatio);
        Tensor eps = FlowObjective.noise(rng, b, actor.actionDim);
        MeanFlowLoss.Result res = MeanFlowLoss.evaluate(actor, obs, actions, eps, times, loss);
        return FlowObjective.finish(res.pass(), res.loss(), res.gradU(), dispersive, backward);
    }
}
