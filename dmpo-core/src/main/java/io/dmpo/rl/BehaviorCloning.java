package io.dmpo.rl;

import io.dmpo.nn.Ops;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

/**
 * BC-W2 regularization of Stage 2 (docs/algorithms.md, "Stage 2"; paper Eq. 8–9, 37–38): keeps the fine-tuned chain near the frozen
 * pre-trained policy,
 * <pre>
 *   L_BC = mean_b ‖a_θ(s_b, z_b) − a_ref(s_b, z_b)‖²,     coefficient c(i) (see {@link Schedule})
 * </pre>
 * where both actions come from the noise-free K-step chain ({@link NoisyChainPolicy#deterministic}) started at the
 * SAME noise z. We take z = the rollout's own x_0 (stored in the record), which covers the noise distribution the policy
 * acts with and needs no extra random stream; the release uses z = 0. The gradient flows back through all K steps.
 * Added to every PPO minibatch after the warm-up ({@link Ppo.ExtraLoss}); returns the unweighted L_BC.
 */
public final class BehaviorCloning implements Ppo.ExtraLoss {
    /** c(i) = c0 for i < i0, c1 for i ≥ i1, linear between (iterations counted from 0). */
    public record Schedule(double c0, double c1, int i0, int i1) {
        public Schedule {
            if (!(c0 >= 0 && c1 >= 0 && Double.isFinite(c0) && Double.isFinite(c1))) {
                throw new IllegalArgumentException("BC coefficients must be finite and >= 0, got c0 " + c0 + ", c1 " + c1);
            }
            if (i0 < 0 || i1 < i0) throw new IllegalArgumentException("BC schedule needs 0 <= i0 <= i1, got i0 " + i0 + ", i1 " + i1);
        }

        public static final Schedule OFF = new Schedule(0, 0, 0, 0);

        public double at(int iteration) {
            if (iteration < i0) return c0;
            if (iteration >= i1) return c1;
            return c0 + (c1 - c0) * (iteration - i0) / (double) (i1 - i0);
        }
    }

    private final NoisyChainPolicy policy;
    private final MeanFlowActor reference;
    private final Schedule schedule;

    /** {@code reference}: a frozen copy of the pre-trained actor (never updated). */
    public BehaviorCloning(NoisyChainPolicy policy, MeanFlowActor reference, Schedule schedule) {
        if (reference == policy.actor()) throw new IllegalArgumentException("the BC reference must be a frozen copy, not the trained actor");
        this.policy = policy;
        this.reference = reference;
        this.schedule = schedule;
    }

    public Schedule schedule() {
        return schedule;
    }

    @Override
    public double accumulate(Tensor obs, Tensor records, int iteration) {
        double c = schedule.at(iteration);
        int b = obs.rows, chunk = policy.actDim();
        Tensor x0 = Ops.columns(records, 0, chunk);
        Tensor target = policy.deterministic(reference, obs, x0);
        NoisyChainPolicy.DeterministicTrace tr = policy.traceDeterministic(obs, x0);
        Tensor a = tr.output(), grad = Tensor.zeros(b, chunk);
        double loss = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < chunk; j++) {
                double d = a.get(i, j) - target.get(i, j);
                loss += d * d;
                grad.set(i, j, (float) (c * 2 * d / b));
            }
        }
        if (c > 0) tr.backward(grad);
        return loss / b;
    }
}
