package io.dmpo.rl;

/**
 * Generalized advantage estimation (docs/algorithms.md, "Stage 2": GAE(γ, λ), truncation bootstraps, termination does not).
 *
 * <p>Arrays are time-major: entry {@code t·n + i} is step {@code t} of env {@code i}. For each step:
 * <pre>
 *   δ_t = r_t + γ · V(s'_t) · (1 − terminated_t) − V(s_t)
 *   A_t = δ_t + γ · λ · (1 − done_t) · A_{t+1}          (A after the last step = 0)
 *   R_t = A_t + V(s_t)                                    (the value target)
 * </pre>
 * {@code s'_t} is the state the step really reached: for a truncated step it is the final observation of the cut
 * episode (NOT the first observation of the next one), so {@code nextValues} must hold V of that state; for a
 * non-final step it is V(s_{t+1}); for the last step of the rollout it is V of the current observation. A terminated
 * step ignores its next value. {@code done = terminated || truncated} stops the recursion at every episode boundary.
 */
public final class Gae {
    private Gae() {}

    /** Advantages and value targets, each {@code steps · n} long. */
    public record Result(float[] advantages, float[] returns) {}

    public static Result compute(int steps, int n, float[] rewards, float[] values, float[] nextValues,
                                 boolean[] terminated, boolean[] done, double gamma, double lambda) {
        int len = steps * n;
        for (Object a : new Object[] {rewards, values, nextValues}) {
            if (((float[]) a).length != len) throw new IllegalArgumentException("GAE arrays must hold steps*envs = " + len);
        }
        if (terminated.length != len || done.length != len) throw new IllegalArgumentException("GAE flags must hold " + len);
        float[] adv = new float[len], ret = new float[len];
        for (int i = 0; i < n; i++) {
            double next = 0; // A_{t+1}
            for (int t = steps - 1; t >= 0; t--) {
                int k = t * n + i;
                double bootstrap = terminated[k] ? 0 : gamma * nextValues[k];
                double delta = rewards[k] + bootstrap - values[k];
                double a = delta + (done[k] ? 0 : gamma * lambda * next);
                adv[k] = (float) a;
                ret[k] = (float) (a + values[k]);
                next = a;
            }
        }
        return new Result(adv, ret);
    }
}
