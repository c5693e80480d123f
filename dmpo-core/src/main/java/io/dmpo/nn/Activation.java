package io.dmpo.nn;

import java.util.List;

/** An elementwise nonlinearity y = f(x); tangent dy = f'(x)·dx; backward gx = f'(x)·gy. */
public final class Activation implements Layer {
    public final Pointwise fn;

    public Activation(Pointwise fn) {
        this.fn = fn;
    }

    public static Activation mish() {
        return new Activation(Pointwise.MISH);
    }

    @Override
    public Dual forward(Dual x) {
        return apply(x, null);
    }

    private Dual apply(Dual x, float[] derivOut) {
        int n = x.value().size();
        Dual y = Dual.allocate(x.rows(), x.cols(), x.hasTangent());
        float[] deriv = derivOut != null ? derivOut : (x.hasTangent() ? new float[n] : null);
        Tensor xv = x.value(), yv = y.value();
        Kernels.pointwise(fn, xv.data, xv.offset, yv.data, yv.offset, deriv, 0, n);
        if (x.hasTangent()) {
            Tensor xt = x.tangent(), yt = y.tangent();
            Kernels.multiply(deriv, 0, xt.data, xt.offset, yt.data, yt.offset, n, false);
        }
        return y;
    }

    @Override
    public Trace trace(Dual x) {
        float[] deriv = new float[x.value().size()];
        Dual y = apply(x, deriv);
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, y.rows(), y.cols(), fn + " output gradient");
            Tensor gx = Tensor.zeros(gy.rows, gy.cols);
            Kernels.multiply(deriv, 0, gy.data, gy.offset, gx.data, 0, gx.size(), false);
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return List.of();
    }
}
