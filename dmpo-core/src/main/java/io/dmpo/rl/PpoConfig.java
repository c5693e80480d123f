package io.dmpo.rl;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO hyper-parameters (docs/algorithms.md, "Stage 2"). Defaults are CleanRL's {@code ppo_continuous_action} settings for MuJoCo,
 * except that several envs are stepped at once. All of them are written to a run's config.json.
 */
public final class PpoConfig {
    /** Env steps per env per iteration (the rollout length). */
    public int rolloutSteps = 512;
    public int epochs = 10;
    public int minibatchSize = 64;
    public double gamma = 0.99;
    public double gaeLambda = 0.95;
    /** PPO clip range ε. */
    public double clip = 0.2;
    /** Value clipping range (0 = no value clipping). */
    public double valueClip = 0.2;
    public double valueCoef = 0.5;
    public double entropyCoef = 0.0;
    /** Stop the rest of the update (all epochs) when a minibatch's approx KL exceeds this (0 = never). */
    public double targetKl = 0.0;
    public double maxGradNorm = 0.5;
    /** Adam ε (PyTorch default 1e-8; CleanRL's PPO uses 1e-5, which takes smaller steps on tiny gradients). */
    public double adamEps = 1e-8;
    public double actorLr = 3e-4;
    public double criticLr = 3e-4;
    /** "linear" (anneal to 0 at the end of the budget, CleanRL), "cosine" (to lrMinFraction), or "constant". */
    public String lrSchedule = "linear";
    public double lrMinFraction = 0.0;
    /** The critic's own schedule ("same" = the actor's {@code lrSchedule} and {@code lrMinFraction}). */
    public String criticLrSchedule = "same";
    public double criticLrMinFraction = 0.0;
    public boolean normalizeAdvantages = true;
    /** Running observation normalization (mean/std, clipped to ±obsClip). */
    public boolean normalizeObs = true;
    public double obsClip = 10;
    /** Running reward scaling: divide by the std of the discounted return (Gymnasium NormalizeReward), clip ±rewardClip. */
    public boolean scaleRewards = true;
    public double rewardClip = 10;
    /** Critic-only iterations at the start (the critic warm-up of docs/algorithms.md, "Stage 2"; 0 for training from scratch). */
    public int criticWarmupIterations = 0;

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (var f : PpoConfig.class.getFields()) {
            try {
                m.put(f.getName(), f.get(this));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return m;
    }

    /** Sets fields from a map written by {@link #toMap()} (unknown keys are an error). */
    public static PpoConfig fromMap(Map<String, Object> m) {
        PpoConfig c = new PpoConfig();
        for (var e : m.entrySet()) {
            try {
                var f = PpoConfig.class.getField(e.getKey());
                Object v = e.getValue();
                if (f.getType() == int.class) f.setInt(c, ((Number) v).intValue());
                else if (f.getType() == double.class) f.setDouble(c, ((Number) v).doubleValue());
                else if (f.getType() == boolean.class) f.setBoolean(c, (Boolean) v);
                else f.set(c, v);
            } catch (NoSuchFieldException ex) {
                throw new IllegalArgumentException("unknown PPO config key '" + e.getKey() + "'");
            } catch (IllegalAccessException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return c;
    }

    /**
     * Checks every setting before a run starts (a NaN learning rate or γ = 2 would otherwise train on and write NaN
     * checkpoints). Throws {@link IllegalArgumentException} naming the setting, its value and the allowed range.
     */
    public PpoConfig validate() {
        atLeast("rolloutSteps", rolloutSteps, 1);
        atLeast("epochs", epochs, 1);
        atLeast("minibatchSize", minibatchSize, 1);
        atLeast("criticWarmupIterations", criticWarmupIterations, 0);
        range("gamma", gamma, 0, 1, false);
        range("gaeLambda", gaeLambda, 0, 1, false);
        range("clip", clip, 0, Double.MAX_VALUE, true);
        range("valueClip", valueClip, 0, Double.MAX_VALUE, false);
        range("valueCoef", valueCoef, 0, Double.MAX_VALUE, false);
        range("entropyCoef", entropyCoef, 0, Double.MAX_VALUE, false);
        range("targetKl", targetKl, 0, Double.MAX_VALUE, false);
        range("maxGradNorm", maxGradNorm, 0, Double.MAX_VALUE, true);
        range("adamEps", adamEps, 0, 1, true);
        range("actorLr", actorLr, 0, 1, false);
        range("criticLr", criticLr, 0, 1, false);
        range("lrMinFraction", lrMinFraction, 0, 1, false);
        range("obsClip", obsClip, 0, Double.MAX_VALUE, true);
        range("rewardClip", rewardClip, 0, Double.MAX_VALUE, true);
        range("criticLrMinFraction", criticLrMinFraction, 0, 1, false);
        lrFactor(0); // rejects an unknown schedule name
        criticLrFactor(0);
        return this;
    }

    private static void atLeast(String name, long v, long min) {
        if (v < min) throw new IllegalArgumentException(name + " must be >= " + min + ", got " + v);
    }

    /** {@code v} finite and in [lo, hi] ({@code (lo, hi]} when {@code openLow}). */
    private static void range(String name, double v, double lo, double hi, boolean openLow) {
        boolean ok = Double.isFinite(v) && (openLow ? v > lo : v >= lo) && v <= hi;
        if (!ok) {
            String r = (openLow ? "(" : "[") + lo + ", " + (hi == Double.MAX_VALUE ? "inf)" : hi + "]");
            throw new IllegalArgumentException(name + " must be a finite number in " + r + ", got " + v);
        }
    }

    /** The actor's learning-rate multiplier at {@code progress} ∈ [0, 1] of the budget. */
    public double lrFactor(double progress) {
        return factor(lrSchedule, lrMinFraction, progress);
    }

    /** The critic's learning-rate multiplier (its own schedule, or the actor's when "same"). */
    public double criticLrFactor(double progress) {
        return "same".equals(criticLrSchedule) ? lrFactor(progress) : factor(criticLrSchedule, criticLrMinFraction, progress);
    }

    private static double factor(String schedule, double lrMinFraction, double progress) {
        double p = Math.min(1, Math.max(0, progress));
        return switch (schedule) {
            case "linear" -> 1 - p;
            case "cosine" -> lrMinFraction + (1 - lrMinFraction) * 0.5 * (1 + Math.cos(Math.PI * p));
            case "constant" -> 1;
            default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + schedule + "' (linear, cosine, constant)");
        };
    }
}
