package io.dmpo.nn;

import java.util.List;

/**
 * Learned position embedding: parameter {@code [1, tokens, dim]} added to every sample's {@code tokens} rows of a
 * {@code [B·tokens, dim]} input. Tangent passes through; backward sums the gradient over samples.
 */
public final class PositionEmbedding implements Layer {
    public final int tokens;
    public final int dim;
    public final Param pos;

    public PositionEmbedding(String name, int tokens, int dim) {
        this.tokens = tokens;
        this.dim = dim;
        this.pos = new Param(name, 1, tokens, dim).initNormal(0.02); // the spec: randn(1, N, d)·0.02
    }

    private int samples(Tensor x) {
        Tensor.requireCols(x, dim, pos.name + " input");
        if (x.rows % tokens != 0) throw new IllegalArgumentException(pos.name + ": " + x.rows + " rows is not a multiple of " + tokens);
        return x.rows / tokens;
    }

    @Override
    public Dual forward(Dual x) {
        int b = samples(x.value()), n = tokens * dim;
        Dual y = Dual.allocate(x.rows(), dim, x.hasTangent());
        Tensor xv = x.value(), yv = y.value();
        for (int s = 0; s < b; s++) {
            int xo = xv.offset + s * n, yo = yv.offset + s * n;
            for (int i = 0; i < n; i++) yv.data[yo + i] = xv.data[xo + i] + pos.value[i];
        }
        if (x.hasTangent()) y.tangent().copyFrom(x.tangent());
        return y;
    }

    @Override
    public Trace trace(Dual x) {
        Dual y = forward(x);
        int b = samples(x.value()), n = tokens * dim;
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, y.rows(), dim, pos.name + " output gradient");
            for (int s = 0; s < b; s++) {
                int go = gy.offset + s * n;
                for (int i = 0; i < n; i++) pos.grad[i] += gy.data[go + i];
            }
            return gy.copy();
        });
    }

    @Override
    public List<Param> params() {
        return List.of(pos);
    }
}
