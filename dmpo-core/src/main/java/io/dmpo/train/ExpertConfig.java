package io.dmpo.train;

import io.dmpo.nn.Pointwise;
import io.dmpo.rl.PpoConfig;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Settings of a Gaussian PPO demonstrator ({@link ExpertTrainer}), read strictly ({@link ConfigMap}). One flat level
 * (env, seed, steps, envs, threads, the policy's {@code hidden} sizes, {@code activation}, {@code log_std_init},
 * {@code eval_every}, {@code eval_episodes}) and a {@code ppo} section in {@link PpoConfig}'s spelling. This is also the
 * layout of an expert run's config.json, so a run resumes from its own file. Defaults are CleanRL's
 * {@code ppo_continuous_action} shapes (64×64 tanh MLPs, lr 3e-4, 10 epochs of minibatches of 64) with 8 envs of 256
 * steps per iteration.
 */
public record ExpertConfig(String env, long seed, long steps, int envs, int threads, int[] hidden, Pointwise activation,
                           double logStdInit, PpoConfig ppo, int evalEvery, int evalEpisodes, Map<String, Object> resolved) {

    /** The defaults of every setting (what {@code dmpo expert --help} shows). */
    public static final ExpertConfig DEFAULTS;
    static final PpoConfig PPO_DEFAULTS = new PpoConfig();
    static {
        PPO_DEFAULTS.rolloutSteps = 256;
        PPO_DEFAULTS.minibatchSize = 64;
        PPO_DEFAULTS.epochs = 10;
        PPO_DEFAULTS.actorLr = 3e-4;
        PPO_DEFAULTS.criticLr = 3e-4;
        DEFAULTS = new ExpertConfig("", 1, 3_000_000, 8, 1, new int[] {64, 64}, Pointwise.TANH, 0.0, PPO_DEFAULTS, 20, 5, Map.of());
    }

    /** Keys of a run's config.json that record where it came from, not how it trains. */
    private static final Set<String> PROVENANCE = Set.of("kind", "git_commit", "java");

    /** Reads and checks a configuration; throws {@link IllegalArgumentException} naming the key. */
    public static ExpertConfig from(ConfigMap c) {
        ExpertConfig d = DEFAULTS;
        String env = c.string("env", "");
        long seed = c.longInteger("seed", d.seed);
        long steps = c.longInteger("steps", d.steps);
        int envs = c.integer("envs", d.envs), threads = c.integer("threads", d.threads);
        int[] hidden = c.integers("hidden", d.hidden);
        String act = c.string("activation", d.activation.name());
        double logStdInit = c.number("log_std_init", d.logStdInit);
        int evalEvery = c.integer("eval_every", d.evalEvery), evalEpisodes = c.integer("eval_episodes", d.evalEpisodes);
        PpoConfig ppo = PpoConfig.read(c.section("ppo"), d.ppo, Set.of());
        c.requireAllRead();
        check(!env.isBlank(), "env: no task given");
        check(steps >= 1, "steps must be >= 1, got " + steps);
        check(envs >= 1 && threads >= 1, "envs and threads must be >= 1");
        check(hidden.length > 0 && Arrays.stream(hidden).allMatch(h -> h >= 1), "hidden sizes must be >= 1");
        Pointwise activation;
        try {
            activation = Pointwise.valueOf(act.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("activation must be one of " + Arrays.toString(Pointwise.values()) + ", got '" + act + "'");
        }
        check(Double.isFinite(logStdInit) && logStdInit >= -20 && logStdInit <= 5, "log_std_init must be in [-20, 5], got " + logStdInit);
        check(evalEvery >= 1 && evalEpisodes >= 1, "eval_every and eval_episodes must be >= 1");
        check(ppo.minibatchSize >= 8, "ppo.minibatch_size must be >= 8");
        check((long) ppo.rolloutSteps * envs >= ppo.minibatchSize, String.format(Locale.ROOT,
                "ppo.minibatch_size %d exceeds one rollout (rollout_steps x envs = %d)", ppo.minibatchSize, (long) ppo.rolloutSteps * envs));
        try {
            ppo.validate();
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("ppo: " + ex.getMessage());
        }
        return new ExpertConfig(env, seed, steps, envs, threads, hidden, activation, logStdInit, ppo, evalEvery, evalEpisodes,
                c.resolved());
    }

    /** The configuration a run directory recorded (its provenance keys set aside). */
    public static ExpertConfig ofRun(Map<String, Object> runConfig, String source) {
        Map<String, Object> m = new LinkedHashMap<>(runConfig);
        m.keySet().removeAll(PROVENANCE);
        if (m.get("ppo") instanceof Map<?, ?> ppo) { // runs written before PPO keys were snake_case still resume
            @SuppressWarnings("unchecked") Map<String, Object> p = (Map<String, Object>) ppo;
            try {
                m.put("ppo", PpoConfig.fromMap(p).toMap());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": ppo: " + e.getMessage());
            }
        }
        return from(new ConfigMap(m, source));
    }

    /** The same run with another budget and thread count (what a resumed run may change). */
    public ExpertConfig withBudget(long steps, int threads) {
        check(steps >= 1 && threads >= 1, "steps and threads must be >= 1");
        Map<String, Object> r = new LinkedHashMap<>(resolved);
        r.put("steps", steps);
        r.put("threads", threads);
        return new ExpertConfig(env, seed, steps, envs, threads, hidden, activation, logStdInit, ppo, evalEvery, evalEpisodes, r);
    }

    /** PPO iterations the budget asks for (at least one). */
    public long iterations() {
        long perIteration = (long) ppo.rolloutSteps * envs;
        return Math.max(1, (steps + perIteration - 1) / perIteration);
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException(what);
    }
}
