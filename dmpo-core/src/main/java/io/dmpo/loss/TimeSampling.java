package io.dmpo.loss;

import io.dmpo.nn.Init;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Tensor;

import java.util.SplittableRandom;

/** Logit-normal flow times t = sigmoid(μ + σ·n), n ~ N(0, 1) (docs/algorithms.md, "Stage 1 losses"), for the objectives with r = t rows. */
final class TimeSampling {
    private TimeSampling() {}

    static void check(double mu, double sigma) {
        if (!Double.isFinite(mu)) throw new IllegalArgumentException("time_mu must be finite, got " + mu);
        if (!(sigma > 0 && Double.isFinite(sigma))) throw new IllegalArgumentException("time_sigma must be > 0, got " + sigma);
    }

    /** A [B, 1] column of logit-normal times. */
    static Tensor logitNormal(SplittableRandom rng, int batch, double mu, double sigma) {
        float[] t = new float[batch];
        for (int i = 0; i < batch; i++) t[i] = (float) (1 / (1 + Math.exp(-(mu + sigma * Init.gaussian(rng)))));
        return Ops.column(t);
    }
}
