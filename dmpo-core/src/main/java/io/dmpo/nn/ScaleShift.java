package io.dmpo.nn;

import java.util.List;

/** Elementwise y = a·x + b with constants a, b (e.g. pixels: x/255 − 0.5). Tangent a·dx; backward a·gy. */
public final class ScaleShift implements Layer {
    public final float scale;
    public final float shift;

    public ScaleShift(float scale, float shift) {
        this.scale = scale;
        this.shift = shift;
    }

    @Override
    public Dual forward(Dual x) {
        int n = x.value().size();
        Dual y = Dual.allocate(x.rows(), x.cols(), x.hasTangent());
        float[] xs = x.value().data, ys = y.value().data;
        int xo = x.value().offset;
        float a = scale, b = shift;
        for (int i = 0; i < n; i++) ys[i] = xs[xo + i] * a + b; // y is fresh storage at offset 0
        if (x.hasTangent()) {
            Tensor xt = x.tangent(), yt = y.tangent();
            for (int i = 0; i < n; i++) yt.data[yt.offset + i] = xt.data[xt.offset + i] * scale;
        }
        return y;
    }

    @Override
    public Trace trace(Dual x) {
        Dual y = forward(x);
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, y.rows(), y.cols(), "scale-shift output gradient");
            Tensor gx = Tensor.zeros(gy.rows, gy.cols);
            for (int i = 0; i < gx.size(); i++) gx.data[i] = gy.data[gy.offset + i] * scale;
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return List.of();
    }
}
