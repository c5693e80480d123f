package io.dmpo.loss;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Init;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.util.SplittableRandom;

/** The MeanFlow objective of docs/algorithms.md, "MeanFlow loss" (paper Eq. 18–21). */
public final class MeanFlowLoss {
    private MeanFlowLoss() {}

    /**
     * Adaptive weighting of docs/algorithms.md, "MeanFlow loss": w = 1/(Δ² + c)^p on the per-sample mean squared error Δ², under
     * stop-gradient (p = 0: plain mean squared error, the default).
     */
    public record Options(double adaptivePower, double adaptiveEps, boolean vLoss) {
        public static final Options PLAIN = new Options(0, 1e-3, false);

        public Options {
            if (!(adaptivePower >= 0 && Double.isFinite(adaptivePower))) {
                throw new IllegalArgumentException("adaptive power p must be >= 0, got " + adaptivePower);
            }
            if (!(adaptiveEps > 0 && Double.isFinite(adaptiveEps))) {
                throw new IllegalArgumentException("adaptive c must be > 0, got " + adaptiveEps);
            }
        }
    }

    /** The loss value, dL/du for the backward pass, and the recorded pass (u, du/dt, cond) it came from. */
    public record Result(double loss, Tensor gradU, MeanFlowActor.Pass pass) {}

    /** Sampled (t, r) pairs, each [B, 1]. */
    public record Times(Tensor t, Tensor r) {}

    /**
     * The time sampling of docs/algorithms.md, "MeanFlow loss": n1, n2 ~ N(μ, σ²); t = max(sig n1, sig n2), r = min(...); then exactly ⌊ρB⌋
     * random rows get r = t (plain flow-matching rows).
     */
    public static Times sampleTimes(SplittableRandom rng, int batch, double mu, double sigma, double flowRatio) {
        float[] t = new float[batch], r = new float[batch];
        for (int i = 0; i < batch; i++) {
            double a = sigmoid(mu + sigma * Init.gaussian(rng)), b = sigmoid(mu + sigma * Init.gaussian(rng));
            t[i] = (float) Math.max(a, b);
            r[i] = (float) Math.min(a, b);
        }
        int[] rows = new int[batch];
        for (int i = 0; i < batch; i++) rows[i] = i;
        int flowRows = (int) Math.floor(flowRatio * batch);
        for (int i = 0; i < flowRows; i++) { // partial Fisher–Yates: the first flowRows of a random permutation
            int j = i + rng.nextInt(batch - i);
            int tmp = rows[i];
            rows[i] = rows[j];
            rows[j] = tmp;
            r[rows[i]] = t[rows[i]];
        }
        return new Times(Ops.column(t), Ops.column(r));
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }


    /**
     * z_t = (1 − t)·a + t·ε, v = ε − a; (u, du/dt) = JVP of u_θ(·, ·, ·| s) at (z_t, r, t) along (v, 0, 1) in ONE
     * pass; u_tgt = v − (t − r)·du/dt (stop-gradient); L = mean over batch and elements of w·‖u − u_tgt‖², with
     * w = 1 unless adaptive weighting is on. The caller runs {@code result.pass().backward(result.gradU(), ...)}.
     *
     * <p>With {@code opt.vLoss()} (improved MeanFlow): the tangent is v̂ = sg(u_θ(z_t, t, t | s)) instead of v, and
     * L = mean w·‖V − v‖² with V = u + (t − r)·sg(du/dt) — the same gradient path (through u only), a target that does
     * not depend on the network's own du/dt estimate being right.
     */
    public static Result evaluate(MeanFlowActor actor, Tensor obs, Tensor actions, Tensor eps, Times times, Options opt) {
        int b = actions.rows, d = actor.actionDim;
        Tensor.requireShape(actions, b, d, "action chunks");
        Tensor.requireShape(eps, b, d, "noise");
        Tensor z = Tensor.zeros(b, d), v = Tensor.zeros(b, d);
        for (int i = 0; i < b; i++) {
            float t = times.t().get(i, 0);
            for (int j = 0; j < d; j++) {
                float a = actions.get(i, j), e = eps.get(i, j);
                z.set(i, j, (1 - t) * a + t * e);
                v.set(i, j, e - a);
            }
        }
        Tensor tangent = v;
        if (opt.vLoss()) { // v̂ = u(z_t, t, t | s), no gradient
            tangent = actor.velocity(Dual.of(z), Dual.of(times.t()), Dual.of(times.t()), actor.encode(obs)).value().copy();
        }
        MeanFlowActor.Pass pass = actor.trace(obs, new Dual(z, tangent),
                new Dual(times.r(), Tensor.zeros(b, 1)), new Dual(times.t(), Ops.full(b, 1, 1f)));
        Tensor u = pass.u(), dudt = pass.du();
        Tensor grad = Tensor.zeros(b, d);
        double total = 0;
        for (int i = 0; i < b; i++) {
            float gap = times.t().get(i, 0) - times.r().get(i, 0);
            double sq = 0;
            for (int j = 0; j < d; j++) {
                double diff = opt.vLoss()
                        ? u.get(i, j) + gap * dudt.get(i, j) - v.get(i, j)   // V − v
                        : u.get(i, j) - (v.get(i, j) - gap * dudt.get(i, j)); // u − u_tgt
                grad.set(i, j, (float) diff);
                sq += diff * diff;
            }
            double w = opt.adaptivePower() == 0 ? 1 : 1 / Math.pow(sq / d + opt.adaptiveEps(), opt.adaptivePower());
            total += w * sq;
            float scale = (float) (2 * w / ((double) b * d));
            for (int j = 0; j < d; j++) grad.set(i, j, grad.get(i, j) * scale);
        }
        return new Result(total / ((double) b * d), grad, pass);
    }
}
