package io.dmpo.nn;

import java.util.List;

/**
 * PyTorch's {@code nn.LayerNorm(dim)} over each row: x̂ = (x − μ)/√(σ² + eps) with the biased variance, y = x̂·w + b
 * (weight and bias {@code [dim]}, eps 1e−5 by default).
 *
 * <p>Tangent: dx̂ = rstd·(dx − mean(dx) − x̂·mean(dx·x̂)), dy = w·dx̂. Backward: with g = w·gy,
 * gx = rstd·(g − mean(g) − x̂·mean(g·x̂)); dw += Σ gy·x̂, db += Σ gy.
 */
public final class LayerNorm implements Layer {
    public static final float DEFAULT_EPS = 1e-5f;

    public final int dim;
    public final float eps;
    public final Param weight;
    public final Param bias;

    public LayerNorm(String name, int dim) {
        this(name, dim, DEFAULT_EPS);
    }

    public LayerNorm(String name, int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
        this.weight = new Param(name + ".weight", dim).initOnes();
        this.bias = new Param(name + ".bias", dim).initZeros();
        java.util.Arrays.fill(weight.value, 1f);
    }

    @Override
    public Dual forward(Dual x) {
        return apply(x, null, null);
    }

    private Dual apply(Dual x, float[] xhatOut, float[] rstdOut) {
        Tensor.requireCols(x.value(), dim, weight.name + " input");
        int rows = x.rows();
        Dual y = Dual.allocate(rows, dim, x.hasTangent());
        boolean tan = x.hasTangent();
        float[] xhat = xhatOut != null ? xhatOut : (tan ? new float[rows * dim] : null);
        float[] rstd = rstdOut != null ? rstdOut : (tan ? new float[rows] : null);
        Tensor xv = x.value(), yv = y.value();
        Kernels.layerNormRows(rows, dim, eps, xv.data, xv.offset, weight.value, bias.value, yv.data, yv.offset, xhat, rstd);
        if (tan) {
            Tensor xt = x.tangent(), yt = y.tangent();
            project(rows, xhat, rstd, xt.data, xt.offset, null, yt.data, yt.offset);
            float[] w = weight.value;
            for (int r = 0; r < rows; r++) {
                int o = yt.offset + r * dim;
                for (int j = 0; j < dim; j++) yt.data[o + j] *= w[j];
            }
        }
        return y;
    }

    /**
     * out = rstd·(g − mean(g) − x̂·mean(g·x̂)) per row, where g = src (times {@code scale[j]} when non-null): the
     * Jacobian of x ↦ x̂, which is symmetric, so it serves both tangent and backward.
     */
    private void project(int rows, float[] xhat, float[] rstd, float[] src, int so, float[] scale, float[] out, int oo) {
        float[] g = new float[dim];
        for (int r = 0; r < rows; r++) {
            int s = so + r * dim, h = r * dim, o = oo + r * dim;
            double sg = 0, sgh = 0;
            for (int j = 0; j < dim; j++) {
                float gj = scale != null ? src[s + j] * scale[j] : src[s + j];
                g[j] = gj;
                sg += gj;
                sgh += gj * xhat[h + j];
            }
            float mg = (float) (sg / dim), mgh = (float) (sgh / dim), rs = rstd[r];
            for (int j = 0; j < dim; j++) out[o + j] = rs * (g[j] - mg - xhat[h + j] * mgh);
        }
    }

    @Override
    public Trace trace(Dual x) {
        int rows = x.rows();
        float[] xhat = new float[rows * dim];
        float[] rstd = new float[rows];
        Dual y = apply(x, xhat, rstd);
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, rows, dim, weight.name + " output gradient");
            for (int r = 0; r < rows; r++) {
                int o = gy.offset + r * dim, h = r * dim;
                for (int j = 0; j < dim; j++) {
                    float g = gy.data[o + j];
                    weight.grad[j] += g * xhat[h + j];
                    bias.grad[j] += g;
                }
            }
            Tensor gx = Tensor.zeros(rows, dim);
            project(rows, xhat, rstd, gy.data, gy.offset, weight.value, gx.data, 0);
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }
}
