package io.dmpo.nn;

import java.util.List;

/**
 * SpatialEmb of docs/algorithms.md, "Networks" (the PyTorch spec's {@code SpatialEmb}, plus its dropout): token features f [N, d] of a
 * sample are read per channel (fᵀ, [d, N]), each channel row is extended with the proprioception (N + prop values) and
 * mapped by {@code fc = Linear(N + prop, out)} → LayerNorm(out) → ReLU, giving y [d, out]; the result is the weighted
 * channel sum z[o] = Σ_c y[c, o]·W[c, o] with a learned {@code weight [1, d, out]}, then dropout.
 *
 * <p>Input row: [token features (N·d, token-major as [N, d] row-major), proprio (prop)]. Output row: out floats.
 * Parameters {@code name.fc, name.ln, name.weight}.
 */
public final class SpatialEmb implements Layer {
    public final int tokens, dim, prop, out;
    public final Linear fc;
    public final LayerNorm ln;
    public final Param weight;
    public final Dropout dropout;
    private final Sequential perChannel;

    public SpatialEmb(String name, int tokens, int dim, int prop, int out, float dropoutP, long dropoutSeed) {
        this.tokens = tokens;
        this.dim = dim;
        this.prop = prop;
        this.out = out;
        this.fc = new Linear(name + ".fc", tokens + prop, out);
        this.ln = new LayerNorm(name + ".ln", out);
        this.weight = new Param(name + ".weight", 1, dim, out).initNormal(0.02); // the spec: randn(1, d, out)·0.02
        this.dropout = new Dropout(dropoutP, dropoutSeed);
        this.perChannel = new Sequential(fc, ln, new Activation(Pointwise.RELU));
    }

    public int inputSize() {
        return tokens * dim + prop;
    }

    /** Per sample: rows c of [d, N + prop] = [f[:, c], prop]. */
    private void gather(Tensor x, Tensor f) {
        int w = tokens + prop, in = inputSize();
        for (int s = 0; s < x.rows; s++) {
            int xo = x.offset + s * in, fo = f.offset + s * dim * w;
            for (int i = 0; i < tokens; i++) {
                int xr = xo + i * dim;
                for (int c = 0; c < dim; c++) f.data[fo + c * w + i] = x.data[xr + c];
            }
            for (int c = 0; c < dim; c++) System.arraycopy(x.data, xo + tokens * dim, f.data, fo + c * w + tokens, prop);
        }
    }

    /** z[s, :] = Σ_c y[s·d + c, :] ⊙ W[c, :]. */
    private void channelSum(Tensor y, Tensor z) {
        for (int s = 0; s < z.rows; s++) {
            int zo = z.offset + s * out;
            for (int c = 0; c < dim; c++) {
                Kernels.multiply(y.data, y.offset + (s * dim + c) * out, weight.value, c * out, z.data, zo, out, c > 0);
            }
        }
    }

    private Dual embed(Dual x, Sequential.Trace[] keep) {
        Tensor.requireCols(x.value(), inputSize(), "spatial embedding input");
        int b = x.rows(), w = tokens + prop;
        Dual f = Dual.allocate(b * dim, w, x.hasTangent());
        gather(x.value(), f.value());
        if (x.hasTangent()) gather(x.tangent(), f.tangent());
        return perChannel(f, b, keep);
    }

    /** From the gathered per-channel rows f [B·d, N + prop]. */
    private Dual perChannel(Dual f, int b, Sequential.Trace[] keep) {
        Dual y;
        if (keep != null) {
            keep[0] = perChannel.trace(f);
            y = keep[0].output();
        } else {
            y = perChannel.forward(f);
        }
        Dual z = Dual.allocate(b, out, y.hasTangent());
        channelSum(y.value(), z.value());
        if (y.hasTangent()) channelSum(y.tangent(), z.tangent());
        return z;
    }

    /**
     * Inference from rows already in the per-channel layout (row s·d + c = [f[:, c], prop] of sample s, [B·d, N + prop]),
     * the same values as {@link #forward} of the token-major row.
     */
    Tensor forwardByChannel(Tensor f) {
        Tensor.requireShape(f, f.rows / dim * dim, tokens + prop, "spatial embedding channel rows");
        return perChannel(Dual.of(f), f.rows / dim, null).value();
    }

    /** Inference: dropout is the identity. */
    @Override
    public Dual forward(Dual x) {
        return embed(x, null);
    }

    @Override
    public Trace trace(Dual x) {
        Sequential.Trace[] keep = new Sequential.Trace[1];
        Dual z = embed(x, keep);
        Trace pc = keep[0];
        Tensor y = pc.output().value();
        Trace drop = dropout.trace(z);
        int b = x.rows(), w = tokens + prop, in = inputSize();
        return Trace.of(drop.output(), gOut -> {
            Tensor gz = drop.backward(gOut);
            Tensor gy = Tensor.zeros(b * dim, out);
            for (int s = 0; s < b; s++) {
                int zo = gz.offset + s * out;
                for (int c = 0; c < dim; c++) {
                    int r = (s * dim + c) * out;
                    Kernels.multiply(gz.data, zo, weight.value, c * out, gy.data, r, out, false);
                    Kernels.multiply(gz.data, zo, y.data, y.offset + r, weight.grad, c * out, out, true);
                }
            }
            Tensor gf = pc.backward(gy);
            Tensor gx = Tensor.zeros(b, in);
            for (int s = 0; s < b; s++) {
                int xo = s * in, fo = gf.offset + s * dim * w;
                for (int i = 0; i < tokens; i++) {
                    for (int c = 0; c < dim; c++) gx.data[xo + i * dim + c] = gf.data[fo + c * w + i];
                }
                for (int c = 0; c < dim; c++) {
                    for (int j = 0; j < prop; j++) gx.data[xo + tokens * dim + j] += gf.data[fo + c * w + tokens + j];
                }
            }
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new java.util.ArrayList<>(fc.params());
        ps.addAll(ln.params());
        ps.add(weight);
        return ps;
    }
}
