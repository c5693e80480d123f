package io.dmpo.rl;

import io.dmpo.env.Env;
import io.dmpo.env.StepResult;

import java.util.SplittableRandom;

/**
 * A tiny control task for PPO tests: obs = {x, target}; x ← x + 0.25·a (a ∈ [−1, 1]); reward = 1 − |x − target|;
 * terminates when |x| > 3 (reward −5); truncated after 20 steps. A good policy moves to the target and stays:
 * return near 20 − (initial distance effects); a random one scores far lower.
 */
final class LineEnv implements Env {
    private SplittableRandom rng = new SplittableRandom(0);
    private double x, target;
    private int t;

    @Override public String name() { return "line"; }
    @Override public int obsDim() { return 2; }
    @Override public int actDim() { return 1; }
    @Override public double[] actionLow() { return new double[] {-1}; }
    @Override public double[] actionHigh() { return new double[] {1}; }
    @Override public int maxEpisodeSteps() { return 20; }

    @Override
    public double[] reset(long seed) {
        rng = new SplittableRandom(seed);
        return reset();
    }

    @Override
    public double[] reset() {
        x = 0;
        target = rng.nextDouble(-2, 2);
        t = 0;
        return new double[] {x, target};
    }

    @Override
    public StepResult step(double[] a) {
        x += 0.25 * Math.max(-1, Math.min(1, a[0]));
        t++;
        boolean out = Math.abs(x) > 3;
        double r = out ? -5 : 1 - Math.abs(x - target);
        return new StepResult(new double[] {x, target}, r, out, !out && t >= 20);
    }

    @Override public void close() {}
}
