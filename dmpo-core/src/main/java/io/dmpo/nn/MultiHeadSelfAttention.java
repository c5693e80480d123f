package io.dmpo.nn;

import java.util.List;

/**
 * Multi-head self-attention over groups of {@code tokens} consecutive rows (one group per sample: tokens attend
 * within their own sample only). Input and output {@code [B·N, D]}.
 *
 * <p>As in the PyTorch spec: one fused {@code qkv = Linear(D, 3D)} whose output columns are laid out as
 * {@code reshape(B, N, 3, H, hd)}: column {@code s·D + h·hd + j} is element j of head h of q (s = 0), k (1), v (2).
 * Per sample and head, {@code O = softmax(q kᵀ / √hd) v}; the heads are concatenated back (column {@code h·hd + j}) and
 * projected by {@code proj = Linear(D, D)}.
 *
 * <p>Tangent (JVP) of the core: dS = (dq kᵀ + q dkᵀ)/√hd, dP = P ⊙ (dS − rowsum(P ⊙ dS)), dO = dP v + P dv.
 * Backward: gP = gO vᵀ, gv = Pᵀ gO, gS = P ⊙ (gP − rowsum(P ⊙ gP))/√hd, gq = gS k, gk = gSᵀ q.
 * Work is split over (sample, head) pairs; each pair is computed by one thread with serial kernels (deterministic).
 */
public final class MultiHeadSelfAttention implements Layer {
    public final int dim, heads, headDim, tokens;
    public final Linear qkv;
    public final Linear proj;
    private final float scale;
    private final ThreadLocal<float[]> scratch;
    /** The softmax matrices of a trace (30 MB at batch 128), reused by the next one. */
    private final SpareBuffer probsBuffer = new SpareBuffer();

    /** Parameters {@code name.qkv.*} and {@code name.proj.*}. */
    public MultiHeadSelfAttention(String name, int dim, int heads, int tokens) {
        this(name + ".qkv", name + ".proj", dim, heads, tokens);
    }

    public MultiHeadSelfAttention(String qkvName, String projName, int dim, int heads, int tokens) {
        if (dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " not divisible by heads " + heads);
        this.dim = dim;
        this.heads = heads;
        this.headDim = dim / heads;
        this.tokens = tokens;
        this.qkv = new Linear(qkvName, dim, 3 * dim);
        this.proj = new Linear(projName, dim, dim);
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        int n = tokens, hd = headDim;
        // scores (N·N), tangent scores (N·N), a transposed key/value block (hd·N), a second one (hd·N)
        this.scratch = ThreadLocal.withInitial(() -> new float[2 * n * n + 2 * hd * n]);
    }

    private int samples(Tensor x) {
        if (x.rows % tokens != 0) {
            throw new IllegalArgumentException("attention: " + x.rows + " rows is not a whole number of " + tokens + "-token samples");
        }
        return x.rows / tokens;
    }

    /** dst[j·N + i] = src[so + i·ld + j] for i < N, j < hd. */
    private void transposeBlock(float[] src, int so, int ld, float[] dst, int dOff) {
        int n = tokens, hd = headDim;
        for (int i = 0; i < n; i++) {
            int s = so + i * ld;
            for (int j = 0; j < hd; j++) dst[dOff + j * n + i] = src[s + j];
        }
    }

    /**
     * The attention core: from qkv rows (value and optional tangent) to head outputs y (and its tangent); when
     * {@code probs} is non-null the softmax matrices are kept there, [(b·H + h)·N·N].
     */
    private void core(Dual qkvOut, Dual y, float[] probs) {
        Tensor a = qkvOut.value(), at = qkvOut.tangent();
        Tensor yv = y.value(), yt = y.tangent();
        boolean tan = at != null;
        int n = tokens, hd = headDim, d = dim, ld = 3 * dim;
        int b = samples(a);
        long work = (long) b * heads * n * n * hd * (tan ? 6 : 2);
        Parallel.forRange(b * heads, 1, work, (from, to) -> {
            float[] s = scratch.get();
            int sO = 0, dsO = n * n, tO = 2 * n * n, t2O = tO + hd * n;
            for (int task = from; task < to; task++) {
                int bi = task / heads, h = task % heads;
                int q = a.offset + bi * n * ld + h * hd, k = q + d, v = q + 2 * d;
                int out = yv.offset + bi * n * d + h * hd;
                // S = q kᵀ (kᵀ materialized so the product streams rows), then P = softmax(scale·S), computed where
                // it is kept when backward needs it
                float[] pa = probs != null ? probs : s;
                int po = probs != null ? task * n * n : sO;
                transposeBlock(a.data, k, ld, s, tO);
                Kernels.gemmNNSerial(n, n, hd, a.data, q, ld, s, tO, n, pa, po, n, false);
                Kernels.softmaxRows(n, n, scale, pa, po, n);
                Kernels.gemmNNSerial(n, hd, n, pa, po, n, a.data, v, ld, yv.data, out, d, false);
                if (tan) {
                    int dq = at.offset + bi * n * ld + h * hd, dk = dq + d, dv = dq + 2 * d;
                    int dout = yt.offset + bi * n * d + h * hd;
                    // dS = dq kᵀ + q dkᵀ
                    transposeBlock(at.data, dk, ld, s, t2O);
                    Kernels.gemmNNSerial(n, n, hd, at.data, dq, ld, s, tO, n, s, dsO, n, false);
                    Kernels.gemmNNSerial(n, n, hd, a.data, q, ld, s, t2O, n, s, dsO, n, true);
                    // dP = P ⊙ (dS − Σ_j P dS)·scale
                    softmaxJvp(pa, po, s, dsO, scale);
                    // dO = dP v + P dv
                    Kernels.gemmNNSerial(n, hd, n, s, dsO, n, a.data, v, ld, yt.data, dout, d, false);
                    Kernels.gemmNNSerial(n, hd, n, pa, po, n, at.data, dv, ld, yt.data, dout, d, true);
                }
            }
        });
    }

    /** g ← P ⊙ (g − rowsum(P ⊙ g))·c, row by row over N×N. */
    private void softmaxJvp(float[] p, int po, float[] g, int go, float c) {
        int n = tokens;
        for (int i = 0; i < n; i++) {
            int pr = po + i * n, gr = go + i * n;
            float dot = 0f;
            for (int j = 0; j < n; j++) dot = Math.fma(p[pr + j], g[gr + j], dot);
            for (int j = 0; j < n; j++) g[gr + j] = p[pr + j] * (g[gr + j] - dot) * c;
        }
    }

    @Override
    public Dual forward(Dual x) {
        Dual qkvOut = qkv.forward(x);
        Dual y = Dual.allocate(x.rows(), dim, qkvOut.hasTangent());
        core(qkvOut, y, null);
        return proj.forward(y);
    }

    @Override
    public Trace trace(Dual x) {
        Trace tq = qkv.trace(x);
        Dual qkvOut = tq.output();
        int b = samples(x.value());
        float[] probs = probsBuffer.take(b * heads * tokens * tokens); // every entry is written by the forward
        Dual y = Dual.allocate(x.rows(), dim, qkvOut.hasTangent());
        core(qkvOut, y, probs);
        Trace tp = proj.trace(y);
        Tensor a = qkvOut.value();
        return Trace.of(tp.output(), gy -> {
            Tensor gHeads = tp.backward(gy);
            Tensor gQkv = Tensor.zeros(a.rows, 3 * dim);
            int n = tokens, hd = headDim, d = dim, ld = 3 * dim;
            long work = (long) b * heads * n * n * hd * 4;
            Parallel.forRange(b * heads, 1, work, (from, to) -> {
                float[] s = scratch.get();
                int gP = 0, tO = 2 * n * n;
                for (int task = from; task < to; task++) {
                    int bi = task / heads, h = task % heads;
                    int q = a.offset + bi * n * ld + h * hd, k = q + d, v = q + 2 * d;
                    int gq = bi * n * ld + h * hd, gk = gq + d, gv = gq + 2 * d;
                    int go = gHeads.offset + bi * n * d + h * hd;
                    int p = task * n * n;
                    // gP = gO vᵀ
                    transposeBlock(a.data, v, ld, s, tO);
                    Kernels.gemmNNSerial(n, n, hd, gHeads.data, go, d, s, tO, n, s, gP, n, false);
                    // gv = Pᵀ gO
                    Kernels.gemmTNSerial(n, hd, n, probs, p, n, gHeads.data, go, d, gQkv.data, gv, ld, false);
                    // gS = P ⊙ (gP − rowsum(P ⊙ gP))·scale
                    softmaxJvp(probs, p, s, gP, scale);
                    // gq = gS k, gk = gSᵀ q
                    Kernels.gemmNNSerial(n, hd, n, s, gP, n, a.data, k, ld, gQkv.data, gq, ld, false);
                    Kernels.gemmTNSerial(n, hd, n, s, gP, n, a.data, q, ld, gQkv.data, gk, ld, false);
                }
            });
            probsBuffer.give(probs);
            return tq.backward(gQkv);
        });
    }

    @Override
    public List<Param> params() {
        return List.of(qkv.weight, qkv.bias, proj.weight, proj.bias);
    }
}
