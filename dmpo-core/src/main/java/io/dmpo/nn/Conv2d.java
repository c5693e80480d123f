package io.dmpo.nn;

import java.util.List;

/**
 * 2-D convolution without padding, PyTorch's {@code nn.Conv2d(in, out, k, stride)}: weight {@code [out, in, k, k]},
 * bias {@code [out]}. One image per input row, flattened CHW ({@code in·h·w} floats).
 *
 * <p>Output rows are one image each, flattened CHW ({@code out·oh·ow}, PyTorch's layout) or, with
 * {@code channelsLast}, HWC ({@code oh·ow} positions of {@code out} channels): the token layout of
 * {@code x.flatten(2).transpose(1, 2)}, so that {@code [B, oh·ow·out]} reshaped to {@code [B·oh·ow, out]} is the token
 * matrix.
 *
 * <p>Computed as im2col + GEMM: {@code cols[p, (c, ki, kj)] = x[c, oy·s + ki, ox·s + kj]} for output position
 * {@code p = (oy, ox)}, then {@code y = W·colsᵀ} (CHW; the patch matrix is built transposed, {@code patch × positions},
 * so the product streams rows) or {@code y = cols·Wᵀ} (HWC). The map is linear in x, so the
 * tangent is the same product without bias. Backward recomputes cols from the kept input (no patch matrix is stored).
 */
public final class Conv2d implements Layer {
    public final int inChannels, outChannels, kernel, stride, inH, inW, outH, outW;
    public final boolean channelsLast;
    /** Input transform fused into the patch gather: the convolution sees inScale·x + inShift (identity by default). */
    public final float inScale, inShift;
    public final Param weight;
    public final Param bias;
    private final int patch; // in·k·k
    private final int positions; // outH·outW
    private final ThreadLocal<float[]> scratch;

    public Conv2d(String name, int inChannels, int outChannels, int kernel, int stride, int inH, int inW,
                  boolean channelsLast) {
        this(name, inChannels, outChannels, kernel, stride, inH, inW, channelsLast, 1f, 0f);
    }

    /**
     * With a fused elementwise input transform: y = conv(inScale·x + inShift) (e.g. pixels: 1/255, −0.5), applied while
     * gathering patches, so the transformed image is never materialized. Tangent: conv(inScale·dx) without bias;
     * the input gradient is scaled by inScale.
     */
    public Conv2d(String name, int inChannels, int outChannels, int kernel, int stride, int inH, int inW,
                  boolean channelsLast, float inScale, float inShift) {
        if (kernel > inH || kernel > inW || stride < 1) {
            throw new IllegalArgumentException(name + ": kernel " + kernel + " stride " + stride + " on " + inH + "x" + inW);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.inH = inH;
        this.inW = inW;
        this.outH = (inH - kernel) / stride + 1;
        this.outW = (inW - kernel) / stride + 1;
        this.channelsLast = channelsLast;
        this.inScale = inScale;
        this.inShift = inShift;
        this.weight = new Param(name + ".weight", outChannels, inChannels, kernel, kernel);
        this.bias = new Param(name + ".bias", outChannels).initUniformFanIn((long) inChannels * kernel * kernel);
        this.patch = inChannels * kernel * kernel;
        this.positions = outH * outW;
        int scratchSize = positions * patch;
        this.scratch = ThreadLocal.withInitial(() -> new float[scratchSize]);
    }

    public int inputSize() {
        return inChannels * inH * inW;
    }

    public int outputSize() {
        return outChannels * positions;
    }

    /** Output positions (oh·ow): the token count of a channels-last output. */
    public int positions() {
        return positions;
    }

    /** cols[p - from, :] for output positions p in [from, to) of the image at src[so ...]. */
    private void im2col(float[] src, int so, int from, int to, float[] cols, int co, float a, float b) {
        int k = kernel, hw = inH * inW, kk = k * k;
        int[] base = new int[POSITION_BLOCK];
        // blocks of neighbouring positions: their patches share input cache lines, so each line is read once per block
        for (int p0 = from; p0 < to; p0 += POSITION_BLOCK) {
            int pb = Math.min(POSITION_BLOCK, to - p0);
            for (int q = 0; q < pb; q++) {
                int p = p0 + q;
                base[q] = so + (p / outW) * stride * inW + (p % outW) * stride;
            }
            int dst0 = co + (p0 - from) * patch;
            for (int c = 0; c < inChannels; c++) {
                for (int ki = 0; ki < k; ki++) {
                    int off = c * hw + ki * inW, col = c * kk + ki * k;
                    for (int q = 0; q < pb; q++) {
                        int s = base[q] + off, d = dst0 + q * patch + col;
                        for (int kj = 0; kj < k; kj++) cols[d + kj] = src[s + kj];
                    }
                }
            }
        }
        if (a != 1f || b != 0f) affine(cols, co, (to - from) * patch, a, b);
    }

    private static final int POSITION_BLOCK = 8;

    private static void affine(float[] v, int off, int n, float a, float b) {
        for (int i = off, end = off + n; i < end; i++) v[i] = v[i] * a + b;
    }

    /**
     * colsT[(c, ki, kj) - from, p] = x[c, oy·s + ki, ox·s + kj] for patch rows [from, to): the transposed patch matrix
     * ({@code patch × positions}), so that the CHW product W·colsT streams contiguous rows.
     */
    private void im2colT(float[] src, int so, int from, int to, float[] colsT, int co, float a, float b) {
        int k = kernel, kk = k * k, hw = inH * inW;
        for (int r = from; r < to; r++) {
            int c = r / kk, ki = (r % kk) / k, kj = r % k;
            int dst = co + (r - from) * positions;
            int base = so + c * hw + ki * inW + kj;
            for (int oy = 0; oy < outH; oy++) {
                int row = base + oy * stride * inW;
                if (stride == 1) {
                    System.arraycopy(src, row, colsT, dst, outW);
                    dst += outW;
                } else {
                    for (int ox = 0; ox < outW; ox++) colsT[dst++] = src[row + ox * stride];
                }
            }
        }
        if (a != 1f || b != 0f) affine(colsT, co, (to - from) * positions, a, b);
    }

    /** dx[image] += scatter of dcolsT (inverse of {@link #im2colT}). */
    private void col2imT(float[] dcolsT, float[] dx, int xo) {
        int k = kernel, kk = k * k, hw = inH * inW;
        for (int r = 0; r < patch; r++) {
            int c = r / kk, ki = (r % kk) / k, kj = r % k;
            int src = r * positions;
            int base = xo + c * hw + ki * inW + kj;
            for (int oy = 0; oy < outH; oy++) {
                int row = base + oy * stride * inW;
                for (int ox = 0; ox < outW; ox++) dx[row + ox * stride] += dcolsT[src++];
            }
        }
    }

    /** dx[image] += scatter of dcols (inverse of {@link #im2col}); positions [0, positions). */
    private void col2im(float[] dcols, float[] dx, int xo) {
        int k = kernel, hw = inH * inW;
        for (int p = 0; p < positions; p++) {
            int oy = p / outW, ox = p % outW;
            int src = p * patch;
            int base = xo + oy * stride * inW + ox * stride;
            for (int c = 0; c < inChannels; c++) {
                int cb = base + c * hw;
                for (int ki = 0; ki < k; ki++) {
                    int row = cb + ki * inW;
                    for (int kj = 0; kj < k; kj++) dx[row + kj] += dcols[src++];
                }
            }
        }
    }

    /** One image: y[image] = conv(x[image]) (+ bias when {@code withBias}). {@code parallel}: split the GEMM. */
    private void image(float[] x, int xo, float[] y, int yo, boolean withBias, boolean parallel) {
        float[] cols = scratch.get();
        float a = inScale, b = withBias ? inShift : 0f; // the tangent image gets the linear part only
        long copyWork = (long) positions * patch * 4;
        if (channelsLast) {
            if (parallel) Parallel.forRange(positions, 1, copyWork, (from, to) -> im2col(x, xo, from, to, cols, from * patch, a, b));
            else im2col(x, xo, 0, positions, cols, 0, a, b);
        } else {
            if (parallel) Parallel.forRange(patch, 1, copyWork, (from, to) -> im2colT(x, xo, from, to, cols, from * positions, a, b));
            else im2colT(x, xo, 0, patch, cols, 0, a, b);
        }
        if (channelsLast) {
            if (parallel) Kernels.gemmNT(positions, outChannels, patch, cols, 0, patch, weight.value, 0, patch, y, yo, outChannels, false);
            else Kernels.gemmNTSerial(positions, outChannels, patch, cols, 0, patch, weight.value, 0, patch, y, yo, outChannels, false);
            if (withBias) Kernels.addRowVector(y, yo, positions, outChannels, bias.value, 0);
        } else {
            // y[o, p] = Σ_r W[o, r]·colsT[r, p]
            if (parallel) Kernels.gemmNN(outChannels, positions, patch, weight.value, 0, patch, cols, 0, positions, y, yo, positions, false);
            else Kernels.gemmNNSerial(outChannels, positions, patch, weight.value, 0, patch, cols, 0, positions, y, yo, positions, false);
            if (withBias) {
                for (int o = 0; o < outChannels; o++) {
                    float bo = bias.value[o];
                    int r = yo + o * positions;
                    for (int p = 0; p < positions; p++) y[r + p] += bo;
                }
            }
        }
    }

    @Override
    public Dual forward(Dual x) {
        Tensor.requireCols(x.value(), inputSize(), weight.name + " input");
        int b = x.rows(), out = outputSize(), in = inputSize();
        Dual y = Dual.allocate(b, out, x.hasTangent());
        int jobs = x.hasTangent() ? 2 * b : b;
        Tensor xv = x.value(), yv = y.value();
        Tensor xt = x.tangent(), yt = y.tangent();
        if (jobs == 1) {
            image(xv.data, xv.offset, yv.data, yv.offset, true, true);
        } else {
            // whole images per thread: each output element is still computed by one fixed instruction sequence
            Parallel.forRange(jobs, 1, (long) jobs * positions * patch * outChannels, (from, to) -> {
                for (int j = from; j < to; j++) {
                    if (j < b) image(xv.data, xv.offset + j * in, yv.data, yv.offset + j * out, true, false);
                    else image(xt.data, xt.offset + (j - b) * in, yt.data, yt.offset + (j - b) * out, false, false);
                }
            });
        }
        return y;
    }

    @Override
    public Trace trace(Dual x) {
        Dual y = forward(x);
        Tensor input = x.value();
        return Trace.of(y, gy -> {
            int b = input.rows, in = inputSize(), out = outputSize();
            Tensor.requireShape(gy, b, out, weight.name + " output gradient");
            Tensor gx = Tensor.zeros(b, in);
            float[] cols = new float[positions * patch];
            float[] dcols = new float[positions * patch];
            for (int i = 0; i < b; i++) {
                int g = gy.offset + i * out;
                int xo = input.offset + i * in;
                if (channelsLast) {
                    im2col(input.data, xo, 0, positions, cols, 0, inScale, inShift);
                    // gy[p, o]: dW = gyᵀ·cols, db = Σ_p gy, dcols = gy·W
                    Kernels.gemmTN(outChannels, patch, positions, gy.data, g, outChannels, cols, 0, patch, weight.grad, 0, patch, true);
                    Kernels.sumRows(gy.data, g, positions, outChannels, bias.grad, 0);
                    Kernels.gemmNN(positions, patch, outChannels, gy.data, g, outChannels, weight.value, 0, patch, dcols, 0, patch, false);
                    col2im(dcols, gx.data, i * in);
                } else {
                    // gy[o, p], colsT[r, p]: dW = gy·colsTᵀ, db = Σ_p gy, dcolsT = Wᵀ·gy
                    im2colT(input.data, xo, 0, patch, cols, 0, inScale, inShift);
                    Kernels.gemmNT(outChannels, patch, positions, gy.data, g, positions, cols, 0, positions, weight.grad, 0, patch, true);
                    for (int o = 0; o < outChannels; o++) {
                        float s = 0f;
                        int r = g + o * positions;
                        for (int p = 0; p < positions; p++) s += gy.data[r + p];
                        bias.grad[o] += s;
                    }
                    Kernels.gemmTN(patch, positions, outChannels, weight.value, 0, patch, gy.data, g, positions, dcols, 0, positions, false);
                    col2imT(dcols, gx.data, i * in);
                }
            }
            if (inScale != 1f) affine(gx.data, 0, gx.size(), inScale, 0f);
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }
}
