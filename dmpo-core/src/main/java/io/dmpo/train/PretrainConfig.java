package io.dmpo.train;

import io.dmpo.loss.Dispersive;
import io.dmpo.loss.FlowObjective;
import io.dmpo.loss.MeanFlowLoss;
import io.dmpo.loss.MeanFlowObjective;
import io.dmpo.loss.ReFlowObjective;
import io.dmpo.loss.ShortCutObjective;
import io.dmpo.policy.FlowPolicy;

import java.util.List;
import java.util.Map;

/**
 * Stage-1 settings (docs/algorithms.md: "Stage 1 losses", "Networks", "Reference defaults"), read strictly from a config file ({@link ConfigMap}: defaults below,
 * unknown keys rejected). Sections: top level (algorithm, data, obs_keys, env, camera, seed, threads, horizon,
 * act_steps, cond_steps, steps; {@code obs_keys}: the robomimic observation keys, image first, empty = every
 * low-dimensional key; {@code camera}: the env camera a pixel policy sees, its image size is the network's), {@code network}, {@code train}, {@code flow} (time sampling and MeanFlow/ShortCut options),
 * {@code dispersive} and {@code eval} (rollouts that score checkpoints).
 */
public record PretrainConfig(String algorithm, String data, List<String> obsKeys, String env, String camera, long seed, int threads, int horizon, int actSteps,
                             int condSteps, int evalSteps, FlowPolicy.Architecture network, Train train, Eval eval,
                             FlowObjective objective, Map<String, Object> resolved) {
    /**
     * Optimization settings. Epochs are passes over the training windows (one window per transition).
     * {@code budgetMinutes} (0 = none) bounds one session: the run checkpoints and stops after the epoch that would
     * overrun it; {@code budgetUpdates} (0 = none) does the same by optimizer steps (reproducible where minutes are not), and {@code --resume} continues it exactly where it stopped (the schedule spans all epochs).
     */
    public record Train(int epochs, int batchSize, double lr, double lrMin, double warmupEpochs, double weightDecay,
                        double emaDecay, double maxGradNorm, double valFraction, int valBatches, int checkpointEvery,
                        int randomShift, double budgetMinutes, long budgetUpdates) {}

    /**
     * Rollouts at every checkpoint ({@code episodes} 0 = none): the checkpoint's score becomes the noise-free mean
     * return (the success rate on arm tasks) of {@code episodes} episodes in the config's env, episode i reset with
     * {@code seed + i} and sampled with {@code steps} — what {@code dmpo eval <policy> --steps K --episodes N --seed S}
     * reports — instead of the validation loss, which on ~100 demonstrations stops tracking success long before
     * training ends (docs/configs.md, "Pre-training's eval"). The default seed 2000000 keeps the start states that
     * choose the checkpoint apart from those {@code dmpo eval} and the main job report (1000000 + i).
     */
    public record Eval(int episodes, int envs, long seed) {
        public boolean on() {
            return episodes > 0;
        }
    }

    private static final List<String> STATE_NETWORK_KEYS = List.of("cond_hidden", "cond_dim", "time_dim", "hidden", "blocks"),
            PIXEL_NETWORK_KEYS = List.of("channels", "height", "width");

    /**
     * Reads the configuration a run directory recorded. Runs recorded before a network's unused sizes were refused
     * hold them at the values then filled in (0 image sizes for state networks, the state defaults for pixel ones):
     * those are set aside, anything else is still an error.
     */
    @SuppressWarnings("unchecked")
    public static PretrainConfig fromRecorded(Map<String, Object> recorded, String source) {
        Map<String, Object> raw = new java.util.LinkedHashMap<>(recorded);
        if (raw.get("network") instanceof Map<?, ?> n) {
            Map<String, Object> net = new java.util.LinkedHashMap<>((Map<String, Object>) n);
            FlowPolicy.Architecture d = FlowPolicy.Architecture.DEFAULT;
            Map<String, Integer> filledIn = "pixel".equals(net.get("kind"))
                    ? Map.of("cond_hidden", d.condHidden(), "cond_dim", d.condDim(), "time_dim", d.timeDim(), "hidden", d.hidden(), "blocks", d.blocks())
                    : Map.of("channels", 0, "height", 0, "width", 0);
            filledIn.forEach((k, v) -> {
                if (net.get(k) instanceof Number x && x.doubleValue() == v) net.remove(k);
            });
            raw.put("network", net);
        }
        return from(new ConfigMap(raw, source));
    }

    public static PretrainConfig from(ConfigMap c) {
        String algorithm = c.string("algorithm", "meanflow");
        String data = c.string("data", "data/hopper-medium.h5");
        List<String> obsKeys = c.strings("obs_keys", null);
        String env = c.string("env", "hopper");
        String camera = c.string("camera", "");
        long seed = c.longInteger("seed", 0);
        int threads = c.integer("threads", 2);
        int horizon = c.integer("horizon", 4), actSteps = c.integer("act_steps", 4), condSteps = c.integer("cond_steps", 1);
        int evalSteps = c.integer("steps", 1);
        ConfigMap n = c.section("network");
        String kind = n.string("kind", "state");
        // each kind reads only the sizes it has: a key the network would ignore is an error, never recorded as if used
        FlowPolicy.Architecture base = FlowPolicy.Architecture.DEFAULT, net;
        if (kind.equals("pixel")) {
            for (String k : STATE_NETWORK_KEYS) {
                if (n.contains(k)) throw new IllegalArgumentException(c.source() + ": 'network." + k + "' is not a setting of a pixel "
                        + "network (its ViT encoder and MLP head have fixed sizes: docs/algorithms.md, \"Networks\")");
            }
            net = new FlowPolicy.Architecture(kind, base.condHidden(), base.condDim(), base.timeDim(), base.hidden(), base.blocks(),
                    n.integer("channels", 3), n.integer("height", 96), n.integer("width", 96));
        } else {
            for (String k : PIXEL_NETWORK_KEYS) {
                if (n.contains(k)) throw new IllegalArgumentException(c.source() + ": 'network." + k + "' is a setting of pixel networks "
                        + "(network.kind: pixel), not of '" + kind + "' ones");
            }
            net = new FlowPolicy.Architecture(kind, n.integer("cond_hidden", base.condHidden()), n.integer("cond_dim", base.condDim()),
                    n.integer("time_dim", base.timeDim()), n.integer("hidden", base.hidden()), n.integer("blocks", base.blocks()), 0, 0, 0);
        }
        ConfigMap t = c.section("train");
        Train train = new Train(t.integer("epochs", 40), t.integer("batch_size", 128), t.number("lr", 1e-3),
                t.number("lr_min", 1e-4), t.number("warmup_epochs", 5), t.number("weight_decay", 1e-6),
                t.number("ema_decay", 0.995), t.number("max_grad_norm", 1.0), t.number("val_fraction", 0.05),
                t.integer("val_batches", 8), t.integer("checkpoint_every", 1), t.integer("random_shift", net.pixel() ? 4 : 0),
                t.number("budget_minutes", 0), t.longInteger("budget_updates", 0));
        ConfigMap ev = c.section("eval");
        Eval eval = new Eval(ev.integer("episodes", 0), ev.integer("envs", 10), ev.longInteger("seed", 2_000_000));
        ConfigMap f = c.section("flow");
        double mu = f.number("time_mu", -0.4), sigma = f.number("time_sigma", 1.0);
        ConfigMap d = c.section("dispersive");
        Dispersive.Options disp = new Dispersive.Options(Dispersive.Kind.parse(d.string("kind", "none")),
                d.number("weight", 0.0), d.number("temperature", 0.5), d.number("margin", 1.0), d.bool("divide_by_dim", true));
        FlowObjective objective = switch (algorithm) {
            case "meanflow" -> new MeanFlowObjective(mu, sigma, f.number("flow_ratio", 0.5),
                    new MeanFlowLoss.Options(f.number("adaptive_p", 0), f.number("adaptive_c", 1e-3), f.bool("v_loss", false)), disp);
            case "reflow" -> new ReFlowObjective(mu, sigma, disp);
            case "shortcut" -> new ShortCutObjective(mu, sigma, f.number("self_consistency", 0.25), f.integer("max_doublings", 7), disp);
            default -> throw new IllegalArgumentException("algorithm must be meanflow, reflow or shortcut, got '" + algorithm + "'");
        };
        c.requireAllRead();
        check(threads >= 1, "threads must be >= 1");
        check(horizon >= 1 && condSteps >= 1 && evalSteps >= 1, "horizon, cond_steps and steps must be >= 1");
        check(actSteps >= 1 && actSteps <= horizon, "act_steps must be in [1, horizon]");
        check(train.epochs() >= 1 && train.batchSize() >= 1 && train.valBatches() >= 1 && train.checkpointEvery() >= 1,
                "train.epochs, batch_size, val_batches and checkpoint_every must be >= 1");
        check(train.lr() > 0 && train.lr() <= 1 && train.lrMin() >= 0 && train.lrMin() <= train.lr(), "train.lr must be in (0, 1] and lr_min in [0, lr]");
        check(train.warmupEpochs() >= 0 && train.weightDecay() >= 0 && train.maxGradNorm() >= 0, "train.warmup_epochs, weight_decay and max_grad_norm must be >= 0");
        check(train.emaDecay() >= 0 && train.emaDecay() < 1, "train.ema_decay must be in [0, 1)");
        check(train.valFraction() >= 0 && train.valFraction() < 1, "train.val_fraction must be in [0, 1)");
        check(train.budgetMinutes() >= 0 && Double.isFinite(train.budgetMinutes()), "train.budget_minutes must be >= 0 (0 = no limit)");
        check(train.budgetUpdates() >= 0, "train.budget_updates must be >= 0 (0 = no limit)");
        check(train.randomShift() >= 0 && (train.randomShift() == 0 || net.pixel()), "train.random_shift must be >= 0 (pixel networks only)");
        check(eval.episodes() >= 0 && eval.envs() >= 1, "eval.episodes must be >= 0 and eval.envs >= 1");
        check(!eval.on() || !(env.isEmpty() || env.equals("none")), "eval.episodes needs the env to roll out in (env: none)");
        check(!net.pixel() || condSteps == 1, "pixel networks use cond_steps 1");
        check(camera.isEmpty() || net.pixel(), "camera is for pixel networks (network.kind: pixel)");
        check(!net.pixel() || !camera.isEmpty() || env.isEmpty() || env.equals("none"), "a pixel network needs the camera its env observes through (camera: agentview, wrist, ...)");
        return new PretrainConfig(algorithm, data, obsKeys, env, camera, seed, threads, horizon, actSteps, condSteps, evalSteps, net, train,
                eval, objective, c.resolved());
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException(what);
    }
}
