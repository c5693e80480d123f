package io.dmpo.nn;

import java.util.List;

/**
 * Sees each batch's storage with a different row width: [R, C] → [R·C/cols, cols] (e.g. one image row of
 * {@code N·D} channels-last features → N token rows of D). No data moves; the gradient is reshaped back (copied).
 */
public final class Reshape implements Layer {
    public final int cols;

    public Reshape(int cols) {
        this.cols = cols;
    }

    private Tensor view(Tensor t) {
        if ((long) t.rows * t.cols % cols != 0) throw new IllegalArgumentException("cannot reshape " + t + " to rows of " + cols);
        return t.reshape((int) ((long) t.rows * t.cols / cols), cols);
    }

    @Override
    public Dual forward(Dual x) {
        return new Dual(view(x.value()), x.hasTangent() ? view(x.tangent()) : null);
    }

    @Override
    public Trace trace(Dual x) {
        Dual y = forward(x);
        int rows = x.rows(), inCols = x.cols();
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, y.rows(), cols, "reshape output gradient");
            return gy.copy().reshape(rows, inCols);
        });
    }

    @Override
    public List<Param> params() {
        return List.of();
    }
}
