package io.dmpo.policy;

/**
 * The K-step MeanFlow chain, defined once (docs/algorithms.md, "Flow conventions"):
 * <pre>
 *   t_k = 1 − k/K,   x_0 = ε,   x_{k+1} = x_k − (t_k − t_{k+1})·u(x_k, t_{k+1}, t_k | s),   a = clip(x_K, −1, 1)
 * </pre>
 * Intermediate states are flow states (they live wherever the flow carries the noise, often outside [−1, 1]) and are
 * never clipped; only the action is. Every implementation of the chain takes its grid, its step and its clip from here:
 * the layer-path sampler ({@link MeanFlowSampler}), the allocation-free one ({@link BatchOneSampler}), the ONNX graph,
 * the fine-tuning chain (whose noise-free limit is exactly this chain) and the PyTorch benchmark anchor.
 * All arithmetic is float, in this order, so every implementation gives the same bits.
 */
public record FlowChain(int steps) {
    public FlowChain {
        if (steps < 1) throw new IllegalArgumentException("sampling steps must be >= 1, got " + steps);
    }

    /** t_k = 1 − k/K, the flow time the k-th step starts from (t_0 = 1: pure noise; t_K = 0: an action). */
    public float t(int k) {
        return 1f - (float) k / steps;
    }

    /** r_k = t_{k+1}, the time the k-th step lands on. */
    public float r(int k) {
        return t(k + 1);
    }

    /** The k-th step's length t_k − t_{k+1}. */
    public float dt(int k) {
        return t(k) - t(k + 1);
    }

    /** Whether step k is the last (the one whose result becomes the action). */
    public boolean last(int k) {
        return k == steps - 1;
    }

    /** One element of a step: x − dt·u. */
    public static float step(float x, float u, float dt) {
        return x - dt * u;
    }

    /** x[xo .. xo+n) ← x − dt·u[uo ..]. */
    public static void step(float[] x, int xo, float[] u, int uo, float dt, int n) {
        for (int i = 0; i < n; i++) x[xo + i] = step(x[xo + i], u[uo + i], dt);
    }

    /** The action box [−1, 1] (normalized action space). */
    public static float clip(float v) {
        return Math.max(-1f, Math.min(1f, v));
    }

    /** a[off .. off+n) ← clip(a). */
    public static void clip(float[] a, int off, int n) {
        for (int i = 0; i < n; i++) a[off + i] = clip(a[off + i]);
    }

    /** The chain's label in reports, e.g. {@code K=5}. */
    public String label() {
        return "K=" + steps;
    }
}
