package io.dmpo.nn;

import java.util.List;

/** Learning-rate schedules and gradient utilities. */
public final class Schedules {
    private Schedules() {}

    /**
     * Linear warm-up from {@code lrMin} to {@code lrMax} over {@code warmup} steps, then half-cosine down to
     * {@code lrMin} at {@code total} steps (held there after): the release's CosineAnnealingWarmupRestarts with one cycle
     * (docs/algorithms.md, "Reference defaults": pre-training lr 1e-3 → 1e-4, 5 warm-up epochs).
     */
    public static double cosineWithWarmup(long step, long warmup, long total, double lrMax, double lrMin) {
        if (step < warmup) return lrMin + (lrMax - lrMin) * step / warmup;
        if (step >= total) return lrMin;
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return lrMin + (lrMax - lrMin) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    /** Global L2 norm of all gradients. */
    public static double gradNorm(List<Param> params) {
        double s = 0;
        for (Param p : params) s += Kernels.sumOfSquares(p.grad, 0, p.grad.length);
        return Math.sqrt(s);
    }

    /**
     * PyTorch's clip_grad_norm_: if the global norm exceeds {@code maxNorm}, scale every gradient by
     * maxNorm / (norm + 1e-6). Returns the norm before clipping.
     */
    public static double clipGradNorm(List<Param> params, double maxNorm) {
        double norm = gradNorm(params);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            float c = (float) coef;
            for (Param p : params) for (int i = 0; i < p.grad.length; i++) p.grad[i] *= c;
        }
        return norm;
    }

    public static void zeroGrad(List<Param> params) {
        for (Param p : params) p.zeroGrad();
    }
}
