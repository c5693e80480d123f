package io.dmpo.rl;

import io.dmpo.env.RunningMeanStd;

/**
 * Running reward scaling (Gymnasium's NormalizeReward, docs/algorithms.md, "Stage 2"): each env keeps a discounted return
 * {@code G ← γ·G + r} (reset at every episode end); rewards are divided by the running std of G and clipped to
 * ±clip. Only the rewards PPO learns from are scaled; reported episode returns are raw.
 */
public final class RewardScaler {
    private final double gamma, clip;
    private final double[] g;
    private final RunningMeanStd stats = new RunningMeanStd(1);

    public RewardScaler(int envs, double gamma, double clip) {
        this.gamma = gamma;
        this.clip = clip;
        this.g = new double[envs];
    }

    /** Scales env {@code i}'s reward; call in env order once per step. */
    public double scale(int i, double reward, boolean done) {
        g[i] = gamma * g[i] + reward;
        stats.update(new double[] {g[i]});
        double s = reward / Math.sqrt(stats.var()[0] + 1e-8);
        if (done) g[i] = 0;
        return Math.max(-clip, Math.min(clip, s));
    }

    public RunningMeanStd stats() {
        return stats;
    }

    public double[] returns() {
        return g;
    }
}
