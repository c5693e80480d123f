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
        bySample(x.rows, (from, to) -> {
            for (int s = from; s < to; s++) {
                int xo = x.offset + s * in, fo = f.offset + s * dim * w;
                // 16-token blocks: the block's columns of f stay in cache while each token row is read once
                for (int i0 = 0; i0 < tokens; i0 += 16) {
                    int i1 = Math.min(tokens, i0 + 16);
                    for (int c = 0; c < dim; c++) {
                        int fr = fo + c * w;
                        for (int i = i0; i < i1; i++) f.data[fr + i] = x.data[xo + i * dim + c];
                    }
                }
                for (int c = 0; c < dim; c++) System.arraycopy(x.data, xo + tokens * dim, f.data, fo + c * w + tokens, prop);
            }
        });
    }

    /** Samples [0, b) split over the engine's threads (each sample's rows are its own), serial for small batches. */
    private void bySample(int b, Parallel.RangeBody body) {
        long work = (long) b * dim * (tokens + prop) * 2;
        if (Parallel.serial(work)) body.run(0, b);
        else Parallel.forRange(b, 1, work, body);
    }

    /** z[s, :] = Σ_c y[s·d + c, :] ⊙ W[c, :]. */
    private void channelSum(Tensor y, Tensor z) {
        bySample(z.rows, (from, to) -> {
            for (int s = from; s < to; s++) {
                int zo = z.offset + s * out;
                for (int c = 0; c < dim; c++) {
                    Kernels.multiply(y.data, y.offset + (s * dim + c) * out, weight.value, c * out, z.data, zo, out, c > 0);
                }
            }
        });
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
            // split over channels: weight.grad[c] sums over the samples in order on one thread
            Parallel.RangeBody channels = (from, to) -> {
                for (int c = from; c < to; c++) {
                    for (int s = 0; s < b; s++) {
                        int zo = gz.offset + s * out, r = (s * dim + c) * out;
                        Kernels.multiply(gz.data, zo, weight.value, c * out, gy.data, r, out, false);
                        Kernels.multiply(gz.data, zo, y.data, y.offset + r, weight.grad, c * out, out, true);
                    }
                }
            };
            long work = (long) b * dim * out * 2;
            if (Parallel.serial(work)) channels.run(0, dim);
            else Parallel.forRange(dim, 1, work, channels);
            Tensor gf = pc.backward(gy);
            Tensor gx = Tensor.zeros(b, in);
            bySample(b, (from, to) -> {
                for (int s = from; s < to; s++) {
                    int xo = s * in, fo = gf.offset + s * dim * w;
                    for (int i0 = 0; i0 < tokens; i0 += 16) {
                        int i1 = Math.min(tokens, i0 + 16);
                        for (int c = 0; c < dim; c++) {
                            int fr = fo + c * w;
                            for (int i = i0; i < i1; i++) gx.data[xo + i * dim + c] = gf.data[fr + i];
                        }
                    }
                    for (int c = 0; c < dim; c++) {
                        for (int j = 0; j < prop; j++) gx.data[xo + tokens * dim + j] += gf.data[fo + c * w + tokens + j];
                    }
                }
            });
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
