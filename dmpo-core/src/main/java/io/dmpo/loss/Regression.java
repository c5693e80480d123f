package io.dmpo.loss;

import io.dmpo.nn.Tensor;

/** Mean squared error over batch and elements, and its gradient, for objectives with a fixed target. */
final class Regression {
    private Regression() {}

    /** mean over all elements of (u − target)²; {@code target} is under stop-gradient. */
    static double meanSquared(Tensor u, Tensor target) {
        double s = 0;
        for (int i = 0; i < u.rows; i++) {
            for (int j = 0; j < u.cols; j++) {
                double diff = u.get(i, j) - target.get(i, j);
                s += diff * diff;
            }
        }
        return s / ((double) u.rows * u.cols);
    }

    /** d/du of {@link #meanSquared}: 2(u − target)/(B·D). */
    static Tensor gradient(Tensor u, Tensor target) {
        Tensor g = Tensor.zeros(u.rows, u.cols);
        float scale = (float) (2.0 / ((double) u.rows * u.cols));
        for (int i = 0; i < u.rows; i++) for (int j = 0; j < u.cols; j++) g.set(i, j, scale * (u.get(i, j) - target.get(i, j)));
        return g;
    }
}
