package io.dmpo.rl;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Dual;
import io.dmpo.nn.Init;
import io.dmpo.nn.Layer;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Param;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.FlowChain;
import io.dmpo.policy.MeanFlowActor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A pre-trained flow policy as the K-step noisy Gaussian chain PPO fine-tunes (docs/algorithms.md, "Stage 2"):
 * <pre>
 *   x_0 ~ N(0, I);   t_k = 1 − k/K
 *   μ_k = x_k − (t_k − t_{k+1})·u_θ(x_k, t_{k+1}, t_k | s)        for k &lt; K − 1 (a flow state: not clipped)
 *   μ_{K−1} = clip(x_{K−1} − (t_{K−1} − t_K)·u_θ(...), −1, 1)      (the last mean lies in the action box)
 *   x_{k+1} ~ N(μ_k, σ_k²) truncated to μ_k ± 3σ_k,   log σ_k² = noise_φ(x_k, s, t_k) ∈ [log σ_min², log σ_max²]
 *   env action = de-normalize(clip(x_K, −1, 1))      (the whole chunk; the env wrapper executes act_steps of it)
 *   log π = log N(x_0; 0, I) + Σ_k Σ_dims log TN(x_{k+1}; μ_k, σ_k², ±3σ_k)
 * </pre>
 * With σ → 0 the chain is exactly the deterministic {@link FlowChain} the samplers, the ONNX graph and {@code dmpo eval}
 * run: its grid, step and clip come from there, so what fine-tuning evaluates is the policy that is deployed, for every
 * K. (Clipping every intermediate mean, as the authors' release does, would make the K &gt; 1 fine-tuned chain a
 * different policy from the flow it was pre-trained as; for K = 1 both rules are the same.)
 * The record of a sample is the chain x_0..x_K ({@code (K+1)·chunk} floats, normalized action space), so the
 * log-probability is a deterministic function of (parameters, observation, record) and PPO's ratio starts at exactly 1.
 * The encoder is traced once per chain; s enters the noise network as data (its gradients do not reshape the
 * pre-trained representation). Observations arrive min–max normalized by the caller (the pre-training statistics).
 *
 * <p>Noise range: the noise network's raw output r is squashed, log σ² = lo + (hi − lo)·sigmoid(r), which keeps σ in
 * [σ_min, σ_max] for every input and, unlike a hard clamp, keeps a gradient at the bounds.
 *
 * <p>Truncation at the support edge: samples are drawn from the truncated normal (|z| ≤ 3, by rejection), and the
 * density is evaluated as the Gaussian renormalized by Z = P(|z| ≤ 3) <em>without</em> the support indicator. In exact
 * arithmetic the indicator is 1 for every stored sample under the parameters that drew it; after a parameter update
 * (or a last-bit difference in μ) a stored x_{k+1} may sit just outside μ_k ± 3σ_k, where the indicator would give
 * log π = −∞ and a ratio of 0. The smooth extension gives the finite density of the same formula instead, so the PPO
 * ratio stays a smooth function of the parameters; near the edge it differs from the indicator version only there.
 *
 * <p>Log-probability normalization ({@link Normalization}): {@code NONE} is the exact chain density. {@code PER_DIMENSION}
 * divides log π by (K+1)·chunk (the release does this, and also clamps to [−1, 1], which we do not: the clamp zeroes
 * the gradient of every row it touches). Dividing shrinks log-ratios by that factor, so a clip range ε then admits a
 * true probability ratio of up to (1+ε)^((K+1)·chunk).
 */
public final class NoisyChainPolicy implements StochasticPolicy {
    /** P(|z| ≤ 3) for z ~ N(0, 1) = erf(3/√2). */
    static final double TRUNCATION_MASS = 0.9973002039367398;
    /** Truncation at ±3σ. */
    static final double TRUNCATION = 3.0;
    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
    /** Standard normal density at 3. */
    private static final double PHI_3 = Math.exp(-4.5) / Math.sqrt(2 * Math.PI);
    /** Entropy of the standard normal truncated to ±3: ½ log(2πe) + log Z − 3φ(3)/Z. */
    static final double STANDARD_TRUNCATED_ENTROPY = 0.5 * Math.log(2 * Math.PI * Math.E) + Math.log(TRUNCATION_MASS)
            - TRUNCATION * PHI_3 / TRUNCATION_MASS;

    public enum Normalization { NONE, PER_DIMENSION }

    /** The noise network's shape and the σ range. */
    public record Noise(double sigmaMin, double sigmaMax, int[] hidden, int timeDim) {
        public Noise {
            if (!(sigmaMin > 0 && sigmaMax >= sigmaMin && Double.isFinite(sigmaMax))) {
                throw new IllegalArgumentException("noise range must satisfy 0 < sigma_min <= sigma_max, got [" + sigmaMin + ", " + sigmaMax + "]");
            }
            if (hidden.length == 0 || Arrays.stream(hidden).anyMatch(h -> h < 1)) throw new IllegalArgumentException("noise hidden sizes must be >= 1");
            if (timeDim < 2 || timeDim % 2 != 0) throw new IllegalArgumentException("noise time_dim must be even and >= 2, got " + timeDim);
            hidden = hidden.clone();
        }
    }

    private final MeanFlowActor actor;
    private final int steps, chunk;
    private final FlowChain chain;
    private final Sequential noiseNet, noiseTime;
    private final double logVarMin, logVarMax;
    private final Normalization normalization;
    private final MinMaxNormalizer actNorm;
    private final int obsDim;
    // σ statistics of the samples drawn since the last reset (diagnostics)
    private double sigmaSum, sigmaMin = Double.POSITIVE_INFINITY, sigmaMax = Double.NEGATIVE_INFINITY;
    private long sigmaCount;

    /**
     * {@code actor}: the (trainable) pre-trained velocity network; {@code steps}: K; {@code actNorm}: the pre-training
     * action statistics (env actions are de-normalized with them); the noise network is initialized from {@code seed}
     * with a near-zero output layer, so σ starts at √(σ_min·σ_max) everywhere.
     */
    public NoisyChainPolicy(MeanFlowActor actor, int steps, Noise noise, Normalization normalization, MinMaxNormalizer actNorm, long seed) {
        if (steps < 1) throw new IllegalArgumentException("chain steps K must be >= 1, got " + steps);
        // evaluate() must be a deterministic function of (parameters, obs, record): dropout stays off for good
        actor.inferenceMode();
        this.actor = actor;
        this.steps = steps;
        this.chain = new FlowChain(steps);
        this.chunk = actor.actionDim;
        this.obsDim = actor.obsDim;
        if (actNorm.dim() < 1 || chunk % actNorm.dim() != 0) {
            throw new IllegalArgumentException("action statistics of " + actNorm.dim() + " dims do not tile a chunk of " + chunk);
        }
        this.actNorm = actNorm;
        this.normalization = normalization;
        this.logVarMin = 2 * Math.log(noise.sigmaMin());
        this.logVarMax = 2 * Math.log(noise.sigmaMax());
        int[] dims = new int[noise.hidden().length + 2];
        dims[0] = chunk + actor.condDim + noise.timeDim();
        System.arraycopy(noise.hidden(), 0, dims, 1, noise.hidden().length);
        dims[dims.length - 1] = chunk;
        this.noiseNet = Nets.mlp("noise", Pointwise.TANH, dims);
        this.noiseTime = Nets.timeEmbedding("noise.temb", noise.timeDim());
        Init.apply(noiseTime.params(), seed ^ 0x7E3BL);
        Orthogonal.apply(noiseNet, Math.sqrt(2), 0.01, seed);
    }

    public MeanFlowActor actor() { return actor; }
    public int steps() { return steps; }
    public Normalization normalization() { return normalization; }
    @Override public int obsDim() { return obsDim; }
    @Override public int actDim() { return chunk; }
    @Override public int recordDim() { return (steps + 1) * chunk; }

    /** Actor parameters, then the noise network's ({@code noise.*}). */
    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>(actor.params());
        ps.addAll(noiseTime.params());
        ps.addAll(noiseNet.params());
        return ps;
    }

    /** The noise network's parameters alone. */
    public List<Param> noiseParams() {
        List<Param> ps = new ArrayList<>(noiseTime.params());
        ps.addAll(noiseNet.params());
        return ps;
    }


    private double logVar(double raw) {
        return logVarMin + (logVarMax - logVarMin) / (1 + Math.exp(-raw));
    }

    private Dual noiseInput(Tensor x, Tensor cond, Dual timeEmb) {
        return Ops.concatCols(Dual.of(x), Dual.of(cond), timeEmb);
    }

    @Override
    public void sample(Tensor obs, SplittableRandom rng, Tensor actionsOut, Tensor recordsOut, float[] logProbOut) {
        int b = obs.rows;
        Tensor cond = actor.encode(obs);
        Tensor x = Tensor.zeros(b, chunk);
        double[] lp = new double[b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < chunk; j++) {
                double z = Init.gaussian(rng);
                x.set(i, j, (float) z);
                lp[i] += -0.5 * z * z - LOG_SQRT_2PI;
            }
        }
        writeRecord(recordsOut, x, 0);
        for (int k = 0; k < steps; k++) {
            Tensor mu = mean(actor, x, cond, k);
            Tensor raw = noiseNet.forward(noiseInput(x, cond, noiseTime.forward(Dual.of(Ops.full(b, 1, chain.t(k)))))).value();
            Tensor next = Tensor.zeros(b, chunk);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < chunk; j++) {
                    double lv = logVar(raw.get(i, j)), sigma = Math.exp(0.5 * lv);
                    double z;
                    do z = Init.gaussian(rng); while (Math.abs(z) > TRUNCATION);
                    float v = (float) (mu.get(i, j) + sigma * z);
                    next.set(i, j, v);
                    double zz = (v - mu.get(i, j)) / sigma;
                    lp[i] += -0.5 * zz * zz - 0.5 * lv - LOG_SQRT_2PI - Math.log(TRUNCATION_MASS);
                    sigmaSum += sigma;
                    sigmaMin = Math.min(sigmaMin, sigma);
                    sigmaMax = Math.max(sigmaMax, sigma);
                    sigmaCount++;
                }
            }
            x = next;
            writeRecord(recordsOut, x, k + 1);
        }
        double scale = normalization == Normalization.PER_DIMENSION ? 1.0 / recordDim() : 1.0;
        for (int i = 0; i < b; i++) logProbOut[i] = (float) (lp[i] * scale);
        toEnvActions(x, actionsOut);
    }

    /** μ_k of {@code net} (see the class comment), without a trace. */
    private Tensor mean(MeanFlowActor net, Tensor x, Tensor cond, int k) {
        int b = x.rows;
        Tensor u = net.velocity(Dual.of(x), Dual.of(Ops.full(b, 1, chain.r(k))), Dual.of(Ops.full(b, 1, chain.t(k))), cond).value();
        return chainMean(x, u, k, null);
    }

    /**
     * μ_k from x_k and u_k, the one formula of every chain mean: the {@link FlowChain} step, clipped to the action box
     * at the last step only; {@code inside} (if given) records where the mean has a gradient (everywhere but where the
     * last step's clip is active).
     */
    private Tensor chainMean(Tensor x, Tensor u, int k, boolean[] inside) {
        Tensor mu = Tensor.zeros(x.rows, chunk);
        float dt = chain.dt(k);
        boolean last = chain.last(k);
        for (int i = 0; i < x.rows; i++) {
            for (int j = 0; j < chunk; j++) {
                float v = FlowChain.step(x.get(i, j), u.get(i, j), dt);
                if (inside != null) inside[i * chunk + j] = !last || (v > -1f && v < 1f);
                mu.set(i, j, last ? FlowChain.clip(v) : v);
            }
        }
        return mu;
    }

    private void writeRecord(Tensor records, Tensor x, int k) {
        for (int i = 0; i < x.rows; i++) for (int j = 0; j < chunk; j++) records.set(i, k * chunk + j, x.get(i, j));
    }

    private void toEnvActions(Tensor x, Tensor out) {
        float[] row = new float[chunk];
        for (int i = 0; i < x.rows; i++) {
            for (int j = 0; j < chunk; j++) row[j] = FlowChain.clip(x.get(i, j));
            actNorm.unnormalize(row);
            for (int j = 0; j < chunk; j++) out.set(i, j, row[j]);
        }
    }

    /** Noise-free chain (x_{k+1} = μ_k) from x_0 ~ N(0, I) drawn from {@code rng}. */
    @Override
    public void act(Tensor obs, SplittableRandom rng, Tensor actionsOut) {
        Tensor x = Tensor.zeros(obs.rows, chunk);
        for (int i = 0; i < x.size(); i++) x.data[i] = (float) Init.gaussian(rng);
        toEnvActions(deterministic(actor, obs, x), actionsOut);
    }

    /** The noise-free chain of {@code net} from {@code x0}: x_K in normalized action space (no trace). */
    public Tensor deterministic(MeanFlowActor net, Tensor obs, Tensor x0) {
        Tensor cond = net.encode(obs);
        Tensor x = x0;
        for (int k = 0; k < steps; k++) x = mean(net, x, cond, k);
        return x;
    }

    /** A traced noise-free chain of the trainable actor (for BC regularization through K steps). */
    public interface DeterministicTrace {
        /** x_K, [B, chunk], normalized action space. */
        Tensor output();

        /** Accumulates the actor's parameter gradients for dL/dx_K; call at most once. */
        void backward(Tensor gradOutput);
    }

    /** The noise-free chain from {@code x0}, traced: the encoder once, K head passes, back through every x_k. */
    public DeterministicTrace traceDeterministic(Tensor obs, Tensor x0) {
        MeanFlowActor.EncoderPass enc = actor.traceEncoder(obs);
        int b = x0.rows;
        MeanFlowActor.Pass[] passes = new MeanFlowActor.Pass[steps];
        boolean[][] inside = new boolean[steps][];
        Tensor x = x0;
        for (int k = 0; k < steps; k++) {
            passes[k] = actor.traceHead(enc, Dual.of(x), Dual.of(Ops.full(b, 1, chain.r(k))), Dual.of(Ops.full(b, 1, chain.t(k))));
            inside[k] = new boolean[b * chunk];
            x = chainMean(x, passes[k].u(), k, inside[k]);
        }
        Tensor out = x;
        return new DeterministicTrace() {
            @Override public Tensor output() { return out; }

            @Override
            public void backward(Tensor gradOutput) {
                Tensor g = gradOutput.copy();
                for (int k = steps - 1; k >= 0; k--) {
                    float dt = chain.dt(k);
                    Tensor gMu = Tensor.zeros(b, chunk), gU = Tensor.zeros(b, chunk);
                    for (int i = 0; i < b; i++) {
                        for (int j = 0; j < chunk; j++) {
                            float gv = inside[k][i * chunk + j] ? g.get(i, j) : 0f;
                            gMu.set(i, j, gv);
                            gU.set(i, j, -dt * gv);
                        }
                    }
                    Tensor gz = passes[k].backward(gU, null); // dL/dx_k through u
                    if (k > 0) {
                        for (int i = 0; i < b; i++) for (int j = 0; j < chunk; j++) gMu.set(i, j, gMu.get(i, j) + gz.get(i, j));
                        g = gMu;
                    }
                }
                enc.backward();
            }
        };
    }

    /** Mean, min and max σ of the transitions sampled since the last call, then resets (NaN when none). */
    public double[] takeSigmaStats() {
        double[] s = sigmaCount == 0 ? new double[] {Double.NaN, Double.NaN, Double.NaN}
                : new double[] {sigmaSum / sigmaCount, sigmaMin, sigmaMax};
        sigmaSum = 0;
        sigmaCount = 0;
        sigmaMin = Double.POSITIVE_INFINITY;
        sigmaMax = Double.NEGATIVE_INFINITY;
        return s;
    }

    /**
     * log π(record | obs) and the entropy of the chain's Gaussian transitions, Σ_k Σ_dims H(TN(0, σ_k², ±3σ_k)) =
     * Σ (log σ_k + H_std), H_std the entropy of the standard normal truncated to ±3.
     */
    @Override
    public Evaluation evaluate(Tensor obs, Tensor records) {
        Tensor.requireCols(records, recordDim(), "chain record");
        int b = obs.rows;
        MeanFlowActor.EncoderPass enc = actor.traceEncoder(obs);
        Tensor cond = enc.cond;
        double scale = normalization == Normalization.PER_DIMENSION ? 1.0 / recordDim() : 1.0;
        double[] lp = new double[b], ent = new double[b];
        MeanFlowActor.Pass[] heads = new MeanFlowActor.Pass[steps];
        Layer.Trace[] noiseTraces = new Layer.Trace[steps], timeTraces = new Layer.Trace[steps];
        float[][] zs = new float[steps][], sigmas = new float[steps][], sig = new float[steps][];
        boolean[][] inside = new boolean[steps][];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < chunk; j++) {
                double z = records.get(i, j);
                lp[i] += -0.5 * z * z - LOG_SQRT_2PI;
            }
        }
        for (int k = 0; k < steps; k++) {
            Tensor x = Ops.columns(records, k * chunk, chunk), next = Ops.columns(records, (k + 1) * chunk, chunk);
            float t = chain.t(k);
            heads[k] = actor.traceHead(enc, Dual.of(x), Dual.of(Ops.full(b, 1, chain.r(k))), Dual.of(Ops.full(b, 1, t)));
            inside[k] = new boolean[b * chunk];
            Tensor mu = chainMean(x, heads[k].u(), k, inside[k]);
            timeTraces[k] = noiseTime.trace(Dual.of(Ops.full(b, 1, t)));
            noiseTraces[k] = noiseNet.trace(noiseInput(x, cond, timeTraces[k].output()));
            Tensor raw = noiseTraces[k].output().value();
            zs[k] = new float[b * chunk];
            sigmas[k] = new float[b * chunk];
            sig[k] = new float[b * chunk];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < chunk; j++) {
                    int e = i * chunk + j;
                    float m = mu.get(i, j);
                    double s = 1 / (1 + Math.exp(-raw.get(i, j)));
                    double lv = logVarMin + (logVarMax - logVarMin) * s, sigma = Math.exp(0.5 * lv);
                    double zz = (next.get(i, j) - m) / sigma;
                    zs[k][e] = (float) zz;
                    sigmas[k][e] = (float) sigma;
                    sig[k][e] = (float) s;
                    lp[i] += -0.5 * zz * zz - 0.5 * lv - LOG_SQRT_2PI - Math.log(TRUNCATION_MASS);
                    ent[i] += 0.5 * lv + STANDARD_TRUNCATED_ENTROPY;
                }
            }
        }
        float[] logProb = new float[b], entropy = new float[b];
        for (int i = 0; i < b; i++) {
            logProb[i] = (float) (lp[i] * scale);
            entropy[i] = (float) ent[i];
        }
        double span = logVarMax - logVarMin;
        return new Evaluation() {
            @Override public float[] logProb() { return logProb; }
            @Override public float[] entropy() { return entropy; }

            @Override
            public void backward(float[] gLogProb, float[] gEntropy) {
                for (int k = 0; k < steps; k++) {
                    float dt = chain.dt(k);
                    Tensor gU = Tensor.zeros(b, chunk), gRaw = Tensor.zeros(b, chunk);
                    for (int i = 0; i < b; i++) {
                        double gl = gLogProb[i] * scale;
                        for (int j = 0; j < chunk; j++) {
                            int e = i * chunk + j;
                            double z = zs[k][e], sigma = sigmas[k][e], s = sig[k][e];
                            // d log TN/dμ = z/σ; μ = x − dt·u (clipped at the last step) → dμ/du = −dt, 0 where clipped
                            if (inside[k][e]) gU.set(i, j, (float) (-dt * gl * z / sigma));
                            // d log TN/d log σ = z² − 1; d H/d log σ = 1; log σ = ½ log σ²; d log σ²/d raw = span·s(1 − s)
                            double gLogSigma = gl * (z * z - 1) + gEntropy[i];
                            gRaw.set(i, j, (float) (gLogSigma * 0.5 * span * s * (1 - s)));
                        }
                    }
                    heads[k].backward(gU, null);
                    Tensor gIn = noiseTraces[k].backward(gRaw);
                    timeTraces[k].backward(Ops.columns(gIn, chunk + actor.condDim, gIn.cols - chunk - actor.condDim));
                }
                enc.backward();
            }
        };
    }
}
