package io.dmpo.train;

import io.dmpo.loss.MeanFlowLoss;
import io.dmpo.nn.Init;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Param;
import io.dmpo.nn.Schedules;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * One Stage-1 optimization step on a batch (docs/algorithms.md, "MeanFlow loss"): sample (t, r) and ε, one forward pass carrying tangents
 * gives u and du/dt, form the stop-gradient target, backprop through u only, clip the gradient norm, AdamW.
 */
public final class MeanFlowStep {
    public record Config(double timeMu, double timeSigma, double flowRatio, double maxGradNorm, MeanFlowLoss.Options loss) {
        public static final Config DEFAULT = new Config(-0.4, 1.0, 0.5, 1.0, MeanFlowLoss.Options.PLAIN);
    }

    public record Stats(double loss, double gradNorm) {}

    private final MeanFlowActor actor;
    private final List<Param> params;
    private final AdamW optimizer;
    private final Config config;

    public MeanFlowStep(MeanFlowActor actor, AdamW optimizer, Config config) {
        this.actor = actor;
        this.params = actor.params();
        this.optimizer = optimizer;
        this.config = config;
    }

    public Stats run(Tensor obs, Tensor actions, SplittableRandom rng, double lr) {
        int b = actions.rows;
        MeanFlowLoss.Times times = MeanFlowLoss.sampleTimes(rng, b, config.timeMu(), config.timeSigma(), config.flowRatio());
        Tensor eps = Tensor.zeros(b, actor.actionDim);
        for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
        Schedules.zeroGrad(params);
        MeanFlowLoss.Result res = MeanFlowLoss.evaluate(actor, obs, actions, eps, times, config.loss());
        res.pass().backward(res.gradU(), null);
        double norm = config.maxGradNorm() > 0 ? Schedules.clipGradNorm(params, config.maxGradNorm()) : Schedules.gradNorm(params);
        optimizer.step(lr);
        return new Stats(res.loss(), norm);
    }
}
