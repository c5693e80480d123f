package io.dmpo.train;

import io.dmpo.env.SuccessReward;
import io.dmpo.rl.BehaviorCloning;
import io.dmpo.rl.NoisyChainPolicy;
import io.dmpo.rl.PpoConfig;

import java.util.Locale;
import java.util.Map;

/**
 * Stage-2 settings (docs/algorithms.md: "Stage 2", "Reference defaults"), read strictly from a config file ({@link ConfigMap}). Sections: top level
 * ({@code init}, env, seed, threads, envs, iterations, budget_minutes, success_reward), {@code chain} (K and the noise network),
 * {@code critic}, {@code ppo}, {@code bc} and {@code eval}. PPO's rollout length counts policy decisions (action
 * chunks) per env; γ applies per chunk. Defaults are configs/hopper/finetune-dmpo.yaml's (the release's settings
 * scaled to 2 cores, see that file).
 */
public record FinetuneConfig(String init, String env, long seed, int threads, int envs, int iterations, double budgetMinutes,
                             SuccessReward successReward, int chainSteps, NoisyChainPolicy.Noise noise, NoisyChainPolicy.Normalization normalization,
                             int[] criticHidden, PpoConfig ppo, BehaviorCloning.Schedule bc, int evalEvery, int evalEpisodes,
                             Map<String, Object> resolved) {

    /** PPO defaults of fine-tuning (configs/hopper/finetune-dmpo.yaml's; PPO counts chunks, see above). */
    static final PpoConfig PPO_DEFAULTS = new PpoConfig();
    static {
        PPO_DEFAULTS.rolloutSteps = 50;
        PPO_DEFAULTS.epochs = 5;
        PPO_DEFAULTS.minibatchSize = 250;
        PPO_DEFAULTS.clip = 0.1;
        PPO_DEFAULTS.valueClip = 0;
        PPO_DEFAULTS.entropyCoef = 0.01;
        PPO_DEFAULTS.targetKl = 0.05;
        PPO_DEFAULTS.maxGradNorm = 25;
        PPO_DEFAULTS.actorLr = 1e-4;
        PPO_DEFAULTS.criticLr = 4.5e-4;
        PPO_DEFAULTS.actorLrSchedule = "constant";
        PPO_DEFAULTS.criticLrSchedule = "cosine";
        PPO_DEFAULTS.criticLrMinFraction = 3e-4 / 4.5e-4;
        PPO_DEFAULTS.criticWarmupIterations = 2;
        // the pre-trained policy's min–max statistics, not running ones (docs/algorithms.md, "Stage 2"): no obs_clip either
        PPO_DEFAULTS.normalizeObs = false;
    }
    static final java.util.Set<String> PPO_FIXED = java.util.Set.of("normalize_obs", "obs_clip");

    public static FinetuneConfig from(ConfigMap c) {
        String init = c.string("init", "");
        String env = c.string("env", "hopper");
        long seed = c.longInteger("seed", 0);
        int threads = c.integer("threads", 2), envs = c.integer("envs", 10), iterations = c.integer("iterations", 500);
        double budget = c.number("budget_minutes", 0);
        // how a sparse-success task pays the training envs' reward (evaluations count successes either way)
        SuccessReward successReward = SuccessReward.of(c.string("success_reward", SuccessReward.FIRST.key()));
        ConfigMap ch = c.section("chain");
        int steps = ch.integer("steps", 1);
        NoisyChainPolicy.Noise noise = new NoisyChainPolicy.Noise(ch.number("sigma_min", 0.05), ch.number("sigma_max", 0.12),
                ch.integers("noise_hidden", new int[] {128, 128}), ch.integer("noise_time_dim", 16));
        String norm = ch.string("logprob_normalization", "none");
        NoisyChainPolicy.Normalization normalization = switch (norm) {
            case "none" -> NoisyChainPolicy.Normalization.NONE;
            case "per_dimension" -> NoisyChainPolicy.Normalization.PER_DIMENSION;
            default -> throw new IllegalArgumentException("chain.logprob_normalization must be none or per_dimension, got '" + norm + "'");
        };
        int[] critic = c.section("critic").integers("hidden", new int[] {256, 256, 256});
        ConfigMap p = c.section("ppo");
        PpoConfig ppo = PpoConfig.read(p, PPO_DEFAULTS, PPO_FIXED);
        ConfigMap b = c.section("bc");
        BehaviorCloning.Schedule bc = new BehaviorCloning.Schedule(b.number("c0", 0.05), b.number("c1", 0.05),
                b.integer("i0", 0), b.integer("i1", 0));
        ConfigMap e = c.section("eval");
        int evalEvery = e.integer("every", 5), evalEpisodes = e.integer("episodes", 10);
        c.requireAllRead();
        check(threads >= 1 && envs >= 1 && iterations >= 1, "threads, envs and iterations must be >= 1");
        check(budget >= 0, "budget_minutes must be >= 0 (0 = no wall-clock limit)");
        check(steps >= 1 && steps <= 64, "chain.steps must be in [1, 64]");
        check(critic.length > 0 && java.util.Arrays.stream(critic).allMatch(h -> h >= 1), "critic.hidden sizes must be >= 1");
        check(evalEvery >= 1 && evalEpisodes >= 1, "eval.every and eval.episodes must be >= 1");
        check((long) ppo.rolloutSteps * envs >= ppo.minibatchSize, String.format(Locale.ROOT,
                "ppo.minibatch_size %d exceeds one rollout (rollout_steps x envs = %d)", ppo.minibatchSize, (long) ppo.rolloutSteps * envs));
        check(ppo.minibatchSize >= 8, "ppo.minibatch_size must be >= 8");
        try {
            ppo.validate();
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("ppo: " + ex.getMessage());
        }
        return new FinetuneConfig(init, env, seed, threads, envs, iterations, budget, successReward, steps, noise, normalization, critic, ppo,
                bc, evalEvery, evalEpisodes, c.resolved());
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException(what);
    }
}
