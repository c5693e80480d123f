package io.dmpo.eval;

import io.dmpo.nn.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RepresentationTest {
    @Test
    void effectiveRankAndDistancesOfKnownSpreads() {
        SplittableRandom rng = new SplittableRandom(1);
        Tensor line = Tensor.zeros(200, 4), cross = Tensor.zeros(4, 4), same = Tensor.zeros(10, 4);
        for (int i = 0; i < 200; i++) {
            double s = rng.nextGaussian();
            for (int k = 0; k < 4; k++) line.set(i, k, (float) (s * (k + 1)));
        }
        // rows ±e1, ±e2: singular values (√2, √2, 0, 0) → effective rank 2; distances 2, 2 and four of √2
        float[][] rows = {{1, 0, 0, 0}, {-1, 0, 0, 0}, {0, 1, 0, 0}, {0, -1, 0, 0}};
        for (int i = 0; i < 4; i++) for (int k = 0; k < 4; k++) cross.set(i, k, rows[i][k]);
        for (int i = 0; i < 10; i++) for (int k = 0; k < 4; k++) same.set(i, k, 3f);
        assertEquals(1.0, Representation.effectiveRank(line), 1e-4);
        assertEquals(2.0, Representation.effectiveRank(cross), 1e-9);
        assertEquals(0.0, Representation.effectiveRank(same));
        assertEquals((2 + 2 + 4 * Math.sqrt(2)) / 6, Representation.meanPairwiseDistance(cross), 1e-6);
        assertEquals(0.0, Representation.meanPairwiseDistance(same));
    }

    @Test
    void jacobiEigenvaluesOfASymmetricMatrix() {
        double[][] m = {{4, 1, 0}, {1, 3, 1}, {0, 1, 2}};
        double[] e = Representation.symmetricEigenvalues(m);
        Arrays.sort(e);
        // characteristic polynomial (λ−3)(λ² − 6λ + 6): roots 3 − √3, 3, 3 + √3
        assertArrayEquals(new double[] {3 - Math.sqrt(3), 3, 3 + Math.sqrt(3)}, e, 1e-10);
    }
}
