package io.dmpo.rl;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RewardScaler} against an independent, written-out NormalizeReward: per env a discounted return
 * {@code G_t = γ·G_{t−1}·(1 − done_{t−1}) + r_t} (a new episode starts from 0), one running mean/variance of G over
 * every env's returns (Gymnasium's RunningMeanStd: mean 0, var 1, count 1e-4 to start, each value merged as a batch
 * of one, in call order), and the scaled reward {@code clip(r / sqrt(var + 1e-8), ±clip)}.
 */
class RewardScalerTest {
    /** Gymnasium's RunningMeanStd.update_from_moments for a batch (mean x, var 0, count 1). */
    static final class Rms {
        double mean = 0, var = 1, count = 1e-4;

        void update(double x) {
            double batchMean = x, batchVar = 0, batchCount = 1;
            double delta = batchMean - mean, tot = count + batchCount;
            double newMean = mean + delta * batchCount / tot;
            double m2 = var * count + batchVar * batchCount + delta * delta * count * batchCount / tot;
            mean = newMean;
            var = m2 / tot;
            count = tot;
        }
    }

    /** Runs {@code steps} rounds over {@code n} envs with seeded rewards and episode ends; checks every call. */
    static void compare(int n, double gamma, double clip, long seed, int steps, double rewardScale) {
        RewardScaler s = new RewardScaler(n, gamma, clip);
        Rms rms = new Rms();
        double[] ret = new double[n];
        boolean[] prevDone = new boolean[n];
        int[] len = new int[n];
        List<Double> seen = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        int clipped = 0, resets = 0;
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < n; i++) {
                double r = rewardScale * (rng.nextGaussian() * (i + 1) + 0.3 * i);
                len[i]++;
                // random terminations, plus a time limit of 7 + i steps (a truncation is an episode end as well)
                boolean done = rng.nextInt(20) == 0 || len[i] == 7 + i;
                ret[i] = gamma * ret[i] * (prevDone[i] ? 0 : 1) + r;
                rms.update(ret[i]);
                seen.add(ret[i]);
                double want = Math.max(-clip, Math.min(clip, r / Math.sqrt(rms.var + 1e-8)));
                if (Math.abs(want) == clip) clipped++;
                double got = s.scale(i, r, done);
                int step = t, env = i;
                assertEquals(want, got, 1e-12 * Math.max(1, Math.abs(want)), () -> "step " + step + " env " + env);
                // the running return: the reference's G, or 0 right after an episode end
                assertEquals(done ? 0 : ret[i], s.returns()[i], 1e-12 * Math.max(1, Math.abs(ret[i])));
                if (done) {
                    len[i] = 0;
                    resets++;
                }
                prevDone[i] = done;
            }
        }
        assertEquals(rms.count, s.stats().count(), 1e-9);
        assertEquals(rms.mean, s.stats().mean()[0], 1e-12 * Math.max(1, Math.abs(rms.mean)));
        assertEquals(rms.var, s.stats().var()[0], 1e-12 * rms.var);
        // and the running variance is the (population) variance of every return seen, up to the prior's weight 1e-4
        double m = seen.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double v = seen.stream().mapToDouble(x -> (x - m) * (x - m)).average().orElseThrow();
        assertEquals(v, s.stats().var()[0], 1e-5 * v + 2e-4 * (1 + m * m) / seen.size());
        assertEquals(m, s.stats().mean()[0], 1e-5 * Math.sqrt(v));
        assertEquals(steps * n + 1e-4, s.stats().count(), 1e-9);
        // the scenario exercised resets (and, where asked for, clipping)
        assertTrue(resets > steps * n / 12, "resets " + resets);
        if (clip < 1e6) assertTrue(clipped > 0, "no reward was clipped");
    }

    @Test
    void matchesNormalizeRewardWithResetsAtEpisodeEnds() {
        compare(3, 0.99, 1e9, 11, 400, 1); // clip out of reach: the pure scaling
        compare(1, 0.9, 1e9, 12, 300, 100);
        compare(4, 0.5, 1e9, 13, 200, 1e-3);
    }

    @Test
    void clipsTheScaledReward() {
        compare(2, 0.99, 0.5, 14, 300, 1);
        compare(3, 0.95, 2, 15, 300, 5);
    }

    /** Hand-worked first steps, γ = 0.5, one env: the statistics start at mean 0, var 1, count 1e-4. */
    @Test
    void handWorkedFirstSteps() {
        RewardScaler s = new RewardScaler(1, 0.5, 1e9);
        // step 1: G = 2; count 1.0001, mean = 2/1.0001, var = (1e-4 + 4·1e-4/1.0001)/1.0001
        double c1 = 1.0001, var1 = (1e-4 + 4 * 1e-4 / c1) / c1;
        assertEquals(2 / Math.sqrt(var1 + 1e-8), s.scale(0, 2, false), 1e-9);
        assertEquals(2.0, s.returns()[0]);
        // step 2 ends the episode: G = 0.5·2 + 1 = 2 (so var shrinks), then G resets
        double mean1 = 2 / c1, c2 = c1 + 1, d = 2 - mean1, var2 = (var1 * c1 + d * d * c1 / c2) / c2;
        assertEquals(1 / Math.sqrt(var2 + 1e-8), s.scale(0, 1, true), 1e-9);
        assertEquals(0.0, s.returns()[0]);
        // step 3: a fresh episode, G = r
        s.scale(0, -3, false);
        assertEquals(-3.0, s.returns()[0]);
    }
}
