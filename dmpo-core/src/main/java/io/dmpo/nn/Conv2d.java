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
 * {@code p = (oy, ox)}, then {@code y = cols·Wᵀ} by the broadcast kernel (transposed per image for CHW). The map is
 * linear in x, so the tangent is the same product without bias. A trace keeps the patch matrices for backward, which
 * works on groups of images at once (see {@link #backward}); the first layer on pixels skips its input gradient
 * ({@link #traceFromData}).
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
    private final ThreadLocal<float[]> scratch; // one image's patch matrix
    private final ThreadLocal<float[]> tokens; // one image's output, token-major, before a CHW transpose

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
        int scratchSize = positions * patch, tokenSize = positions * outChannels;
        this.scratch = ThreadLocal.withInitial(() -> new float[scratchSize]);
        this.tokens = ThreadLocal.withInitial(() -> new float[tokenSize]);
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

    /** dx[image] += scatter of dcols (inverse of {@link #im2col}); positions [0, positions). */
    private void col2im(float[] dcols, int dcolsOff, float[] dx, int xo) {
        int k = kernel, hw = inH * inW, kk = k * k;
        // blocks of channels: the block's dx planes (16 × h·w floats) stay in L1 while every position adds into
        // them, instead of each position touching a cache line in every one of the image's channel planes
        for (int c0 = 0; c0 < inChannels; c0 += CHANNEL_BLOCK) {
            int c1 = Math.min(inChannels, c0 + CHANNEL_BLOCK);
            for (int p = 0; p < positions; p++) {
                int oy = p / outW, ox = p % outW;
                int src = dcolsOff + p * patch + c0 * kk;
                int base = xo + oy * stride * inW + ox * stride;
                for (int c = c0; c < c1; c++) {
                    int cb = base + c * hw;
                    for (int ki = 0; ki < k; ki++) {
                        int row = cb + ki * inW;
                        for (int kj = 0; kj < k; kj++) dx[row + kj] += dcols[src++];
                    }
                }
            }
        }
    }

    private static final int CHANNEL_BLOCK = 16;

    /**
     * One image: im2col into cols[co ..] (token-major, [positions × patch]), then y = cols·Wᵀ (+ bias when
     * {@code withBias}) by the broadcast kernel, written channels-last or, for CHW, transposed from a per-thread
     * [positions × out] block. Either way each output is the fma chain over the patch in order, then + bias: the same
     * value as W·colsᵀ. {@code parallel}: split the gather and the GEMM (batch 1).
     */
    private void image(float[] x, int xo, float[] cols, int co, float[] y, int yo, boolean withBias, boolean parallel, float[] wt) {
        float a = inScale, b = withBias ? inShift : 0f; // the tangent image gets the linear part only
        long copyWork = (long) positions * patch * 4;
        if (parallel) Parallel.forRange(positions, 1, copyWork, (from, to) -> im2col(x, xo, from, to, cols, co + from * patch, a, b));
        else im2col(x, xo, 0, positions, cols, co, a, b);
        float[] dst = channelsLast ? y : tokens.get();
        int dOff = channelsLast ? yo : 0;
        if (parallel) Kernels.gemmNN(positions, outChannels, patch, cols, co, patch, wt, 0, outChannels, dst, dOff, outChannels, false);
        else Kernels.gemmNNSerial(positions, outChannels, patch, cols, co, patch, wt, 0, outChannels, dst, dOff, outChannels, false);
        if (channelsLast) {
            if (withBias && parallel) Kernels.addRowVector(y, yo, positions, outChannels, bias.value, 0);
            else if (withBias) { // already on one of the forward's threads
                for (int p = 0; p < positions; p++) {
                    for (int o = 0; o < outChannels; o++) y[yo + p * outChannels + o] += bias.value[o];
                }
            }
        } else {
            transposeTokens(dst, y, yo, withBias ? bias.value : null);
        }
    }

    /** y[o, p] = tok[p, o] (+ bias[o]) for one image, in 16×16 tiles. */
    private void transposeTokens(float[] tok, float[] y, int yo, float[] bias) {
        for (int p0 = 0; p0 < positions; p0 += TILE) {
            int p1 = Math.min(positions, p0 + TILE);
            for (int o0 = 0; o0 < outChannels; o0 += TILE) {
                int o1 = Math.min(outChannels, o0 + TILE);
                for (int o = o0; o < o1; o++) {
                    int dst = yo + o * positions;
                    float bo = bias != null ? bias[o] : 0f;
                    if (bias != null) for (int p = p0; p < p1; p++) y[dst + p] = tok[p * outChannels + o] + bo;
                    else for (int p = p0; p < p1; p++) y[dst + p] = tok[p * outChannels + o];
                }
            }
        }
    }

    private static final int TILE = 16;

    @Override
    public Dual forward(Dual x) {
        return forward(x, null);
    }

    /** The forward; with {@code keptCols} non-null the value images' patch matrices are kept there for backward. */
    private Dual forward(Dual x, float[] keptCols) {
        Tensor.requireCols(x.value(), inputSize(), weight.name + " input");
        int b = x.rows(), out = outputSize(), in = inputSize(), imagePatch = positions * patch;
        Dual y = Dual.allocate(b, out, x.hasTangent());
        int jobs = x.hasTangent() ? 2 * b : b;
        Tensor xv = x.value(), yv = y.value();
        Tensor xt = x.tangent(), yt = y.tangent();
        float[] wt = transposedWeight();
        if (jobs == 1) {
            image(xv.data, xv.offset, keptCols != null ? keptCols : scratch.get(), 0, yv.data, yv.offset, true, true, wt);
        } else {
            // whole images per thread: each output element is still computed by one fixed instruction sequence
            Parallel.forRange(jobs, 1, (long) jobs * positions * patch * outChannels, (from, to) -> {
                for (int j = from; j < to; j++) {
                    if (j < b) {
                        float[] cols = keptCols != null ? keptCols : scratch.get();
                        image(xv.data, xv.offset + j * in, cols, keptCols != null ? j * imagePatch : 0, yv.data, yv.offset + j * out, true, false, wt);
                    } else {
                        image(xt.data, xt.offset + (j - b) * in, scratch.get(), 0, yt.data, yt.offset + (j - b) * out, false, false, wt);
                    }
                }
            });
        }
        return y;
    }

    /** Wᵀ [patch × out] (a copy per call: the weights change between steps). */
    private float[] transposedWeight() {
        float[] wt = new float[patch * outChannels];
        Kernels.transpose(outChannels, patch, weight.value, 0, patch, wt, 0);
        return wt;
    }

    @Override
    public Trace trace(Dual x) {
        return trace(x, true);
    }

    /** The first layer of an image encoder: its input gradient (the gradient w.r.t. pixels) is never computed. */
    @Override
    public Trace traceFromData(Dual x) {
        return trace(x, false);
    }

    private Trace trace(Dual x, boolean inputGradient) {
        Tensor input = x.value();
        long keep = (long) input.rows * positions * patch;
        float[] kept = keep <= keepLimit ? colsBuffer.take((int) keep) : null;
        Dual y = forward(x, kept);
        return Trace.of(y, gy -> {
            Tensor.requireShape(gy, input.rows, outputSize(), weight.name + " output gradient");
            Tensor gx = backward(input, gy, inputGradient, kept);
            if (kept != null) colsBuffer.give(kept);
            return gx;
        });
    }

    /**
     * A trace keeps its images' patch matrices (B·positions·patch floats: 71 MB for conv2 at batch 128) so that
     * backward need not gather them again; above this many floats (256 MB) backward re-gathers them group by group.
     * (Package-visible so that a test can take the re-gathering path on a small layer.)
     */
    static volatile long keepLimit = 64L << 20;

    /** A trace's patch matrices, reused by the next trace. */
    private final SpareBuffer colsBuffer = new SpareBuffer();

    /** Output rows per group of images in {@link #backward}: the group's patch matrix stays ~10 MB or less. */
    private static final int GROUP_ROWS = 2048;

    /**
     * Backward a group of images at a time, from the kept patch matrices (or, above {@link #keepLimit}, the group's
     * cols gathered again): dW += gyᵀ·cols over the group's positions (channels-last: one product over all of them;
     * CHW: one per image, gy[o, p]·cols), db += Σ gy, and, when the input gradient is wanted, dcols = gy·W scattered
     * back per image (col2im). dW is an fma chain over the positions in image order, independent of the group size.
     */
    private Tensor backward(Tensor input, Tensor gy, boolean inputGradient, float[] kept) {
        int b = input.rows, in = inputSize(), out = outputSize(), imagePatch = positions * patch;
        int group = Math.max(1, Math.min(b, GROUP_ROWS / positions));
        Tensor gx = inputGradient ? Tensor.zeros(b, in) : null;
        float[] cols = kept != null ? kept : new float[group * imagePatch];
        float[] dcols = inputGradient ? new float[group * imagePatch] : null;
        for (int g0 = 0; g0 < b; g0 += group) {
            int first = g0, count = Math.min(group, b - g0), rows = count * positions;
            int colsOff = kept != null ? first * imagePatch : 0;
            if (kept == null) {
                Parallel.forRange(count, 1, (long) count * imagePatch * 4, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        im2col(input.data, input.offset + (first + i) * in, 0, positions, cols, i * imagePatch, inScale, inShift);
                    }
                });
            }
            if (channelsLast) { // gy rows are the group's tokens: one product over all of them
                int g = gy.offset + first * out;
                Kernels.gemmTN(outChannels, patch, rows, gy.data, g, outChannels, cols, colsOff, patch, weight.grad, 0, patch, true);
                Kernels.sumRows(gy.data, g, rows, outChannels, bias.grad, 0);
                if (inputGradient) Kernels.gemmNN(rows, patch, outChannels, gy.data, g, outChannels, weight.value, 0, patch, dcols, 0, patch, false);
            } else { // gy[o, p] per image: dW += gy·cols, dcols = gyᵀ·W (the same chains, no transpose of gy)
                for (int i = 0; i < count; i++) {
                    int g = gy.offset + (first + i) * out, c = colsOff + i * imagePatch;
                    Kernels.gemmNN(outChannels, patch, positions, gy.data, g, positions, cols, c, patch, weight.grad, 0, patch, true);
                    for (int o = 0; o < outChannels; o++) {
                        float sum = 0f;
                        for (int p = 0, r = g + o * positions; p < positions; p++) sum += gy.data[r + p];
                        bias.grad[o] += sum;
                    }
                    if (inputGradient) Kernels.gemmTN(positions, patch, outChannels, gy.data, g, positions, weight.value, 0, patch, dcols, i * imagePatch, patch, false);
                }
            }
            if (!inputGradient) continue;
            Parallel.forRange(count, 1, (long) count * imagePatch, (from, to) -> {
                for (int i = from; i < to; i++) col2im(dcols, i * imagePatch, gx.data, (first + i) * in);
            });
        }
        if (inputGradient && inScale != 1f) affine(gx.data, 0, gx.size(), inScale, 0f);
        return gx;
    }

    @Override
    public List<Param> params() {
        return List.of(weight, bias);
    }
}
