package io.dmpo.nn;

import java.util.List;

/**
 * Time t ([B, 1], fed raw in [0, 1]) to [sin(t·f_k), cos(t·f_k)], f_k = exp(−k·ln(10000)/(half − 1)), k < half = dim/2
 * (docs/algorithms.md, "MeanFlow loss"). Tangent: d sin(tf) = f·cos(tf)·dt, d cos(tf) = −f·sin(tf)·dt.
 */
public final class SinusoidalEmbedding implements Layer {
    public final int dim;
    private final double[] freq;

    public SinusoidalEmbedding(int dim) {
        if (dim < 4 || dim % 2 != 0) throw new IllegalArgumentException("sinusoidal embedding needs an even dim >= 4, got " + dim);
        this.dim = dim;
        int half = dim / 2;
        this.freq = new double[half];
        for (int k = 0; k < half; k++) freq[k] = Math.exp(-k * Math.log(10000.0) / (half - 1));
    }

    @Override
    public Dual forward(Dual x) {
        Tensor.requireCols(x.value(), 1, "time embedding input");
        int b = x.rows(), half = dim / 2;
        Dual y = Dual.allocate(b, dim, x.hasTangent());
        for (int i = 0; i < b; i++) {
            double t = x.value().get(i, 0);
            double dt = x.hasTangent() ? x.tangent().get(i, 0) : 0;
            for (int k = 0; k < half; k++) {
                double s = Math.sin(t * freq[k]), c = Math.cos(t * freq[k]);
                y.value().set(i, k, (float) s);
                y.value().set(i, half + k, (float) c);
                if (x.hasTangent()) {
                    y.tangent().set(i, k, (float) (freq[k] * c * dt));
                    y.tangent().set(i, half + k, (float) (-freq[k] * s * dt));
                }
            }
        }
        return y;
    }

    @Override
    public Trace trace(Dual x) {
        Dual y = forward(x);
        Tensor t = x.value();
        int half = dim / 2;
        return Trace.of(y, gy -> {
            Tensor gt = Tensor.zeros(t.rows, 1);
            for (int i = 0; i < t.rows; i++) {
                double ti = t.get(i, 0), g = 0;
                for (int k = 0; k < half; k++) {
                    g += gy.get(i, k) * freq[k] * Math.cos(ti * freq[k]) - gy.get(i, half + k) * freq[k] * Math.sin(ti * freq[k]);
                }
                gt.set(i, 0, (float) g);
            }
            return gt;
        });
    }

    @Override
    public List<Param> params() {
        return List.of();
    }
}
