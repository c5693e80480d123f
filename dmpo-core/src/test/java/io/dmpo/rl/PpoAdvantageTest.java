package io.dmpo.rl;

import io.dmpo.env.ActionChunking;
import io.dmpo.env.VectorEnv;
import io.dmpo.rl.PpoProbes.ScriptEnv;
import io.dmpo.rl.PpoProbes.ScriptEnv.End;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The advantages and value targets {@link Ppo#iterate()} trains on, read through {@link PpoProbes}, against hand
 * computations: a time-limit truncation bootstraps from V(final observation of the cut episode), a termination (and an
 * env failure, whose state is lost) does not, the last rollout step bootstraps from V(current observation), and over
 * an {@link ActionChunking} env one chunk is one GAE step (its summed reward, γ once per chunk).
 */
class PpoAdvantageTest {
    static final double TOL = 1e-5;

    /** Runs one PPO iteration with the probes; returns {advantages, returns} keyed by state value. */
    static List<Map<Float, Double>> run(VectorEnv envs, int steps) {
        return run(envs, steps, true);
    }

    static List<Map<Float, Double>> run(VectorEnv envs, int steps, boolean bootstrapTruncation) {
        PpoConfig cfg = PpoProbes.config(steps, envs.numEnvs(), 0.5, 0.5);
        cfg.bootstrapTruncation = bootstrapTruncation;
        PpoProbes.Policy pi = new PpoProbes.Policy(envs.obsDim(), envs.actDim());
        PpoProbes.Critic critic = new PpoProbes.Critic(cfg.valueCoef);
        Ppo ppo = new Ppo(cfg, pi, critic, envs, 1, 0);
        Ppo.Stats s = ppo.iterate();
        assertEquals(1, s.minibatches());
        assertEquals(steps * envs.numEnvs(), pi.advantages.size(), "one advantage per rollout row");
        assertEquals(steps * envs.numEnvs(), critic.returns.size(), "one value target per rollout row");
        return List.of(pi.advantages, critic.returns);
    }

    /** {state value, advantage, return} rows. */
    static void check(List<Map<Float, Double>> got, double[][] want) {
        for (double[] w : want) {
            float key = (float) w[0];
            assertEquals(w[1], got.get(0).get(key), TOL * (1 + Math.abs(w[1])), "advantage of the state with V = " + w[0]);
            assertEquals(w[2], got.get(1).get(key), TOL * (1 + Math.abs(w[2])), "return of the state with V = " + w[0]);
        }
        assertEquals(want.length, got.get(0).size());
    }

    /**
     * Three envs, 6 steps, γ = λ = 0.5 (γλ = 0.25); V = obs[0] (see {@link ScriptEnv}).
     * <pre>
     * env 0: episodes of 3 steps cut by the time limit, rewards 1, 2, 3; V = 1 + t + 10·episode
     *   t  V   r  V(s')                       δ = r + γ·V(s') − V      A = δ + γλ·A'(not after an end)   R = A + V
     *   0  1   1  2                           1                        1 + .25·2 = 1.5                   2.5
     *   1  2   2  3                           1.5                      1.5 + .25·2 = 2                   4
     *   2  3   3  4 (final obs, truncated)    2                        2                                 5
     *   3  11  1  12                          −4                       −4 + .25·(−4.25) = −5.0625        5.9375
     *   4  12  2  13                          −3.5                     −3.5 + .25·(−3) = −4.25           7.75
     *   5  13  3  14 (final obs, truncated)   −3                       −3                                10
     * (bootstrapping a truncation from the next episode's first observation, V = 11, would give δ = 5.5 at t = 2;
     *  treating it as terminal would give δ = 0)
     * env 1: an episode of 4 steps that terminates, rewards −1, −1, −1, 8; V = 5 + t + 10·episode
     *   0  5   −1 6                           −3                       −3 + .25·(−4.5) = −4.125          0.875
     *   1  6   −1 7                           −3.5                     −3.5 + .25·(−4) = −4.5            1.5
     *   2  7   −1 8                           −4                       −4 + .25·0 = −4                   3
     *   3  8   8  terminal (final obs V=100)  8 − 8 = 0                0                                 8
     *   4  15  −1 16                          −8                       −8 + .25·(−8.5) = −10.125         4.875
     *   5  16  −1 17 (current obs, last step) −8.5                     −8.5                              7.5
     * env 2: the second step of every episode throws (state lost: no bootstrap, reward 0); V = 30 + t + 10·episode
     *   0  30  5  31                          −9.5                     −9.5 + .25·(−31) = −17.25         12.75
     *   1  31  0  lost                        −31                      −31                               0
     *   2  40  5  41                          −14.5                    −14.5 + .25·(−41) = −24.75        15.25
     *   3  41  0  lost                        −41                      −41                               0
     *   4  50  5  51                          −19.5                    −19.5 + .25·(−51) = −32.25        17.75
     *   5  51  0  lost                        −51                      −51                               0
     * </pre>
     */
    @Test
    void truncationBootstrapsFromTheFinalObservationTerminationDoesNot() {
        ScriptEnv[] script = {new ScriptEnv(1, 3, End.TRUNCATE, 1, 2, 3),
                new ScriptEnv(5, 4, End.TERMINATE, -1, -1, -1, 8),
                new ScriptEnv(30, 2, End.THROW, 5, 0)};
        try (VectorEnv envs = VectorEnv.of(3, 1, i -> script[i])) {
            List<Map<Float, Double>> got = run(envs, 6);
            check(got, new double[][] {
                    {1, 1.5, 2.5}, {2, 2, 4}, {3, 2, 5}, {11, -5.0625, 5.9375}, {12, -4.25, 7.75}, {13, -3, 10},
                    {5, -4.125, 0.875}, {6, -4.5, 1.5}, {7, -4, 3}, {8, 0, 8}, {15, -10.125, 4.875}, {16, -8.5, 7.5},
                    {30, -17.25, 12.75}, {31, -31, 0}, {40, -24.75, 15.25}, {41, -41, 0}, {50, -32.25, 17.75}, {51, -51, 0}});
            assertEquals(3, envs.instabilities(), "env 2 failed three times");
        }
    }

    /**
     * A finite-horizon task ({@code bootstrap_truncation: false}): a time-limit cut ends the episode with value 0, like
     * a termination. Env 0 of {@link #truncationBootstrapsFromTheFinalObservationTerminationDoesNot}, γ = λ = 0.5:
     * <pre>
     *   t  V   r  V(s')                  δ = r + γ·V(s') − V   A                              R = A + V
     *   0  1   1  2                      1                     1 + .25·1.5 = 1.375            2.375
     *   1  2   2  3                      1.5                   1.5 + .25·0 = 1.5              3.5
     *   2  3   3  cut: 0                 3 − 3 = 0             0                              3
     *   3  11  1  12                     −4                    −4 + .25·(−6) = −5.5           5.5
     *   4  12  2  13                     −3.5                  −3.5 + .25·(−10) = −6          6
     *   5  13  3  cut: 0                 3 − 13 = −10          −10                            3
     * env 1, the same script with V = 101 + t + 10·episode (a minibatch needs 8 rows):
     *   0  101 1  102                    −49                   −49 + .25·(−73.5) = −67.375    33.625
     *   1  102 2  103                    −48.5                 −48.5 + .25·(−100) = −73.5     28.5
     *   2  103 3  cut: 0                 −100                  −100                           3
     *   3  111 1  112                    −54                   −54 + .25·(−81) = −74.25       36.75
     *   4  112 2  113                    −53.5                 −53.5 + .25·(−110) = −81       31
     *   5  113 3  cut: 0                 −110                  −110                           3
     * </pre>
     */
    @Test
    void aFiniteHorizonTaskEndsAtTheTimeLimit() {
        ScriptEnv[] script = {new ScriptEnv(1, 3, End.TRUNCATE, 1, 2, 3), new ScriptEnv(101, 3, End.TRUNCATE, 1, 2, 3)};
        try (VectorEnv envs = VectorEnv.of(2, 1, i -> script[i])) {
            check(run(envs, 6, false), new double[][] {
                    {1, 1.375, 2.375}, {2, 1.5, 3.5}, {3, 0, 3}, {11, -5.5, 5.5}, {12, -6, 6}, {13, -10, 3},
                    {101, -67.375, 33.625}, {102, -73.5, 28.5}, {103, -100, 3}, {111, -74.25, 36.75}, {112, -81, 31},
                    {113, -110, 3}});
        }
    }

    /**
     * Two chunked envs (horizon 4, 3 actions executed per chunk), 4 chunk steps, γ = λ = 0.5 per chunk step. A chunk's
     * reward is the sum of the rewards of the env steps it executed; an episode end inside a chunk ends the chunk.
     * <pre>
     * env 0: inner episodes of 5 steps cut by the time limit, step rewards 1..5; V = t + 10·episode (inner t)
     *   chunk  V   steps run   r           V(s')                     δ                  A                      R
     *   0      0   t 0,1,2     1+2+3 = 6   3                         6 + 1.5 − 0 = 7.5  7.5 + .25·8.5 = 9.625  9.625
     *   1      3   t 3,4       4+5 = 9     5 (final obs, truncated)  9 + 2.5 − 3 = 8.5  8.5                    11.5
     *   2      10  t 0,1,2     6           13                        6 + 6.5 − 10 = 2.5 2.5 + .25·3.5 = 3.375  13.375
     *   3      13  t 3,4       9           15 (final obs, truncated) 9 + 7.5 − 13 = 3.5 3.5                    16.5
     * env 1: inner episodes of 4 steps that terminate, step rewards 1, 1, 1, 10; V = 1 + t + 10·episode
     *   0      1   t 0,1,2     3           4                         3 + 2 − 1 = 4      4 + .25·6 = 5.5        6.5
     *   1      4   t 3         10          terminal                  10 − 4 = 6         6                      10
     *   2      11  t 0,1,2     3           14                        3 + 7 − 11 = −1    −1 + .25·(−4) = −2     9
     *   3      14  t 3         10          terminal                  10 − 14 = −4       −4                     10
     * </pre>
     */
    @Test
    void chunkedEnvOneGaeStepPerChunk() {
        ScriptEnv[] inner = {new ScriptEnv(0, 5, End.TRUNCATE, 1, 2, 3, 4, 5),
                new ScriptEnv(1, 4, End.TERMINATE, 1, 1, 1, 10)};
        try (VectorEnv envs = VectorEnv.of(2, 1, i -> new ActionChunking(inner[i], 4, 3))) {
            assertEquals(4, envs.actDim(), "the policy emits the whole chunk (horizon 4 x act_dim 1)");
            List<Map<Float, Double>> got = run(envs, 4);
            check(got, new double[][] {
                    {0, 9.625, 9.625}, {3, 8.5, 11.5}, {10, 3.375, 13.375}, {13, 3.5, 16.5},
                    {1, 5.5, 6.5}, {4, 6, 10}, {11, -2, 9}, {14, -4, 10}});
            assertEquals(10, inner[0].steps, "env steps executed in env 0: 3 + 2 + 3 + 2");
            assertEquals(8, inner[1].steps, "env steps executed in env 1: 3 + 1 + 3 + 1");
        }
    }
}
