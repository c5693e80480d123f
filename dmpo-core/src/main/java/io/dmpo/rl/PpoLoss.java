package io.dmpo.rl;

/**
 * The PPO loss of one minibatch and its gradient with respect to the per-row log-probabilities, entropies and values
 * (docs/algorithms.md, "Stage 2"). With {@code B} rows and ρ = exp(log π_new − log π_old):
 * <pre>
 *   L_PG  = −mean_b min(ρ·A, clip(ρ, 1−ε, 1+ε)·A)         A: advantages (normalized per minibatch by the caller)
 *   L_V   = ½ mean_b (V − R)²        or, clipped:  ½ mean_b max((V − R)², (V_old + clip(V − V_old, ±ε_v) − R)²)
 *   L     = L_PG + c_v·L_V − c_ent·mean_b H
 *   approx KL = mean_b ((ρ − 1) − log ρ)       clip fraction = mean_b [|ρ − 1| > ε]
 * </pre>
 * Gradients: the min picks the unclipped term when ρ·A ≤ clip(ρ)·A (then dL/dlog π = −ρ·A/B), otherwise the clipped
 * term, which is flat in ρ. The same rule applies to the clipped value loss.
 */
public final class PpoLoss {
    private PpoLoss() {}

    /** Scalars and per-row gradients of one minibatch. */
    public record Result(double loss, double policyLoss, double valueLoss, double entropy, double approxKl,
                         double clipFraction, double maxRatioDeviation,
                         float[] gradLogProb, float[] gradEntropy, float[] gradValue) {}

    public static Result compute(float[] newLogProb, float[] oldLogProb, float[] adv, float[] entropy,
                                 float[] value, float[] oldValue, float[] ret,
                                 double clip, double valueClip, double valueCoef, double entropyCoef) {
        int b = newLogProb.length;
        float[] gLp = new float[b], gEnt = new float[b], gV = new float[b];
        double pg = 0, vl = 0, ent = 0, kl = 0, clipped = 0, maxDev = 0;
        for (int i = 0; i < b; i++) {
            double logRatio = (double) newLogProb[i] - oldLogProb[i];
            double ratio = Math.exp(logRatio);
            double a = adv[i];
            double unclippedObj = ratio * a;
            double clippedObj = Math.min(1 + clip, Math.max(1 - clip, ratio)) * a;
            pg += -Math.min(unclippedObj, clippedObj);
            if (unclippedObj <= clippedObj) gLp[i] = (float) (-ratio * a / b);
            kl += (ratio - 1) - logRatio;
            if (Math.abs(ratio - 1) > clip) clipped++;
            maxDev = Math.max(maxDev, Math.abs(ratio - 1));

            double err = value[i] - ret[i];
            if (valueClip > 0) {
                double vc = oldValue[i] + Math.min(valueClip, Math.max(-valueClip, value[i] - oldValue[i]));
                double errC = vc - ret[i];
                if (err * err >= errC * errC) {
                    vl += 0.5 * err * err;
                    gV[i] = (float) (valueCoef * err / b);
                } else {
                    vl += 0.5 * errC * errC;
                    boolean inside = Math.abs(value[i] - oldValue[i]) < valueClip;
                    gV[i] = inside ? (float) (valueCoef * errC / b) : 0f;
                }
            } else {
                vl += 0.5 * err * err;
                gV[i] = (float) (valueCoef * err / b);
            }
            ent += entropy[i];
            gEnt[i] = (float) (-entropyCoef / b);
        }
        pg /= b;
        vl /= b;
        ent /= b;
        double loss = pg + valueCoef * vl - entropyCoef * ent;
        return new Result(loss, pg, vl, ent, kl / b, clipped / b, maxDev, gLp, gEnt, gV);
    }
}
