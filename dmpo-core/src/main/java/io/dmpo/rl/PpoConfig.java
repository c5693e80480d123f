package io.dmpo.rl;

import io.dmpo.io.Json;
import io.dmpo.train.ConfigMap;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * PPO hyper-parameters (docs/algorithms.md, "Stage 2"). Defaults are CleanRL's {@code ppo_continuous_action} settings for MuJoCo,
 * except that several envs are stepped at once; each trainer starts from its own defaults ({@link #copy()} of them).
 *
 * <p>One spelling: every setting's key in a config file, in a run's config.json and in error messages is its field
 * name in snake_case ({@code rolloutSteps} ↔ {@code rollout_steps}); {@link #read} and {@link #toMap} are the only
 * translation.
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
    /** "linear" (anneal to 0 at the end of the budget, CleanRL), "cosine" (to actorLrMinFraction), or "constant". */
    public String actorLrSchedule = "linear";
    public double actorLrMinFraction = 0.0;
    /** The critic's own schedule ("same" = the actor's {@code actorLrSchedule} and {@code actorLrMinFraction}). */
    public String criticLrSchedule = "same";
    public double criticLrMinFraction = 0.0;
    public boolean normalizeAdvantages = true;
    /** Running observation normalization (mean/std, clipped to ±obsClip). */
    public boolean normalizeObs = true;
    public double obsClip = 10;
    /** Running reward scaling: divide by the std of the discounted return (Gymnasium NormalizeReward), clip ±rewardClip. */
    public boolean rewardScaling = true;
    public double rewardClip = 10;
    /**
     * Whether an episode cut by the time limit bootstraps from V(its last state) (the infinite-horizon view, right for
     * locomotion) or ends with value 0 (a finite-horizon task, whose observation does not hold the time left: a
     * manipulation episode that has not succeeded by its horizon has failed; bootstrapping there lets the critic's
     * values on failed states feed on themselves, see docs/algorithms.md, "Stage 2").
     */
    public boolean bootstrapTruncation = true;
    /** Critic-only iterations at the start (the critic warm-up of docs/algorithms.md, "Stage 2"; 0 for training from scratch). */
    public int criticWarmupIterations = 0;

    /** Every setting under its snake_case key (what a run's config.json records). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (var f : PpoConfig.class.getFields()) {
            try {
                m.put(Json.snakeCase(f.getName()), f.get(this));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return m;
    }

    /** A field-for-field copy (trainers keep their defaults as one shared instance and read into copies). */
    public PpoConfig copy() {
        return fromMap(toMap());
    }

    /**
     * Sets fields from a map written by {@link #toMap()} (unknown keys are an error). Run directories written before
     * the keys were snake_case ({@code rolloutSteps}, {@code lrSchedule}, {@code scaleRewards}) still load.
     */
    public static PpoConfig fromMap(Map<String, Object> m) {
        PpoConfig c = new PpoConfig();
        for (var e : m.entrySet()) {
            String key = Json.snakeCase(e.getKey());
            key = switch (key) {
                case "lr_schedule" -> "actor_lr_schedule";
                case "lr_min_fraction" -> "actor_lr_min_fraction";
                case "scale_rewards" -> "reward_scaling";
                default -> key;
            };
            var f = field(key);
            if (f == null) throw new IllegalArgumentException("unknown PPO config key '" + e.getKey() + "'");
            set(c, f, e.getValue());
        }
        return c;
    }

    /**
     * Reads a config file's {@code ppo} section: every setting under its snake_case key, absent ones from
     * {@code defaults}. Settings in {@code fixed} are the trainer's (taken from {@code defaults}; a file that sets
     * one is told it is unknown by {@link ConfigMap#requireAllRead()}).
     */
    public static PpoConfig read(ConfigMap section, PpoConfig defaults, Set<String> fixed) {
        PpoConfig c = defaults.copy();
        for (var f : PpoConfig.class.getFields()) {
            String key = Json.snakeCase(f.getName());
            if (fixed.contains(key)) continue;
            try {
                Object v;
                if (f.getType() == int.class) v = section.integer(key, f.getInt(defaults));
                else if (f.getType() == double.class) v = section.number(key, f.getDouble(defaults));
                else if (f.getType() == boolean.class) v = section.bool(key, f.getBoolean(defaults));
                else v = section.string(key, (String) f.get(defaults));
                set(c, f, v);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return c;
    }

    private static java.lang.reflect.Field field(String snakeKey) {
        for (var f : PpoConfig.class.getFields()) if (Json.snakeCase(f.getName()).equals(snakeKey)) return f;
        return null;
    }

    private static void set(PpoConfig c, java.lang.reflect.Field f, Object v) {
        String key = Json.snakeCase(f.getName());
        try {
            if (f.getType() == int.class) {
                if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) throw wrongType(key, "an integer", v);
                f.setInt(c, n.intValue());
            } else if (f.getType() == double.class) {
                if (!(v instanceof Number n)) throw wrongType(key, "a number", v);
                f.setDouble(c, n.doubleValue());
            } else if (f.getType() == boolean.class) {
                if (!(v instanceof Boolean b)) throw wrongType(key, "true or false", v);
                f.setBoolean(c, b);
            } else {
                if (!(v instanceof String str)) throw wrongType(key, "a name", v);
                f.set(c, str);
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static IllegalArgumentException wrongType(String key, String what, Object v) {
        return new IllegalArgumentException("PPO setting '" + key + "' must be " + what + ", got '" + v + "'");
    }

    /**
     * Checks every setting before a run starts (a NaN learning rate or γ = 2 would otherwise train on and write NaN
     * checkpoints). Throws {@link IllegalArgumentException} naming the setting, its value and the allowed range.
     */
    public PpoConfig validate() {
        atLeast("rollout_steps", rolloutSteps, 1);
        atLeast("epochs", epochs, 1);
        atLeast("minibatch_size", minibatchSize, 1);
        atLeast("critic_warmup_iterations", criticWarmupIterations, 0);
        range("gamma", gamma, 0, 1, false);
        range("gae_lambda", gaeLambda, 0, 1, false);
        range("clip", clip, 0, Double.MAX_VALUE, true);
        range("value_clip", valueClip, 0, Double.MAX_VALUE, false);
        range("value_coef", valueCoef, 0, Double.MAX_VALUE, false);
        range("entropy_coef", entropyCoef, 0, Double.MAX_VALUE, false);
        range("target_kl", targetKl, 0, Double.MAX_VALUE, false);
        range("max_grad_norm", maxGradNorm, 0, Double.MAX_VALUE, true);
        range("adam_eps", adamEps, 0, 1, true);
        range("actor_lr", actorLr, 0, 1, false);
        range("critic_lr", criticLr, 0, 1, false);
        range("actor_lr_min_fraction", actorLrMinFraction, 0, 1, false);
        range("obs_clip", obsClip, 0, Double.MAX_VALUE, true);
        range("reward_clip", rewardClip, 0, Double.MAX_VALUE, true);
        range("critic_lr_min_fraction", criticLrMinFraction, 0, 1, false);
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
        return factor(actorLrSchedule, actorLrMinFraction, progress);
    }

    /** The critic's learning-rate multiplier (its own schedule, or the actor's when "same"). */
    public double criticLrFactor(double progress) {
        return "same".equals(criticLrSchedule) ? lrFactor(progress) : factor(criticLrSchedule, criticLrMinFraction, progress);
    }

    private static double factor(String schedule, double minFraction, double progress) {
        double p = Math.min(1, Math.max(0, progress));
        return switch (schedule) {
            case "linear" -> 1 - p;
            case "cosine" -> minFraction + (1 - minFraction) * 0.5 * (1 + Math.cos(Math.PI * p));
            case "constant" -> 1;
            default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + schedule + "' (linear, cosine, constant)");
        };
    }
}
