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
        // split in whole vectors: every element takes the same vector (or final scalar-tail) path as on one thread
        if (Parallel.serial((long) n * COST)) { // batch 1: no lambda
            Kernels.pointwise(fn, xv.data, xv.offset, yv.data, yv.offset, deriv, 0, n);
        } else {
            Parallel.forRange(n, Kernels.LANES, (long) n * COST, (from, to) ->
                    Kernels.pointwise(fn, xv.data, xv.offset + from, yv.data, yv.offset + from, deriv, from, to - from));
        }
        if (x.hasTangent()) {
            Tensor xt = x.tangent(), yt = y.tangent();
            multiply(deriv, xt.data, xt.offset, yt.data, yt.offset, n);
        }
        return y;
    }

    /** Multiply-add equivalents per element of the nonlinearity and its derivative (an erf or two exps): the split's gauge. */
    private static final int COST = 16;

    private static void multiply(float[] deriv, float[] g, int go, float[] out, int oo, int n) {
        if (Parallel.serial(n)) {
            Kernels.multiply(deriv, 0, g, go, out, oo, n, false);
        } else {
            Parallel.forRange(n, Kernels.LANES, n, (from, to) ->
                    Kernels.multiply(deriv, from, g, go + from, out, oo + from, to - from, false));
        }
    }

    @Override
    public Trace trace(Dual x) {
        float[] deriv = new float[x.value().size()];
        Dual y = apply(x, deriv);
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, y.rows(), y.cols(), fn + " output gradient");
            Tensor gx = Tensor.zeros(gy.rows, gy.cols);
            multiply(deriv, gy.data, gy.offset, gx.data, 0, gx.size());
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return List.of();
    }
}
