package io.dmpo.rl;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Init;
import io.dmpo.nn.Layer;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Param;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import io.dmpo.nn.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The Gaussian PPO baseline (docs/algorithms.md, "Baselines"): {@code a ~ N(μ(s), diag σ²)} with an MLP mean {@code actor.fc*} and a
 * state-independent log standard deviation {@code actor.log_std} (initialized to {@code logStdInit}).
 *
 * <p>Action range: the log-probability is that of the <em>unclipped</em> Gaussian sample, which is what is stored as
 * the record; the env receives the sample clipped to {@code [low, high]} (CleanRL's convention: no tanh squashing, so
 * the log-probability needs no Jacobian correction, and clipping only changes what the env sees). Deterministic
 * actions are the clipped mean.
 */
public final class GaussianPolicy implements StochasticPolicy {
    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
    private final int obsDim, actDim;
    private final Sequential mean;
    public final Param logStd;
    private final double[] low, high;

    public GaussianPolicy(int obsDim, int actDim, int[] hidden, Pointwise act, double[] low, double[] high, double logStdInit) {
        this.obsDim = obsDim;
        this.actDim = actDim;
        int[] dims = new int[hidden.length + 2];
        dims[0] = obsDim;
        System.arraycopy(hidden, 0, dims, 1, hidden.length);
        dims[dims.length - 1] = actDim;
        this.mean = Nets.mlp("actor", act, dims);
        this.logStd = new Param("actor.log_std", actDim).initZeros();
        java.util.Arrays.fill(logStd.value, (float) logStdInit);
        this.low = low.clone();
        this.high = high.clone();
    }

    /** Orthogonal weights (gain √2, head 0.01), zero biases, log σ = {@code logStdInit}. */
    public GaussianPolicy initialize(long seed, double logStdInit) {
        Init.apply(mean.params(), seed);
        Orthogonal.apply(mean, Math.sqrt(2), 0.01, seed);
        java.util.Arrays.fill(logStd.value, (float) logStdInit);
        return this;
    }

    public Layer meanNet() {
        return mean;
    }

    @Override public int obsDim() { return obsDim; }
    @Override public int actDim() { return actDim; }
    @Override public int recordDim() { return actDim; }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(mean.params());
        ps.add(logStd);
        return ps;
    }

    private float clip(double v, int d) {
        return (float) Math.min(high[d], Math.max(low[d], v));
    }

    @Override
    public void sample(Tensor obs, SplittableRandom rng, Tensor actionsOut, Tensor recordsOut, float[] logProbOut) {
        Tensor mu = mean.forward(obs).value();
        for (int b = 0; b < obs.rows; b++) {
            double lp = 0;
            for (int d = 0; d < actDim; d++) {
                double z = Init.gaussian(rng);
                float a = (float) (mu.get(b, d) + Math.exp(logStd.value[d]) * z);
                recordsOut.set(b, d, a);
                actionsOut.set(b, d, clip(a, d));
                double zz = (a - mu.get(b, d)) / Math.exp(logStd.value[d]);
                lp += -0.5 * zz * zz - logStd.value[d] - LOG_SQRT_2PI;
            }
            logProbOut[b] = (float) lp;
        }
    }

    @Override
    public void act(Tensor obs, SplittableRandom rng, Tensor actionsOut) {
        Tensor mu = mean.forward(obs).value();
        for (int b = 0; b < obs.rows; b++) for (int d = 0; d < actDim; d++) actionsOut.set(b, d, clip(mu.get(b, d), d));
    }

    @Override
    public Evaluation evaluate(Tensor obs, Tensor records) {
        Layer.Trace tr = mean.trace(Dual.of(obs));
        Tensor mu = tr.output().value();
        int n = obs.rows;
        float[] lp = new float[n], ent = new float[n];
        double[] sigma = new double[actDim];
        double entropy = 0;
        for (int d = 0; d < actDim; d++) {
            sigma[d] = Math.exp(logStd.value[d]);
            entropy += 0.5 + LOG_SQRT_2PI + logStd.value[d];
        }
        float[] z = new float[n * actDim];
        for (int b = 0; b < n; b++) {
            double s = 0;
            for (int d = 0; d < actDim; d++) {
                double zz = (records.get(b, d) - mu.get(b, d)) / sigma[d];
                z[b * actDim + d] = (float) zz;
                s += -0.5 * zz * zz - logStd.value[d] - LOG_SQRT_2PI;
            }
            lp[b] = (float) s;
            ent[b] = (float) entropy;
        }
        return new Evaluation() {
            @Override public float[] logProb() { return lp; }
            @Override public float[] entropy() { return ent; }

            @Override
            public void backward(float[] gLogProb, float[] gEntropy) {
                Tensor gMu = Tensor.zeros(n, actDim);
                double[] gLogStd = new double[actDim];
                for (int b = 0; b < n; b++) {
                    for (int d = 0; d < actDim; d++) {
                        double zz = z[b * actDim + d];
                        // d logp/dμ = z/σ ; d logp/d logσ = z² − 1 ; d H/d logσ = 1
                        gMu.set(b, d, (float) (gLogProb[b] * zz / sigma[d]));
                        gLogStd[d] += gLogProb[b] * (zz * zz - 1) + gEntropy[b];
                    }
                }
                for (int d = 0; d < actDim; d++) logStd.grad[d] += (float) gLogStd[d];
                tr.backward(gMu);
            }
        };
    }
}
