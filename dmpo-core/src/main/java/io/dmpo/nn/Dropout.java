package io.dmpo.nn;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Inverted dropout with probability p: at inference (the default, and always in {@link #forward}) the identity; in
 * training mode {@link #trace} keeps each element with probability 1 − p and scales kept ones by 1/(1 − p) (PyTorch's
 * {@code nn.Dropout}). The tangent and the gradient use the same mask as the value.
 *
 * <p>The mask comes from a {@link SplittableRandom}: either passed to {@link #trace(Dual, SplittableRandom)} or, for
 * {@link #trace(Dual)}, split off the generator held by the layer (seeded at construction or by {@link #reseed}), so a
 * run is reproducible from its seed. Mask element i of row r is drawn in row-major order from one split generator.
 */
public final class Dropout implements Layer {
    public final float p;
    private volatile boolean training;
    private SplittableRandom rng;

    public Dropout(float p, long seed) {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
        this.rng = new SplittableRandom(seed);
    }

    /** Training mode: {@link #trace} draws masks. Inference mode (default): identity everywhere. */
    public Dropout training(boolean on) {
        this.training = on;
        return this;
    }

    public boolean isTraining() {
        return training;
    }

    public synchronized void reseed(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    private synchronized SplittableRandom next() {
        return rng.split();
    }

    /** Inference: identity (the input is returned as is). */
    @Override
    public Dual forward(Dual x) {
        return x;
    }

    @Override
    public Trace trace(Dual x) {
        return trace(x, training && p > 0f ? next() : null);
    }

    /** With a generator: applies a fresh mask drawn from {@code random} (null = identity). */
    public Trace trace(Dual x, SplittableRandom random) {
        if (random == null || p == 0f) {
            return Trace.of(x, gy -> {
                Tensor.requireShape(gy, x.rows(), x.cols(), "dropout output gradient");
                return gy.copy();
            });
        }
        int n = x.value().size();
        float keep = 1f / (1f - p);
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) mask[i] = random.nextDouble() >= p ? keep : 0f;
        Dual y = Dual.allocate(x.rows(), x.cols(), x.hasTangent());
        Kernels.multiply(mask, 0, x.value().data, x.value().offset, y.value().data, y.value().offset, n, false);
        if (x.hasTangent()) {
            Kernels.multiply(mask, 0, x.tangent().data, x.tangent().offset, y.tangent().data, y.tangent().offset, n, false);
        }
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, x.rows(), x.cols(), "dropout output gradient");
            Tensor gx = Tensor.zeros(gy.rows, gy.cols);
            Kernels.multiply(mask, 0, gy.data, gy.offset, gx.data, 0, n, false);
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return List.of();
    }
}
