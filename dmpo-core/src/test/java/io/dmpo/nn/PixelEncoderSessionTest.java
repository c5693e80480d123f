package io.dmpo.nn;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The allocation-free batch-1 pixel encoder equals the layer path's value-only forward, for 1 and 2 threads. */
class PixelEncoderSessionTest {
    @Test
    void sessionEqualsForwardBitForBit() {
        PixelEncoder enc = new PixelEncoder("cond", 3, 96, 96, 9, 0);
        Init.apply(enc.params(), 3);
        SplittableRandom rng = new SplittableRandom(5);
        int prevThreads = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                try (Team team = new Team(threads)) {
                    PixelEncoderSession s = new PixelEncoderSession(enc, team);
                    for (int rep = 0; rep < 3; rep++) { // repeated calls reuse the session's run and buffers
                        float[] obs = new float[s.inputSize()];
                        for (int i = 0; i < obs.length; i++) obs[i] = i < obs.length - 9 ? rng.nextInt(256) : (float) rng.nextGaussian();
                        float[] expected = enc.forward(Dual.of(new Tensor(obs.clone(), 0, 1, obs.length))).value().toArray();
                        float[] actual = java.util.Arrays.copyOf(s.run(obs), s.outputSize()); // a buffer with slack after the output
                        assertArrayEquals(expected, actual, threads + " thread(s), call " + rep);
                    }
                }
            }
        } finally {
            Parallel.setThreads(prevThreads);
        }
    }
}
