package io.dmpo.loss;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.util.SplittableRandom;

/**
 * ShortCut (Frans et al. 2024; docs/algorithms.md, "Baselines") on the same network: the step size is d = t − r, so u(z, r, t | s) is
 * already step-conditioned. A fraction {@code selfConsistency} of each batch are self-consistency rows: d = 2^−j
 * (j uniform in 1..maxDoublings), t uniform on the grid {2d, 4d, …, 1}, r = t − 2d, target = ½[u(z_t, t − d, t) +
 * u(z', t − 2d, t − d)] with z' = z_t − d·u(z_t, t − d, t), computed by the current network under stop-gradient (two
 * small-step averages must equal one double step). The other rows are flow-matching rows (r = t, target v, t
 * logit-normal). L = mean‖u − target‖² over all rows.
 */
public record ShortCutObjective(double timeMu, double timeSigma, double selfConsistency, int maxDoublings,
                                Dispersive.Options dispersive) implements FlowObjective {
    public ShortCutObjective {
        TimeSampling.check(timeMu, timeSigma);
        if (!(selfConsistency >= 0 && selfConsistency <= 1)) {
            throw new IllegalArgumentException("self_consistency must be in [0, 1], got " + selfConsistency);
        }
        if (maxDoublings < 1 || maxDoublings > 20) throw new IllegalArgumentException("max_doublings must be in [1, 20], got " + maxDoublings);
    }

    @Override
    public String name() {
        return "shortcut";
    }

    @Override
    public Terms apply(MeanFlowActor actor, Tensor obs, Tensor actions, SplittableRandom rng, boolean backward) {
        int b = actions.rows, d = actor.actionDim, sc = (int) Math.floor(selfConsistency * b);
        float[] t = new float[b], r = new float[b], half = new float[b];
        Tensor flowT = TimeSampling.logitNormal(rng, b, timeMu, timeSigma);
        for (int i = 0; i < b; i++) {
            if (i < sc) {
                int j = 1 + rng.nextInt(maxDoublings);
                double step = Math.scalb(1.0, -j);                  // d
                int gridPoints = 1 << (j - 1);                       // t ∈ {2d, 4d, …, 1}
                t[i] = (float) (2 * step * (1 + rng.nextInt(gridPoints)));
                half[i] = (float) step;
                r[i] = (float) (t[i] - 2 * step);
            } else {
                t[i] = flowT.get(i, 0);
                r[i] = t[i];
            }
        }
        Tensor eps = FlowObjective.noise(rng, b, d);
        Tensor z = Tensor.zeros(b, d), target = Tensor.zeros(b, d);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < d; j++) {
                float a = actions.get(i, j), e = eps.get(i, j);
                z.set(i, j, (1 - t[i]) * a + t[i] * e);
                target.set(i, j, e - a); // flow-matching rows keep v
            }
        }
        if (sc > 0) selfConsistencyTargets(actor, obs, z, t, half, sc, target);
        MeanFlowActor.Pass pass = actor.trace(obs, Dual.of(z), Dual.of(Ops.column(r)), Dual.of(Ops.column(t)));
        return FlowObjective.finish(pass, Regression.meanSquared(pass.u(), target), Regression.gradient(pass.u(), target),
                dispersive, backward);
    }

    /** Rows 0..sc−1 of {@code target}: the average of two half steps, by the current network, no gradient. */
    private static void selfConsistencyTargets(MeanFlowActor actor, Tensor obs, Tensor z, float[] t, float[] half, int sc,
                                               Tensor target) {
        int d = z.cols;
        Tensor cond = actor.encode(new Tensor(obs.data, obs.offset, sc, obs.cols));
        Tensor zs = new Tensor(z.data, z.offset, sc, d).copy();
        float[] t0 = new float[sc], t1 = new float[sc], t2 = new float[sc];
        for (int i = 0; i < sc; i++) {
            t0[i] = t[i];
            t1[i] = t[i] - half[i];
            t2[i] = t[i] - 2 * half[i];
        }
        Tensor u1 = actor.velocity(Dual.of(zs), Dual.of(Ops.column(t1)), Dual.of(Ops.column(t0)), cond).value().copy();
        Tensor zMid = Tensor.zeros(sc, d);
        for (int i = 0; i < sc; i++) for (int j = 0; j < d; j++) zMid.set(i, j, zs.get(i, j) - half[i] * u1.get(i, j));
        Tensor u2 = actor.velocity(Dual.of(zMid), Dual.of(Ops.column(t2)), Dual.of(Ops.column(t1)), cond).value();
        for (int i = 0; i < sc; i++) for (int j = 0; j < d; j++) target.set(i, j, 0.5f * (u1.get(i, j) + u2.get(i, j)));
    }
}
