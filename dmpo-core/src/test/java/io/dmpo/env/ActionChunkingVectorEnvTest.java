package io.dmpo.env;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ActionChunking} inside a {@link VectorEnv}: a chunk runs its first Ta actions as Ta env steps in order, the
 * chunk's reward is the sum of theirs, an episode that ends inside a chunk ends the chunk (the rest of the chunk is
 * dropped, not run in the next episode), and the vector env auto-resets it like any other episode end.
 */
class ActionChunkingVectorEnvTest {
    /**
     * Logs every action it executes. obs {t, episode}; reward of the step from t with action a: 10·a + t; action 9
     * terminates; otherwise the episode is truncated after 5 steps.
     */
    static final class LogEnv implements Env {
        final List<Double> executed = new ArrayList<>();
        int t, episode, resets;

        @Override public String name() { return "log"; }
        @Override public int obsDim() { return 2; }
        @Override public int actDim() { return 1; }
        @Override public double[] actionLow() { return new double[] {-10}; }
        @Override public double[] actionHigh() { return new double[] {10}; }
        @Override public int maxEpisodeSteps() { return 5; }

        @Override
        public double[] reset(long seed) {
            episode = 0;
            t = 0;
            return new double[] {t, episode};
        }

        @Override
        public double[] reset() {
            resets++;
            episode++;
            t = 0;
            return new double[] {t, episode};
        }

        @Override
        public StepResult step(double[] a) {
            executed.add(a[0]);
            double r = 10 * a[0] + t;
            t++;
            boolean term = a[0] == 9;
            return new StepResult(new double[] {t, episode}, r, term, !term && t >= 5);
        }

        @Override public void close() {}
    }

    static LogEnv inner(VectorEnv v, int i) {
        return (LogEnv) ((ActionChunking) v.env(i)).unwrapped();
    }

    static int executed(VectorEnv v, int i) {
        return ((ActionChunking) v.env(i)).lastExecuted();
    }

    @Test
    void chunksRunInOrderSumRewardsAndStopAtEpisodeEnds() {
        for (int threads : new int[] {1, 2}) {
            try (VectorEnv v = VectorEnv.of(2, threads, i -> new ActionChunking(new LogEnv(), 4, 3))) {
                assertEquals(4, v.actDim());
                assertEquals(2, v.env(0).maxEpisodeSteps(), "5 env steps = 2 chunks of 3 (the last one short)");
                double[][] o = v.reset(0);
                assertArrayEquals(new double[] {0, 0}, o[0]);

                // chunk 1. env 0 runs 1, 2, 3 (not the 4th action, 7); env 1 runs 1 then 9, which terminates
                VectorEnv.Step s = v.step(new double[][] {{1, 2, 3, 7}, {1, 9, 3, 7}});
                assertEquals(10 + 21 + 32, s.rewards()[0], 1e-12);
                assertEquals(3, executed(v, 0));
                assertFalse(s.terminated()[0] || s.truncated()[0]);
                assertNull(s.finalObs()[0]);
                assertArrayEquals(new double[] {3, 0}, s.obs()[0]);
                assertEquals(10 + 91, s.rewards()[1], 1e-12);
                assertEquals(2, executed(v, 1));
                assertTrue(s.terminated()[1]);
                assertFalse(s.truncated()[1]);
                assertArrayEquals(new double[] {2, 0}, s.finalObs()[1], "the state the episode ended in");
                assertArrayEquals(new double[] {0, 1}, s.obs()[1], "auto-reset: the next episode's first observation");

                // chunk 2. env 0 hits the 5-step limit after 2 actions (4, 5); env 1 runs 3 actions of its new episode
                s = v.step(new double[][] {{4, 5, 6, 7}, {2, 2, 2, 2}});
                assertEquals(43 + 54, s.rewards()[0], 1e-12);
                assertEquals(2, executed(v, 0));
                assertTrue(s.truncated()[0]);
                assertFalse(s.terminated()[0]);
                assertArrayEquals(new double[] {5, 0}, s.finalObs()[0]);
                assertArrayEquals(new double[] {0, 1}, s.obs()[0]);
                assertEquals(20 + 21 + 22, s.rewards()[1], 1e-12);
                assertEquals(3, executed(v, 1));
                assertArrayEquals(new double[] {3, 1}, s.obs()[1]);

                // chunk 3, given as the Ta executed actions only. env 1 terminates at its first action
                s = v.step(new double[][] {{1, 1, 1}, {9, 1, 1}});
                assertEquals(10 + 11 + 12, s.rewards()[0], 1e-12);
                assertArrayEquals(new double[] {3, 1}, s.obs()[0]);
                assertEquals(93, s.rewards()[1], 1e-12);
                assertEquals(1, executed(v, 1));
                assertTrue(s.terminated()[1]);
                assertArrayEquals(new double[] {4, 1}, s.finalObs()[1]);
                assertArrayEquals(new double[] {0, 2}, s.obs()[1]);

                // exactly the executed actions reached the env, in order; nothing after an episode end
                assertEquals(List.of(1.0, 2.0, 3.0, 4.0, 5.0, 1.0, 1.0, 1.0), inner(v, 0).executed);
                assertEquals(List.of(1.0, 9.0, 2.0, 2.0, 2.0, 9.0), inner(v, 1).executed);
                assertEquals(1, inner(v, 0).resets);
                assertEquals(2, inner(v, 1).resets);

                // episode statistics: raw returns (sums of every env step's reward); lengths count env steps
                List<VectorEnv.Episode> eps = v.drainEpisodes();
                assertEquals(List.of(new VectorEnv.Episode(1, 101, 2, true), new VectorEnv.Episode(0, 160, 5, false),
                        new VectorEnv.Episode(1, 156, 4, true)), eps);
                assertEquals(14, v.totalSteps(), "env steps: the 8 + 6 executed actions, not 3 x 2 chunks");
            }
        }
    }
}
