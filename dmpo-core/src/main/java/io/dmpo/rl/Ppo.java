package io.dmpo.rl;

import io.dmpo.env.RunningMeanStd;
import io.dmpo.env.VectorEnv;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Dual;
import io.dmpo.nn.Layer;
import io.dmpo.nn.Param;
import io.dmpo.nn.Schedules;
import io.dmpo.nn.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Proximal policy optimization over a {@link VectorEnv} for any {@link StochasticPolicy} (docs/algorithms.md, "Stage 2"). One
 * {@link #iterate()} = one rollout of {@code rolloutSteps} steps in every env, GAE, then {@code epochs} passes of
 * shuffled minibatches. The policy is only asked to sample, re-evaluate log-probabilities and report entropy.
 *
 * <p>Determinism: everything that mixes envs (normalization statistics, reward scaling, minibatch shuffles, sampling
 * noise) runs on the calling thread in env order from seeded streams, so the same seed and thread counts give the
 * same numbers bit for bit.
 *
 * <p>Ratio check: before the update, the old log-probabilities are recomputed with the same code path as the
 * minibatches (same parameters, batch ≥ 8 rows, so every row is computed identically), and the first minibatch
 * asserts |ρ − 1| ≤ 1e-6. The difference to the log-probabilities reported while sampling is a diagnostic.
 */
public final class Ppo {
    /**
     * Diagnostics of one iteration. Episode returns are raw env returns of episodes finished during the rollout;
     * {@code episodeSuccess} is the fraction of them with a positive return (a sparse-success task's success rate).
     * {@code approxKl} averages the minibatches that ran (each measured before its step, so the first is 0);
     * {@code stopKl} is the KL of the minibatch that ended the update early ({@code klStopped}; NaN when none did),
     * without which an update stopped after its first minibatch would read as KL 0.
     */
    public record Stats(int iteration, long envSteps, int episodes, double episodeReturn, double episodeSuccess, double episodeLength,
                        double policyLoss, double valueLoss, double entropy, double approxKl, double clipFraction,
                        double explainedVariance, double firstRatioDeviation, double sampleLogProbDrift,
                        double actorLr, double criticLr, double gradNorm, int minibatches, boolean klStopped, double stopKl,
                        double extraLoss, int instabilities, double rolloutSeconds, double updateSeconds) {
        /** The progress lines' KL: the mean, and where the KL stop ended the update, the KL that did and after how many minibatches. */
        public String klText() {
            return klStopped ? String.format(java.util.Locale.ROOT, "kl %.4f (stop %.4f after %d mb)", approxKl, stopKl, minibatches)
                    : String.format(java.util.Locale.ROOT, "kl %.4f", approxKl);
        }

        /** Every field under its snake_case name ({@code envSteps} → {@code env_steps}), in declaration order (a metrics line). */
        public java.util.Map<String, Object> toMap() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            for (var c : Stats.class.getRecordComponents()) {
                try {
                    m.put(io.dmpo.io.Json.snakeCase(c.getName()), c.getAccessor().invoke(this));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return m;
        }
    }

    /**
     * An extra loss term added to every minibatch (e.g. Stage 2's behavior-cloning regularizer, docs/algorithms.md, "Stage 2"): it
     * accumulates its gradients into the parameters (after the PPO gradients, before clipping) and returns its value
     * for the diagnostics. {@code obs} are the normalized observations, {@code records} the stored samples.
     */
    @FunctionalInterface
    public interface ExtraLoss {
        double accumulate(Tensor obs, Tensor records, int iteration);
    }

    private ExtraLoss extraLoss;

    /** How a raw env observation becomes the policy's and critic's input row. */
    @FunctionalInterface
    public interface ObservationMap {
        void apply(double[] raw, float[] out, int offset);

        /** Running mean/std normalization, clipped to ±clip (null stats: the raw values). */
        static ObservationMap running(RunningMeanStd stats, double clip) {
            return (raw, out, offset) -> normalize(stats, raw, clip, out, offset);
        }

        /**
         * Fixed min–max normalization of the low-dimensional part with a pre-trained policy's statistics; an image
         * part (first in the row, see {@link io.dmpo.env.ObservationSpec}) passes through in 0..255, as the pixel
         * encoder reads it.
         */
        static ObservationMap minMax(io.dmpo.data.MinMaxNormalizer norm, io.dmpo.env.ObservationSpec spec) {
            int image = spec.imageSize();
            return (raw, out, offset) -> {
                float[] row = new float[raw.length];
                for (int j = 0; j < raw.length; j++) row[j] = (float) raw[j];
                io.dmpo.policy.FlowPolicy.normalizeObservations(row, image, norm, row.length);
                System.arraycopy(row, 0, out, offset, row.length);
            };
        }
    }

    private ObservationMap obsMap;

    /**
     * Feeds the policy and the critic observations normalized with fixed min–max statistics (a pre-trained policy's)
     * instead of running statistics; needs {@code normalizeObs = false}. Call before the first {@link #iterate()}.
     */
    public void useFixedObservationNormalizer(io.dmpo.data.MinMaxNormalizer norm, io.dmpo.env.ObservationSpec spec) {
        if (cfg.normalizeObs) throw new IllegalStateException("fixed observation statistics need normalizeObs = false");
        if (spec.dim() != obsDim || norm.dim() != spec.lowDim()) {
            throw new IllegalArgumentException("observation statistics of " + norm.dim() + " dims for observations " + spec
                    + " do not fit the env's " + obsDim);
        }
        this.obsMap = ObservationMap.minMax(norm, spec);
    }

    public ObservationMap observationMap() {
        return obsMap;
    }

    public void setExtraLoss(ExtraLoss extraLoss) {
        this.extraLoss = extraLoss;
    }

    private final PpoConfig cfg;
    private final StochasticPolicy policy;
    private final Layer critic;
    private final VectorEnv envs;
    private final int n, obsDim, actDim, recDim;
    private final long totalIterations;
    private final AdamW actorOpt, criticOpt;
    private final List<Param> allParams = new ArrayList<>();
    private final RunningMeanStd obsStats;
    private final RewardScaler rewardScaler;
    private SplittableRandom rng;
    private double[][] obs; // current raw observations
    private int iteration;
    private long envSteps;
    private long seed;

    // rollout buffer, time-major (index t·n + i)
    private final float[] bObs, bRec, bLogp, bVal, bNextVal, bRew;
    private final boolean[] bTerm, bDone;

    public Ppo(PpoConfig cfg, StochasticPolicy policy, Layer critic, VectorEnv envs, long totalIterations, long seed) {
        this.cfg = cfg.validate();
        this.policy = policy;
        this.critic = critic;
        this.envs = envs;
        this.n = envs.numEnvs();
        this.obsDim = envs.obsDim();
        this.actDim = envs.actDim();
        this.recDim = policy.recordDim();
        if (policy.obsDim() != obsDim || policy.actDim() != actDim) {
            throw new IllegalArgumentException("policy dims (" + policy.obsDim() + ", " + policy.actDim()
                    + ") do not match the env (" + obsDim + ", " + actDim + ")");
        }
        int len = cfg.rolloutSteps * n;
        if (cfg.minibatchSize < 8 || cfg.minibatchSize > len) {
            throw new IllegalArgumentException("minibatchSize must be in [8, rolloutSteps*envs = " + len + "]");
        }
        this.totalIterations = Math.max(1, totalIterations);
        this.actorOpt = new AdamW(policy.params(), 0.9, 0.999, cfg.adamEps, 0);
        this.criticOpt = new AdamW(critic.params(), 0.9, 0.999, cfg.adamEps, 0);
        allParams.addAll(policy.params());
        allParams.addAll(critic.params());
        this.obsStats = cfg.normalizeObs ? new RunningMeanStd(obsDim) : null;
        this.rewardScaler = cfg.rewardScaling ? new RewardScaler(n, cfg.gamma, cfg.rewardClip) : null;
        this.obsMap = ObservationMap.running(obsStats, cfg.obsClip);
        bObs = new float[len * obsDim];
        bRec = new float[len * recDim];
        bLogp = new float[len];
        bVal = new float[len];
        bNextVal = new float[len];
        bRew = new float[len];
        bTerm = new boolean[len];
        bDone = new boolean[len];
        reseed(seed, 0);
    }

    /** Restarts the env and noise streams from {@code seed} at iteration {@code iter} (used on resume). */
    public void reseed(long seed, int iter) {
        this.seed = seed;
        this.iteration = iter;
        this.rng = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (iter + 1)));
        this.obs = envs.reset(seed + 1_000_003L * iter);
        if (obsStats != null) for (double[] o : obs) obsStats.update(o);
    }

    public int iteration() { return iteration; }
    public long envSteps() { return envSteps; }
    public void setProgress(int iteration, long envSteps) { this.iteration = iteration; this.envSteps = envSteps; }
    public RunningMeanStd obsStats() { return obsStats; }
    public RewardScaler rewardScaler() { return rewardScaler; }
    public AdamW actorOptimizer() { return actorOpt; }
    public AdamW criticOptimizer() { return criticOpt; }
    public PpoConfig config() { return cfg; }

    /** The observation as the policy sees it (normalized with frozen current statistics). */
    public static float[] normalize(RunningMeanStd stats, double[] raw, double clip, float[] out, int offset) {
        double[] x = stats == null ? raw : stats.normalize(raw, 1e-8, clip);
        for (int j = 0; j < x.length; j++) out[offset + j] = (float) x[j];
        return out;
    }

    private float[] criticValues(Tensor o) {
        Tensor v = critic.forward(Dual.of(o)).value();
        return v.toArray();
    }

    /** One rollout and one PPO update. */
    public Stats iterate() {
        long t0 = System.nanoTime();
        int T = cfg.rolloutSteps;
        double progress = (double) iteration / totalIterations;
        double actorLr = cfg.actorLr * cfg.lrFactor(progress), criticLr = cfg.criticLr * cfg.criticLrFactor(progress);
        Tensor o = Tensor.zeros(n, obsDim), acts = Tensor.zeros(n, actDim), recs = Tensor.zeros(n, recDim);
        float[] lp = new float[n];
        double[][] a = new double[n][actDim];
        int instabilitiesBefore = envs.instabilities();
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < n; i++) obsMap.apply(obs[i], o.data, i * obsDim);
            policy.sample(o, rng, acts, recs, lp);
            float[] v = criticValues(o);
            int base = t * n;
            System.arraycopy(o.data, 0, bObs, base * obsDim, n * obsDim);
            System.arraycopy(recs.data, 0, bRec, base * recDim, n * recDim);
            System.arraycopy(lp, 0, bLogp, base, n);
            System.arraycopy(v, 0, bVal, base, n);
            for (int i = 0; i < n; i++) {
                for (int d = 0; d < actDim; d++) {
                    a[i][d] = acts.get(i, d);
                    if (!Double.isFinite(a[i][d])) {
                        throw new TrainingDiverged("iteration " + (iteration + 1) + ", rollout step " + t + ", env " + i
                                + ": the policy produced a non-finite action (" + a[i][d] + " in dimension " + d + ")");
                    }
                }
            }
            VectorEnv.Step s = envs.step(a);
            envSteps += envs.lastEnvSteps(); // env steps, not policy decisions, under action chunking
            List<Integer> truncatedRows = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = base + i;
                boolean done = s.terminated()[i] || s.truncated()[i];
                boolean lost = done && s.finalObs()[i] != null && s.finalObs()[i].length == 0; // env error: no final state
                // a time-limit cut ends the episode for good when the task is finite-horizon (bootstrapTruncation off)
                bTerm[k] = s.terminated()[i] || lost || (done && !cfg.bootstrapTruncation);
                bDone[k] = done;
                double r = s.rewards()[i];
                bRew[k] = (float) (rewardScaler != null ? rewardScaler.scale(i, r, done) : r);
                if (done && !bTerm[k]) truncatedRows.add(i);
                if (obsStats != null) obsStats.update(s.obs()[i]);
            }
            // truncation bootstraps from V(final observation of the cut episode)
            if (!truncatedRows.isEmpty()) {
                Tensor fo = Tensor.zeros(truncatedRows.size(), obsDim);
                for (int j = 0; j < truncatedRows.size(); j++) {
                    obsMap.apply(s.finalObs()[truncatedRows.get(j)], fo.data, j * obsDim);
                }
                float[] fv = criticValues(fo);
                for (int j = 0; j < truncatedRows.size(); j++) bNextVal[base + truncatedRows.get(j)] = fv[j];
            }
            obs = s.obs();
        }
        // next values of non-final steps: V(s_{t+1}); of the last step: V(current observation)
        Tensor last = Tensor.zeros(n, obsDim);
        for (int i = 0; i < n; i++) obsMap.apply(obs[i], last.data, i * obsDim);
        float[] lastV = criticValues(last);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < n; i++) {
                int k = t * n + i;
                if (bDone[k]) {
                    if (bTerm[k]) bNextVal[k] = 0;
                } else {
                    bNextVal[k] = t + 1 < T ? bVal[k + n] : lastV[i];
                }
            }
        }
        List<VectorEnv.Episode> eps = envs.drainEpisodes();
        double epRet = Double.NaN, epSuccess = Double.NaN, epLen = Double.NaN;
        if (!eps.isEmpty()) {
            epRet = eps.stream().mapToDouble(VectorEnv.Episode::ret).average().orElse(Double.NaN);
            epSuccess = eps.stream().filter(e -> e.ret() > 0).count() / (double) eps.size();
            epLen = eps.stream().mapToDouble(VectorEnv.Episode::length).average().orElse(Double.NaN);
        }
        Gae.Result gae = Gae.compute(T, n, bRew, bVal, bNextVal, bTerm, bDone, cfg.gamma, cfg.gaeLambda);
        long t1 = System.nanoTime();
        Update u = update(gae, actorLr, criticLr);
        long t2 = System.nanoTime();
        iteration++;
        return new Stats(iteration, envSteps, eps.size(), epRet, epSuccess, epLen, u.policyLoss, u.valueLoss, u.entropy, u.approxKl,
                u.clipFraction, explainedVariance(bVal, gae.returns()), u.firstRatioDev, u.drift, actorLr, criticLr,
                u.gradNorm, u.minibatches, u.klStopped, u.stopKl, u.extraLoss, envs.instabilities() - instabilitiesBefore,
                (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    private record Update(double policyLoss, double valueLoss, double entropy, double approxKl, double clipFraction,
                          double firstRatioDev, double drift, double gradNorm, int minibatches, boolean klStopped,
                          double stopKl, double extraLoss) {}

    private Update update(Gae.Result gae, double actorLr, double criticLr) {
        int len = bLogp.length, mb = cfg.minibatchSize;
        boolean actorOn = iteration >= cfg.criticWarmupIterations;
        // old log-probabilities through the update's own code path (see the class comment), a minibatch-sized chunk
        // at a time: one traced pass over the whole rollout would hold every activation at once (gigabytes for pixels)
        float[] oldLogp = new float[len];
        for (int from = 0; from < len; from += mb) {
            int n = Math.min(mb, len - from);
            float[] lp = policy.evaluate(new Tensor(bObs, from * obsDim, n, obsDim), new Tensor(bRec, from * recDim, n, recDim)).logProb();
            System.arraycopy(lp, 0, oldLogp, from, n);
        }
        double drift = 0;
        for (int k = 0; k < len; k++) drift = Math.max(drift, Math.abs(oldLogp[k] - bLogp[k]));
        int[] perm = new int[len];
        for (int k = 0; k < len; k++) perm[k] = k;
        Tensor mo = Tensor.zeros(mb, obsDim), mr = Tensor.zeros(mb, recDim);
        float[] mOld = new float[mb], mAdv = new float[mb], mRet = new float[mb], mVal = new float[mb];
        double sPg = 0, sV = 0, sEnt = 0, sKl = 0, sClip = 0, sNorm = 0, sExtra = 0, firstDev = Double.NaN;
        int count = 0;
        boolean stop = false;
        double stopKl = Double.NaN;
        for (int epoch = 0; epoch < cfg.epochs && !stop; epoch++) {
            for (int k = len - 1; k > 0; k--) { // Fisher–Yates
                int j = rng.nextInt(k + 1);
                int tmp = perm[k];
                perm[k] = perm[j];
                perm[j] = tmp;
            }
            for (int start = 0; start + mb <= len; start += mb) {
                for (int r = 0; r < mb; r++) {
                    int k = perm[start + r];
                    System.arraycopy(bObs, k * obsDim, mo.data, r * obsDim, obsDim);
                    System.arraycopy(bRec, k * recDim, mr.data, r * recDim, recDim);
                    mOld[r] = oldLogp[k];
                    mAdv[r] = gae.advantages()[k];
                    mRet[r] = gae.returns()[k];
                    mVal[r] = bVal[k];
                }
                if (cfg.normalizeAdvantages) normalizeInPlace(mAdv);
                StochasticPolicy.Evaluation ev = policy.evaluate(mo, mr);
                Layer.Trace vt = critic.trace(Dual.of(mo));
                float[] v = vt.output().value().toArray();
                PpoLoss.Result L = PpoLoss.compute(ev.logProb(), mOld, mAdv, ev.entropy(), v, mVal, mRet,
                        cfg.clip, cfg.valueClip, cfg.valueCoef, cfg.entropyCoef);
                if (count == 0) {
                    firstDev = L.maxRatioDeviation();
                    if (firstDev > 1e-6) {
                        throw new IllegalStateException("PPO ratio at the first minibatch is not 1 (max |ratio-1| = "
                                + firstDev + "): the policy's sample and evaluate paths disagree");
                    }
                }
                if (cfg.targetKl > 0 && L.approxKl() > cfg.targetKl) { // stops the rest of the update, all epochs
                    stop = true;
                    stopKl = L.approxKl();
                    break;
                }
                Schedules.zeroGrad(allParams);
                if (actorOn) ev.backward(L.gradLogProb(), L.gradEntropy());
                vt.backward(new Tensor(L.gradValue(), 0, mb, 1));
                double extra = extraLoss != null && actorOn ? extraLoss.accumulate(mo, mr, iteration) : 0;
                double norm = Schedules.clipGradNorm(allParams, cfg.maxGradNorm);
                if (!(Double.isFinite(L.policyLoss()) && Double.isFinite(L.valueLoss()) && Double.isFinite(extra)
                        && Double.isFinite(norm))) { // before the optimizer step: the parameters stay finite
                    throw new TrainingDiverged(String.format(java.util.Locale.ROOT,
                            "iteration %d, epoch %d, minibatch %d: non-finite training value (policy loss %s, value loss %s, "
                                    + "extra loss %s, gradient norm %s)", iteration + 1, epoch, start / mb,
                            L.policyLoss(), L.valueLoss(), extra, norm));
                }
                sExtra += extra;
                sNorm += norm;
                if (actorOn) actorOpt.step(actorLr);
                criticOpt.step(criticLr);
                sPg += L.policyLoss();
                sV += L.valueLoss();
                sEnt += L.entropy();
                sKl += L.approxKl();
                sClip += L.clipFraction();
                count++;
            }
        }
        int c = Math.max(1, count);
        return new Update(sPg / c, sV / c, sEnt / c, sKl / c, sClip / c, firstDev, drift, sNorm / c, count, stop, stopKl, sExtra / c);
    }

    static void normalizeInPlace(float[] x) {
        double m = 0, s = 0;
        for (float v : x) m += v;
        m /= x.length;
        for (float v : x) s += (v - m) * (v - m);
        double std = Math.sqrt(s / Math.max(1, x.length - 1)); // unbiased, like torch.std
        for (int i = 0; i < x.length; i++) x[i] = (float) ((x[i] - m) / (std + 1e-8));
    }

    /** 1 − Var(R − V) / Var(R) (NaN when the returns are constant). */
    public static double explainedVariance(float[] values, float[] returns) {
        double mr = 0, md = 0;
        int n = returns.length;
        for (int i = 0; i < n; i++) {
            mr += returns[i];
            md += returns[i] - values[i];
        }
        mr /= n;
        md /= n;
        double vr = 0, vd = 0;
        for (int i = 0; i < n; i++) {
            vr += (returns[i] - mr) * (returns[i] - mr);
            double d = returns[i] - values[i] - md;
            vd += d * d;
        }
        return vr == 0 ? Double.NaN : 1 - vd / vr;
    }

}
