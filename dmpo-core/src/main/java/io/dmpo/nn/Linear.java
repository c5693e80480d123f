package io.dmpo.nn;

import java.util.List;

/** y = x·Wᵀ + b with PyTorch's layout: weight [out, in], bias [out]. Tangent: dy = dx·Wᵀ. */
public final class Linear implements Layer {
    public final int in;
    public final int out;
    public final Param weight;
    public final Param bias;

    public Linear(String name, int in, int out) {
        this.in = in;
        this.out = out;
        this.weight = new Param(name + ".weight", out, in);
        this.bias = new Param(name + ".bias", out).initUniformFanIn(in);
    }

    @Override
    public Dual forward(Dual x) {
        Tensor.requireCols(x.value(), in, weight.name + " input");
        int b = x.rows();
        Dual y = Dual.allocate(b, out, x.hasTangent());
        // the kernel is chosen by the batch size alone, so a value is bitwise the same with or without a tangent
        // (and narrow outputs, fewer than one vector wide, stay dot products: the broadcast kernel would run masked)
        boolean fewRows = b < TRANSPOSE_ROWS || out < Kernels.LANES;
        if (x.stacked()) {
            // value and tangent rows in one product: the weights are read once (batch-1 JVP costs ~ one forward)
            multiply(2 * b, x.value(), y.value(), fewRows);
        } else {
            multiply(b, x.value(), y.value(), fewRows);
            if (x.hasTangent()) multiply(b, x.tangent(), y.tangent(), fewRows);
        }
        Kernels.addRowVector(y.value().data, y.value().offset, b, out, bias.value, 0);
        return y;
    }

    /**
     * Below this many rows each output is a dot product over a weight row (the weights stream once: batch-1 inference
     * and its tangent); from here on the weights are transposed per call (cost ~ in·out copies, a few percent of the
     * product) so the batch runs through the faster broadcast kernel. Both kernels compute each row independently of
     * the others, so results per row are identical for every batch size on either side of the threshold; across it
     * they may differ in the last bit.
     */
    static final int TRANSPOSE_ROWS = 8;

    private void multiply(int rows, Tensor x, Tensor y, boolean fewRows) {
        if (fewRows) {
            Kernels.gemmNT(rows, out, in, x.data, x.offset, in, weight.value, 0, in, y.data, y.offset, out, false);
        } else {
            float[] wt = new float[in * out];
            Kernels.transpose(out, in, weight.value, 0, in, wt, 0);
            Kernels.gemmNN(rows, out, in, x.data, x.offset, in, wt, 0, out, y.data, y.offset, out, false);
        }
    }

    @Override
    public Trace trace(Dual x) {
        Dual y = forward(x);
        Tensor input = x.value();
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, input.rows, out, weight.name + " output gradient");
            int b = input.rows;
            Kernels.gemmTN(out, in, b, gy.data, gy.offset, out, input.data, input.offset, in, weight.grad, 0, in, true);
            Kernels.sumRows(gy.data, gy.offset, b, out, bias.grad, 0);
            Tensor gx = Tensor.zeros(b, in);
            Kernels.gemmNN(b, in, out, gy.data, gy.offset, out, weight.value, 0, in, gx.data, 0, in, false);
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }
}
