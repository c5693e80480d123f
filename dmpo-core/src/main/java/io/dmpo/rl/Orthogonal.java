package io.dmpo.rl;

import io.dmpo.nn.Init;
import io.dmpo.nn.Linear;
import io.dmpo.nn.Sequential;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Orthogonal initialization (Saxe et al.), the usual PPO choice: each Linear weight gets orthonormal rows (or columns,
 * whichever are fewer) scaled by a gain, biases are zero. Hidden layers use gain √2, the policy head 0.01 (initial
 * actions near the mean of the range) and the value head 1.
 */
public final class Orthogonal {
    private Orthogonal() {}

    /** Initializes every Linear of {@code net} in order; the last one gets {@code lastGain}, the others {@code gain}. */
    public static void apply(Sequential net, double gain, double lastGain, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Linear> linears = net.layers().stream().filter(l -> l instanceof Linear).map(l -> (Linear) l).toList();
        for (int i = 0; i < linears.size(); i++) {
            Linear l = linears.get(i);
            fill(l.weight.value, l.out, l.in, i == linears.size() - 1 ? lastGain : gain, rng);
            java.util.Arrays.fill(l.bias.value, 0f);
        }
    }

    /** Fills a row-major {@code rows × cols} matrix with a scaled (semi-)orthogonal matrix. */
    static void fill(float[] w, int rows, int cols, double gain, SplittableRandom rng) {
        boolean byRows = rows <= cols; // orthonormalize the shorter side's vectors
        int count = byRows ? rows : cols, len = byRows ? cols : rows;
        double[][] v = new double[count][len];
        for (double[] row : v) for (int j = 0; j < len; j++) row[j] = Init.gaussian(rng);
        for (int a = 0; a < count; a++) { // modified Gram–Schmidt, twice for stability
            for (int pass = 0; pass < 2; pass++) {
                for (int b = 0; b < a; b++) {
                    double dot = 0;
                    for (int j = 0; j < len; j++) dot += v[a][j] * v[b][j];
                    for (int j = 0; j < len; j++) v[a][j] -= dot * v[b][j];
                }
            }
            double norm = 0;
            for (int j = 0; j < len; j++) norm += v[a][j] * v[a][j];
            norm = Math.sqrt(norm);
            for (int j = 0; j < len; j++) v[a][j] /= norm;
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) w[r * cols + c] = (float) (gain * (byRows ? v[r][c] : v[c][r]));
        }
    }
}
