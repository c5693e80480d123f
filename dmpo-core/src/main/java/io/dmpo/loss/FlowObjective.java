package io.dmpo.loss;

import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.util.SplittableRandom;

/**
 * A Stage-1 objective (docs/algorithms.md, "Stage 1 losses"): MeanFlow with or without dispersion ({@link MeanFlowObjective}; MP1 is λ = 0),
 * ReFlow ({@link ReFlowObjective}), ShortCut ({@link ShortCutObjective}). All train the same network u_θ(z, r, t | s)
 * and are sampled by the same K-step sampler, so the trainer never branches on the algorithm.
 */
public interface FlowObjective {
    /** The algorithm's name as written in configs ({@code meanflow}, {@code reflow}, {@code shortcut}). */
    String name();

    /** The dispersive regularizer (inactive: none). */
    Dispersive.Options dispersive();

    /**
     * The method's label in reports and tables: the algorithm, and whether dispersion is on — "+disp" for the
     * reference dispersive setting, else the form and its parameters ("MeanFlow+hinge λ0.9 m1"), so a study over
     * forms and weights gets one row per setting.
     */
    default String label() {
        Dispersive.Options d = dispersive();
        boolean reference = d.active() && d.isReference();
        String disp = !d.active() ? "" : reference ? "+disp" : "+" + d.describe();
        return switch (name()) {
            case "meanflow" -> !d.active() ? "MeanFlow (MP1)" : reference ? "MeanFlow+disp (DMPO)" : "MeanFlow" + disp;
            case "reflow" -> "ReFlow" + disp;
            case "shortcut" -> "ShortCut" + disp;
            default -> name() + disp;
        };
    }

    /**
     * The loss on one batch of normalized observations [B, obs] and action chunks [B, Ta·Da]; with {@code backward},
     * accumulates dL/dθ into the parameters' gradients (the caller zeroes, clips and steps).
     */
    Terms apply(MeanFlowActor actor, Tensor obs, Tensor actions, SplittableRandom rng, boolean backward);

    /** total = flow + λ·dispersive; {@code cond} is the batch's conditional embedding (for diagnostics). */
    record Terms(double total, double flow, double dispersive, Tensor cond) {}

    /** Standard normal noise ε [B, D]. */
    static Tensor noise(SplittableRandom rng, int rows, int cols) {
        Tensor eps = Tensor.zeros(rows, cols);
        for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
        return eps;
    }

    /**
     * The common tail of every objective: adds λ·L_disp on the pass's embedding and runs the backward pass with
     * dL/du = {@code gradU} and dL/ds = λ·dL_disp/ds.
     */
    static Terms finish(MeanFlowActor.Pass pass, double flowLoss, Tensor gradU, Dispersive.Options disp, boolean backward) {
        double dispValue = 0;
        Tensor gradCond = null;
        if (disp.active()) {
            Dispersive.Result r = Dispersive.evaluate(pass.cond, disp);
            dispValue = r.value();
            gradCond = r.grad();
            for (int i = 0; i < gradCond.size(); i++) gradCond.data[gradCond.offset + i] *= (float) disp.weight();
        }
        if (backward) pass.backward(gradU, gradCond);
        return new Terms(flowLoss + disp.weight() * dispValue, flowLoss, dispValue, pass.cond);
    }
}
