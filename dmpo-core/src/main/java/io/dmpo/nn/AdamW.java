package io.dmpo.nn;

import java.util.List;

/**
 * AdamW with PyTorch's update order: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + ε).
 */
public final class AdamW {
    private final List<Param> params;
    private final float[][] m;
    private final float[][] v;
    public final double beta1, beta2, eps, weightDecay;
    private long step;

    public AdamW(List<Param> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = List.copyOf(params);
        this.m = new float[params.size()][];
        this.v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).size()];
            v[i] = new float[params.get(i).size()];
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** PyTorch defaults β = (0.9, 0.999), ε = 1e-8. */
    public static AdamW withDefaults(List<Param> params, double weightDecay) {
        return new AdamW(params, 0.9, 0.999, 1e-8, weightDecay);
    }

    public long steps() {
        return step;
    }

    /** One update with learning rate {@code lr} from the accumulated gradients (which are left untouched). */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        float decay = (float) (1 - lr * weightDecay), stepSize = (float) (lr / bc1);
        float b1 = (float) beta1, b2 = (float) beta2, ob1 = (float) (1 - beta1), ob2 = (float) (1 - beta2);
        float invBc2Sqrt = (float) (1 / bc2Sqrt), e = (float) eps;
        for (int i = 0; i < params.size(); i++) {
            float[] p = params.get(i).value, g = params.get(i).grad, mi = m[i], vi = v[i];
            for (int j = 0; j < p.length; j++) {
                float gj = g[j];
                mi[j] = b1 * mi[j] + ob1 * gj;
                vi[j] = b2 * vi[j] + ob2 * gj * gj;
                float denom = (float) Math.sqrt(vi[j]) * invBc2Sqrt + e;
                p[j] = p[j] * decay - stepSize * mi[j] / denom;
            }
        }
    }

    /** Optimizer state for checkpoints: first and second moments per parameter, and the step count. */
    public float[][] firstMoments() {
        return m;
    }

    public float[][] secondMoments() {
        return v;
    }

    public void setSteps(long steps) {
        this.step = steps;
    }
}
