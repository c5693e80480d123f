package io.dmpo.env;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class WrappersTest {
    @Test
    void clipAction() {
        assertArrayEquals(new double[] {1, -1, 0, 0.5},
                ClipAction.clip(new double[] {5, -5, Double.NaN, 0.5}, new double[] {-1, -1, -1, -1}, new double[] {1, 1, 1, 1}));
        Env e = new ClipAction(new ToyEnv());
        e.reset(0);
        assertEquals(1.0, e.step(new double[] {7}).reward());
        assertThrows(IllegalArgumentException.class, () -> e.step(new double[] {1, 2}));
    }

    /** Seeded property: running statistics equal the batch mean / population variance of what was seen. */
    @Test
    void runningMeanStdMatchesBatchStatistics() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int n = 1 + r.nextInt(200), d = 1 + r.nextInt(5);
            RunningMeanStd s = new RunningMeanStd(d);
            double[][] xs = new double[n][d];
            for (double[] x : xs) {
                for (int j = 0; j < d; j++) x[j] = r.nextGaussian() * (j + 1) + j;
                s.update(x);
            }
            for (int j = 0; j < d; j++) {
                double m = 0, v = 0;
                for (double[] x : xs) m += x[j];
                m /= n;
                for (double[] x : xs) v += (x[j] - m) * (x[j] - m);
                v /= n;
                assertEquals(m, s.mean()[j], 1e-3 * (1 + Math.abs(m)));
                assertEquals(v, s.var()[j], 1e-3 * (1 + v) + 1e-4 * (j + 1) * (j + 1) * 10);
            }
        }
    }

    @Test
    void normalizeObservationAndFreeze() {
        NormalizeObservation e = new NormalizeObservation(new ToyEnv());
        e.reset(1);
        for (int i = 0; i < 5; i++) e.step(new double[] {0.5});
        double c = e.stats().count();
        e.training(false);
        double[] o = e.step(new double[] {0.1}).obs();
        assertEquals(c, e.stats().count());
        double[] m = e.stats().mean(), v = e.stats().var();
        assertEquals((6 - m[1]) / Math.sqrt(v[1] + NormalizeObservation.EPS), o[1], 1e-12);
    }

    @Test
    void actionChunkingSumsRewardsAndStopsAtEpisodeEnd() {
        ActionChunking e = new ActionChunking(new ToyEnv(), 4, 3);
        assertEquals(4, e.actDim());
        assertEquals(4, e.actionLow().length);
        e.reset(0);
        StepResult r = e.step(new double[] {1, 0.5, 0.25, 9});
        assertEquals(1.75, r.reward(), 1e-12, "first 3 of 4 executed");
        assertEquals(3, e.lastExecuted());
        assertEquals(3.0, r.obs()[1]);
        r = e.step(new double[] {1, 1, 1, 1}); // pos 1.75 + 1 + 1 >= 3 terminates after 2
        assertTrue(r.terminated());
        assertEquals(2, e.lastExecuted());
        assertEquals(2.0, r.reward(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> e.step(new double[5]));
        assertThrows(IllegalArgumentException.class, () -> new ActionChunking(new ToyEnv(), 2, 3));
    }

    @Test
    void vectorEnvAutoResetAndEpisodeStatistics() {
        for (int threads : new int[] {1, 2, 3}) {
            try (VectorEnv v = VectorEnv.of(5, threads, i -> new ToyEnv())) {
                double[][] obs = v.reset(100);
                assertEquals(5, obs.length);
                double[][] a = new double[5][1];
                for (int i = 0; i < 5; i++) a[i][0] = 0.1 * (i + 1); // env 4: 0.5/step -> terminates at step 6
                VectorEnv.Step last = null;
                for (int s = 0; s < 10; s++) last = v.step(a);
                assertTrue(last.truncated()[0]);
                assertNotNull(last.finalObs()[0]);
                assertEquals(10.0, last.finalObs()[0][1]);
                assertEquals(0.0, last.obs()[0][1], "auto-reset observation");
                List<VectorEnv.Episode> eps = v.drainEpisodes();
                VectorEnv.Episode e4 = eps.stream().filter(e -> e.env() == 4).findFirst().orElseThrow();
                assertTrue(e4.terminated());
                assertEquals(e4.length() * 0.5, e4.ret(), 1e-12);
                assertTrue(e4.length() == 6 || e4.length() == 5, "length " + e4.length());
                assertEquals(threads, v.threads());
                assertTrue(v.drainEpisodes().isEmpty());
            }
        }
    }

    @Test
    void vectorEnvSurvivesAFailingEnv() {
        ToyEnv bad = new ToyEnv();
        bad.failAt = 2;
        try (VectorEnv v = new VectorEnv(List.of(new ToyEnv(), bad), 2)) {
            v.reset(0);
            for (int s = 0; s < 5; s++) v.step(new double[][] {{0}, {0}});
            assertEquals(1, v.instabilities());
            assertTrue(v.lastInstability().contains("boom"));
        }
        assertTrue(bad.closed);
    }

    @Test
    void vectorEnvPropagatesErrorsThatAreNotInstabilities() {
        ToyEnv bad = new ToyEnv();
        bad.failAt = 2;
        bad.unstable = false;
        for (int threads : new int[] {1, 2}) {
            bad.closed = false;
            try (VectorEnv v = new VectorEnv(List.of(new ToyEnv(), bad), threads)) {
                v.reset(0);
                RuntimeException e = assertThrows(RuntimeException.class, () -> {
                    for (int s = 0; s < 5; s++) v.step(new double[][] {{0}, {0}});
                });
                assertEquals("bad action", e.getMessage(), "threads " + threads);
                assertEquals(0, v.instabilities());
            }
        }
    }

    @Test
    void vectorEnvSeedsAreDeterministic() {
        try (VectorEnv a = VectorEnv.of(3, 2, i -> new ToyEnv()); VectorEnv b = VectorEnv.of(3, 1, i -> new ToyEnv())) {
            double[][] oa = a.reset(9), ob = b.reset(9);
            for (int i = 0; i < 3; i++) assertArrayEquals(oa[i], ob[i]);
            assertNotEquals(oa[0][0], oa[1][0]);
        }
    }
}
