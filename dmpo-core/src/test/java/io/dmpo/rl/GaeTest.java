package io.dmpo.rl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class GaeTest {
    /**
     * Hand-worked, γ = λ = 0.5, env 0 (time-major, two envs interleaved):
     * <pre>
     *  t  r  V    V(s')  flags        δ                     A
     *  3  1  2    2      -            1 + .5·2 − 2 = 0      0
     *  2  2  0    4      truncated    2 + .5·4 − 0 = 4      4            (bootstraps, recursion stops)
     *  1  0  1    7      terminated   0 + 0 − 1 = −1        −1           (no bootstrap)
     *  0  1  .5   1      -            1 + .5·1 − .5 = 1     1 + .25·(−1) = .75
     * </pre>
     * Env 1 has no episode end: δ_t = r + .5·V' − V with A_t = δ_t + .25·A_{t+1}.
     */
    @Test
    void handWorkedTerminatedAndTruncated() {
        int T = 4, n = 2;
        float[] r = new float[T * n], v = new float[T * n], nv = new float[T * n];
        boolean[] term = new boolean[T * n], done = new boolean[T * n];
        float[][] env0 = {{1, .5f, 1}, {0, 1, 7}, {2, 0, 4}, {1, 2, 2}};
        float[][] env1 = {{1, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}}; // r=1, V=0 everywhere: δ = 1
        for (int t = 0; t < T; t++) {
            r[t * n] = env0[t][0]; v[t * n] = env0[t][1]; nv[t * n] = env0[t][2];
            r[t * n + 1] = env1[t][0]; v[t * n + 1] = env1[t][1]; nv[t * n + 1] = env1[t][2];
        }
        term[n] = true; done[n] = true;               // env 0, t = 1
        done[2 * n] = true;                           // env 0, t = 2 (truncated)
        Gae.Result g = Gae.compute(T, n, r, v, nv, term, done, 0.5, 0.5);
        // env 1: A3 = 1, A2 = 1.25, A1 = 1.3125, A0 = 1.328125
        float[] wantAdv = {.75f, 1.328125f, -1, 1.3125f, 4, 1.25f, 0, 1};
        float[] wantRet = {1.25f, 1.328125f, 0, 1.3125f, 4, 1.25f, 2, 1};
        assertArrayEquals(wantAdv, g.advantages(), 1e-6f);
        assertArrayEquals(wantRet, g.returns(), 1e-6f);
    }

    @Test
    void lambdaOneIsDiscountedReturnMinusValue() {
        int T = 3;
        float[] r = {1, 2, 3}, v = {0.1f, 0.2f, 0.3f}, nv = {0.2f, 0.3f, 10};
        boolean[] term = new boolean[T], done = new boolean[T];
        Gae.Result g = Gae.compute(T, 1, r, v, nv, term, done, 0.9, 1.0);
        double r0 = 1 + 0.9 * 2 + 0.81 * 3 + 0.729 * 10;
        assertArrayEquals(new float[] {(float) (r0 - 0.1)}, new float[] {g.advantages()[0]}, 1e-5f);
        assertArrayEquals(new float[] {(float) r0}, new float[] {g.returns()[0]}, 1e-5f);
    }
}
