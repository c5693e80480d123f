package io.dmpo.nn;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The value-only forward of a {@link VisionTransformer} (inference without tangent), fused and kept in a
 * feature-major layout: every activation is a [features × tokens] matrix whose columns are tokens (padded to a whole
 * number of vectors). Then every product is weight·activation with the weight in its own PyTorch [out, in] layout as
 * the broadcast operand, so no weight is ever transposed or copied, and everything but attention's key/value mixing
 * is column-local, so threads split the tokens with only three hand-offs per image:
 * <ol>
 *   <li>conv1 (split by output channels): W₁·colsT₁ + b, ReLU, then the patch rows of conv2 for those channels;</li>
 *   <li>conv2 + bias + position, ln1, qkv (split by tokens);</li>
 *   <li>attention for the thread's query tokens (all heads), proj + residual, ln2, fc1 + GELU, fc2 + residual, ln.</li>
 * </ol>
 * Patch matrices are gathered as contiguous runs: the image is split once into stride-(s₁·s₂) phases and conv1's
 * output positions are ordered by their phase modulo s₂ within each output row, so that each (patch row, output row)
 * of either convolution reads one contiguous run.
 *
 * <p>Same mathematics as the layer-by-layer forward (same parameters, same reduction order over each convolution's
 * patch (c, ki, kj)); products here are plain fma chains instead of dot products, so values may differ from
 * {@link Layer#forward} with a tangent in the last bits. Deterministic: every output element is computed by one thread
 * with one instruction sequence whatever the split, and samples are independent of the batch.
 *
 * <p>Holds no weight copies: weights are read from {@link Param#value} on every call. Scratch is per calling thread.
 */
final class VitInference {
    private final VisionTransformer vit;
    private final int c, h, w, d, t, tp, heads, hd, mlp;
    private final int k1, s1, oh1, ow1, p1p, patch1;
    private final int k2, s2, oh2, ow2, patch2;
    private final int ph, phaseLen; // input phases (s1·s2) and their length
    private final int[] runStart, runLen; // conv1 output positions of each phase mod s2 within an output row
    private final float scale;
    private final ThreadLocal<Work> work;

    private final class Work {
        // every buffer a kernel reads comes from the one allocator, with a vector of slack (a run shorter than a
        // vector is copied by one masked load whose full width may reach past the last run)
        final float[] phases = Kernels.buffer(c * h * ph * phaseLen);
        final float[] cols1 = Kernels.buffer(patch1 * p1p);
        final float[] x1 = Kernels.buffer(d * p1p);
        final float[] cols2 = Kernels.buffer(patch2 * tp);
        final float[] x0 = Kernels.buffer(d * tp);
        final float[] hn = Kernels.buffer(d * tp);
        final float[] qkv = Kernels.buffer(3 * d * tp);
        final float[] sc = Kernels.buffer(t * tp);
        final float[] att = Kernels.buffer(d * tp);
        final float[] r1 = Kernels.buffer(d * tp);
        final float[] f = Kernels.buffer(mlp * tp);
    }

    /** Null when the configuration or the kernels do not allow the fused path. */
    static VitInference of(VisionTransformer vit) {
        if (!Kernels.VECTOR || vit.conv1.channelsLast || !vit.conv2.channelsLast) return null;
        return new VitInference(vit);
    }

    private VitInference(VisionTransformer vit) {
        this.vit = vit;
        Conv2d a = vit.conv1, b = vit.conv2;
        MultiHeadSelfAttention attn = vit.block.attn;
        int vl = VectorKernels.VL;
        this.c = a.inChannels;
        this.h = a.inH;
        this.w = a.inW;
        this.d = vit.dim;
        this.t = vit.tokens;
        this.tp = (t + vl - 1) / vl * vl;
        this.heads = attn.heads;
        this.hd = attn.headDim;
        this.mlp = vit.block.fc1.out;
        this.k1 = a.kernel;
        this.s1 = a.stride;
        this.oh1 = a.outH;
        this.ow1 = a.outW;
        this.p1p = (oh1 * ow1 + vl - 1) / vl * vl;
        this.patch1 = c * k1 * k1;
        this.k2 = b.kernel;
        this.s2 = b.stride;
        this.oh2 = b.outH;
        this.ow2 = b.outW;
        this.patch2 = d * k2 * k2;
        this.ph = s1 * s2;
        this.phaseLen = (w + ph - 1) / ph;
        this.runStart = new int[s2];
        this.runLen = new int[s2];
        for (int p = 0, at = 0; p < s2; p++) {
            runStart[p] = at;
            runLen[p] = Math.max(0, (ow1 - p + s2 - 1) / s2);
            at += runLen[p];
        }
        this.scale = (float) (1.0 / Math.sqrt(hd));
        this.work = ThreadLocal.withInitial(Work::new);
    }

    /** Token rows [B·tokens, dim] of the images x [B, C·H·W]. */
    Tensor forward(Tensor x) {
        Work ws = work.get();
        Tensor y = Tensor.zeros(x.rows * t, d);
        for (int s = 0; s < x.rows; s++) image(ws, x.data, x.offset + s * x.cols, y.data, y.offset + s * t * d, 0);
        return y;
    }

    /**
     * The same token features per channel: [B·dim, tokens + extra] with row s·dim + c = feature c of every token of
     * image s (the last {@code extra} columns of each row left 0 for the caller), SpatialEmb's layout without a
     * transpose.
     */
    Tensor forwardByChannel(Tensor x, int extra) {
        Work ws = work.get();
        int ld = t + extra;
        Tensor y = Tensor.zeros(x.rows * d, ld);
        for (int s = 0; s < x.rows; s++) image(ws, x.data, x.offset + s * x.cols, y.data, y.offset + s * d * ld, ld);
        return y;
    }

    /** ld = 0: y token-major [tokens, dim]; otherwise channel-major [dim, ld] (tokens in the first columns). */
    private void image(Work ws, float[] x, int xo, float[] y, int yo, int ld) {
        int threads = Parallel.threads();
        int[] chunks = chunkCounts(threads);
        ChunkBody body = (phase, chunk) -> chunk(ws, x, xo, y, yo, ld, chunks, phase, chunk);
        Run run = new Run(chunks);
        if (threads > 1) {
            for (int i = 1; i < threads; i++) Parallel.spawn(() -> run.participate(body));
        }
        run.participate(body);
        run.finish();
    }

    /** Chunks per phase for {@code threads} threads. */
    private int[] chunkCounts(int threads) {
        int vl = VectorKernels.VL;
        int splitChunks = Math.min(c * h, 2 * threads), gatherChunks = Math.min(c * k1, threads);
        int convChunks = Math.min((d + 5) / 6, threads), tokenChunks = Math.min(tp / vl, threads);
        return new int[] {splitChunks, gatherChunks, convChunks, tokenChunks, tokenChunks};
    }

    /** One chunk of one phase of an image (see the class comment). */
    private void chunk(Work ws, float[] x, int xo, float[] y, int yo, int ld, int[] chunks, int phase, int chunk) {
        Conv2d conv1 = vit.conv1, conv2 = vit.conv2;
        TransformerBlock blk = vit.block;
        float[] w1 = conv1.weight.value, b1 = conv1.bias.value, w2 = conv2.weight.value, b2 = conv2.bias.value;
        float[] pos = vit.pos.pos.value;
        float[] wqkv = blk.attn.qkv.weight.value, bqkv = blk.attn.qkv.bias.value;
        float[] wp = blk.attn.proj.weight.value, bp = blk.attn.proj.bias.value;
        float[] wf1 = blk.fc1.weight.value, bf1 = blk.fc1.bias.value, wf2 = blk.fc2.weight.value, bf2 = blk.fc2.bias.value;
        LayerNorm ln1 = blk.ln1, ln2 = blk.ln2, ln = vit.ln;
        int vl = VectorKernels.VL;
        int splitChunks = chunks[0], gatherChunks = chunks[1], convChunks = chunks[2], tokenChunks = chunks[3];
        switch (phase) {
            case 0 -> { // the input's phases (with x/255 − 0.5), by image rows
                splitPhases(x, xo, ws.phases, conv1.inScale, conv1.inShift,
                        lo(c * h, 1, splitChunks, chunk), lo(c * h, 1, splitChunks, chunk + 1));
            }
            case 1 -> // conv1's patch rows, by (channel, kernel row)
                gatherConv1(ws.phases, ws.cols1, lo(c * k1, 1, gatherChunks, chunk), lo(c * k1, 1, gatherChunks, chunk + 1));
            case 2 -> { // conv1 output channels, then conv2's patch rows of those channels (bias and ReLU fused)
                int from = lo(d, 6, convChunks, chunk), to = lo(d, 6, convChunks, chunk + 1);
                VectorKernels.gemmColumns(to - from, p1p, patch1, w1, from * patch1, patch1, 1, ws.cols1, 0, p1p,
                        ws.x1, from * p1p, p1p);
                gatherConv2(ws.x1, b1, ws.cols2, from, to);
            }
            case 3 -> { // conv2 + bias + position, ln1, qkv for a range of tokens
                int c0 = lo(tp / vl, 1, tokenChunks, chunk) * vl, c1 = lo(tp / vl, 1, tokenChunks, chunk + 1) * vl, n = c1 - c0;
                VectorKernels.gemmColumns(d, n, patch2, w2, 0, patch2, 1, ws.cols2, c0, tp, ws.x0, c0, tp);
                VectorKernels.biasActColumns(d, c0, c1, ws.x0, 0, tp, b2, 0, 0, null, 0);
                int tEnd = Math.min(c1, t);
                for (int j = c0; j < tEnd; j++) {
                    int pr = j * d;
                    for (int o = 0; o < d; o++) ws.x0[o * tp + j] += pos[pr + o];
                }
                VectorKernels.layerNormColumns(d, c0, c1, ln1.eps, ws.x0, 0, ln1.weight.value, ln1.bias.value, ws.hn, 0, tp);
                VectorKernels.gemmColumns(3 * d, n, d, wqkv, 0, d, 1, ws.hn, c0, tp, ws.qkv, c0, tp);
                VectorKernels.biasActColumns(3 * d, c0, c1, ws.qkv, 0, tp, bqkv, 0, 0, null, 0);
            }
            default -> { // attention for a range of query tokens, the rest of the block, the final LayerNorm
                int c0 = lo(tp / vl, 1, tokenChunks, chunk) * vl, c1 = lo(tp / vl, 1, tokenChunks, chunk + 1) * vl, n = c1 - c0;
                for (int hh = 0; hh < heads; hh++) {
                    int q = hh * hd * tp, k = (d + hh * hd) * tp, v = (2 * d + hh * hd) * tp;
                    // Sᵀ[j, i] = Σ_e k[j, e]·q[i, e]: keys down the rows, so the softmax runs down each column
                    VectorKernels.gemmColumns(t, n, hd, ws.qkv, k, 1, tp, ws.qkv, q + c0, tp, ws.sc, c0, tp);
                    VectorKernels.softmaxColumns(t, c0, c1, scale, ws.sc, 0, tp);
                    // Oᵀ[e, i] = Σ_j v[j, e]·P[i, j]
                    VectorKernels.gemmColumns(hd, n, t, ws.qkv, v, tp, 1, ws.sc, c0, tp, ws.att, q + c0, tp);
                }
                VectorKernels.gemmColumns(d, n, d, wp, 0, d, 1, ws.att, c0, tp, ws.r1, c0, tp);
                VectorKernels.biasActColumns(d, c0, c1, ws.r1, 0, tp, bp, 0, 0, ws.x0, 0);
                VectorKernels.layerNormColumns(d, c0, c1, ln2.eps, ws.r1, 0, ln2.weight.value, ln2.bias.value, ws.hn, 0, tp);
                VectorKernels.gemmColumns(mlp, n, d, wf1, 0, d, 1, ws.hn, c0, tp, ws.f, c0, tp);
                VectorKernels.biasActColumns(mlp, c0, c1, ws.f, 0, tp, bf1, 0, 2, null, 0);
                VectorKernels.gemmColumns(d, n, mlp, wf2, 0, mlp, 1, ws.f, c0, tp, ws.x0, c0, tp);
                VectorKernels.biasActColumns(d, c0, c1, ws.x0, 0, tp, bf2, 0, 0, ws.r1, 0);
                VectorKernels.layerNormColumns(d, c0, c1, ln.eps, ws.x0, 0, ln.weight.value, ln.bias.value, ws.hn, 0, tp);
                int tEnd = Math.min(c1, t);
                if (ld > 0) {
                    if (tEnd > c0) {
                        for (int o = 0; o < d; o++) System.arraycopy(ws.hn, o * tp + c0, y, yo + o * ld + c0, tEnd - c0);
                    }
                } else {
                    for (int j = c0; j < tEnd; j++) {
                        int r = yo + j * d;
                        for (int o = 0; o < d; o++) y[r + o] = ws.hn[o * tp + j];
                    }
                }
            }
        }
    }

    /**
     * A batch-1 image pipeline that allocates nothing per image (a robot's control loop): its own scratch and output
     * rows, and a {@link Team} (the caller's) instead of pool tasks, so no task object or lambda is created per call.
     * Output: channel-major [dim, tokens + extra] rows, the extra columns left to the caller. Not thread-safe.
     */
    final class Session {
        private final Work ws = new Work();
        private final int[] chunks;
        private final Run run;
        private final Team team;
        private final Team.Job job;
        final float[] out;
        final int ld;
        private float[] input;
        private int inputOff;

        Session(int extra, Team team) {
            this.ld = t + extra;
            this.out = Kernels.buffer(d * ld);
            this.team = team;
            this.chunks = chunkCounts(team.size());
            this.run = new Run(chunks);
            ChunkBody body = (phase, chunk) -> chunk(ws, input, inputOff, out, 0, ld, chunks, phase, chunk);
            this.job = member -> run.participate(body);
        }

        /** The image's features into {@link #out}; {@code x[xo ..]} holds C·H·W values in [0, 255]. */
        void image(float[] x, int xo) {
            input = x;
            inputOff = xo;
            run.reset();
            team.run(job); // returns once every member has left the run, so the next image may reset it
            run.finish();
        }
    }

    /** Start of chunk i of {@code chunks} over [0, n) with boundaries at multiples of align (i = chunks gives n). */
    private static int lo(int n, int align, int chunks, int i) {
        int blocks = (n + align - 1) / align;
        return Math.min(n, (int) ((long) blocks * i / chunks) * align);
    }

    @FunctionalInterface
    private interface ChunkBody {
        void run(int phase, int chunk);
    }

    /**
     * One image's phases, each a fixed list of chunks claimed by whoever comes first (the caller and the spawned
     * helpers); phase p starts once every chunk of phase p − 1 is done. The caller alone can do everything, so a helper
     * that starts late (or never) only finds less to do; waits are for chunks already running on a live thread. Which
     * thread computes a chunk never changes its values.
     */
    private static final class Run {
        final int[] chunks;
        final AtomicIntegerArray next, done;
        volatile Throwable error;

        Run(int[] chunks) {
            this.chunks = chunks;
            this.next = new AtomicIntegerArray(chunks.length);
            this.done = new AtomicIntegerArray(chunks.length);
        }

        /** Ready for another image (only once every participant has left). */
        void reset() {
            for (int p = 0; p < chunks.length; p++) {
                next.set(p, 0);
                done.set(p, 0);
            }
            error = null;
        }

        void participate(ChunkBody body) {
            for (int p = 0; p < chunks.length; p++) {
                if (p > 0) awaitPhase(p - 1);
                int ch;
                while ((ch = next.getAndIncrement(p)) < chunks[p]) {
                    // after a failure the remaining chunks are claimed and counted but not run, so every participant
                    // leaves at once and finish() rethrows the first error
                    try {
                        if (error == null) body.run(p, ch);
                    } catch (Throwable e) {
                        if (error == null) error = e;
                    } finally {
                        done.incrementAndGet(p);
                    }
                }
            }
        }

        /** Spins briefly (phases are tens of µs), then yields: on an oversubscribed CPU the chunk's owner may need it. */
        private void awaitPhase(int p) {
            for (int spins = 0; done.get(p) < chunks[p]; spins++) {
                if (spins < 2048) Thread.onSpinWait();
                else Thread.yield();
            }
        }

        void finish() {
            awaitPhase(chunks.length - 1);
            Throwable e = error;
            if (e instanceof RuntimeException re) throw re;
            if (e instanceof Error er) throw er;
            if (e != null) throw new IllegalStateException(e);
        }
    }

    /** phases[(c, y, φ, i)] = a·x[c, y, i·ph + φ] + b (0 past the row's end). */
    private void splitPhases(float[] x, int xo, float[] phases, float a, float b, int fromRow, int toRow) {
        int full = w / ph;
        for (int cy = fromRow; cy < toRow; cy++) {
            int src = xo + cy * w, dst = cy * ph * phaseLen;
            for (int f = 0; f < ph; f++) {
                int o = dst + f * phaseLen, i = 0;
                for (; i < full; i++) phases[o + i] = x[src + i * ph + f] * a + b;
                for (; i < phaseLen; i++) {
                    int col = i * ph + f;
                    phases[o + i] = col < w ? x[src + col] * a + b : 0f;
                }
            }
        }
    }

    /** cols1[(c, ki, kj), oy·ow1 + runStart[p] + i] = input[c, s1·oy + ki, s1·(s2·i + p) + kj]. */
    private void gatherConv1(float[] phases, float[] cols1, int fromRow, int toRow) {
        int rowStride = ph * phaseLen;
        for (int cr = fromRow; cr < toRow; cr++) {
            int cc = cr / k1, ki = cr % k1;
            {
                for (int kj = 0; kj < k1; kj++) {
                    int r = (cc * k1 + ki) * k1 + kj;
                    for (int p = 0; p < s2; p++) {
                        int e = s1 * p + kj, f = e % ph, q = e / ph;
                        int src = (cc * h + ki) * rowStride + f * phaseLen + q;
                        VectorKernels.copyRuns(phases, src, s1 * rowStride, cols1, r * p1p + runStart[p], ow1, oh1, runLen[p]);
                    }
                }
            }
        }
    }

    /** cols2[(c, ki, kj), oy·ow2 + ox] = relu(x1[c, s2·oy + ki, s2·ox + kj] + bias[c]) for channels [from, to). */
    private void gatherConv2(float[] x1, float[] bias, float[] cols2, int from, int to) {
        for (int cc = from; cc < to; cc++) {
            for (int ki = 0; ki < k2; ki++) {
                for (int kj = 0; kj < k2; kj++) {
                    int r = (cc * k2 + ki) * k2 + kj;
                    int src = cc * p1p + ki * ow1 + runStart[kj % s2] + kj / s2;
                    VectorKernels.copyRunsBiasRelu(x1, src, s2 * ow1, cols2, r * tp, ow2, oh2, ow2, bias[cc]);
                }
            }
        }
    }
}
