package io.dmpo.train;

import io.dmpo.data.ArrayDataset;
import io.dmpo.data.Dataset;
import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.data.WindowSampler;
import io.dmpo.env.Env;
import io.dmpo.eval.Evaluator;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.io.SafeTensors;
import io.dmpo.loss.FlowObjective;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Ema;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Param;
import io.dmpo.nn.Schedules;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.PolicyFile;
import io.dmpo.rl.TrainingDiverged;
import io.dmpo.run.Progress;
import io.dmpo.run.RunDirectory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Stage-1 pre-training (docs/algorithms.md, "Stage 1 losses"): windows from the dataset's training episodes, min–max normalized; AdamW with a
 * cosine warm-up schedule, gradient clipping, EMA; one {@link FlowObjective} per step. After every epoch: the
 * validation loss of the EMA weights on held-out episodes (fixed windows and noise, so epochs compare), a metrics
 * line, and every {@code checkpoint_every} epochs a checkpoint holding the policy file (EMA weights) and the training
 * state. {@code best} is the lowest validation loss, or with {@code eval.episodes} the highest rollout score (mean
 * return, the success rate on arm tasks) of the checkpoint's policy; the run directory's {@code policy.safetensors}
 * is that policy, and {@code summary.json} records the best score and epoch and the training wall time summed over
 * all sessions. Randomness is re-derived from (seed, epoch) at each epoch and the rollouts reset from fixed seeds,
 * so a resumed run continues bit for bit.
 */
public final class Pretrainer {
    /**
     * What a finished (or resumed-and-finished) run produced; {@code bestEval} is the best checkpoint's rollout score
     * (NaN without rollouts), {@code bestValidationLoss} that checkpoint's validation loss.
     */
    public record Result(Path policy, double bestValidationLoss, double bestEval, long bestEpoch, int epochs, double wallSeconds,
                         boolean finished) {}

    public static final String POLICY = "policy.safetensors", TRAIN_STATE = "train_state.safetensors";

    private final PretrainConfig cfg;
    private final Dataset data;
    private final Map<String, Object> provenance;
    private final PrintStream log;
    private final IntFunction<? extends Env> makeEnv;
    private final boolean successReward;

    /** {@code provenance}: dataset path and SHA-256, git commit, ... (stored in every policy file with the config). */
    public Pretrainer(PretrainConfig cfg, Dataset data, Map<String, Object> provenance, PrintStream log) {
        this(cfg, data, provenance, log, null, false);
    }

    /**
     * With the env the checkpoints are rolled out in ({@code eval.episodes} > 0; env i of {@code makeEnv}) and whether
     * its return is a success (0 or 1, reported as a rate).
     */
    public Pretrainer(PretrainConfig cfg, Dataset data, Map<String, Object> provenance, PrintStream log, IntFunction<? extends Env> makeEnv,
                      boolean successReward) {
        if (cfg.eval().on() && makeEnv == null) {
            throw new IllegalArgumentException("eval.episodes " + cfg.eval().episodes() + ": rollouts need env '" + cfg.env() + "'");
        }
        this.cfg = cfg;
        this.data = data;
        this.provenance = provenance;
        this.log = log;
        this.makeEnv = makeEnv;
        this.successReward = successReward;
    }

    /** Held-out episodes (a seeded choice of ⌈val_fraction·E⌉ of them, none when fewer than two episodes). */
    static List<Dataset.Episode>[] split(Dataset d, double fraction, long seed) {
        List<Dataset.Episode> eps = new ArrayList<>(d.episodes());
        int nVal = eps.size() < 2 || fraction == 0 ? 0 : Math.min(eps.size() - 1, Math.max(1, (int) Math.ceil(fraction * eps.size())));
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5EED5EEDL);
        for (int i = eps.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            var tmp = eps.get(i);
            eps.set(i, eps.get(j));
            eps.set(j, tmp);
        }
        List<Dataset.Episode> val = new ArrayList<>(eps.subList(0, nVal)), train = new ArrayList<>(eps.subList(nVal, eps.size()));
        val.sort(java.util.Comparator.comparingInt(Dataset.Episode::start));
        train.sort(java.util.Comparator.comparingInt(Dataset.Episode::start));
        @SuppressWarnings("unchecked")
        List<Dataset.Episode>[] out = new List[] {train, val};
        return out;
    }

    /** The episodes' rows as a dataset of their own (episode boundaries kept as timeouts). */
    static ArrayDataset subset(Dataset d, List<Dataset.Episode> episodes, String name) {
        int n = episodes.stream().mapToInt(Dataset.Episode::length).sum(), od = d.obsDim(), ad = d.actDim();
        float[] o = new float[n * od], a = new float[n * ad], r = new float[n];
        boolean[] term = new boolean[n], tmo = new boolean[n];
        int at = 0;
        for (Dataset.Episode e : episodes) {
            System.arraycopy(d.observations(), e.start() * od, o, at * od, e.length() * od);
            System.arraycopy(d.actions(), e.start() * ad, a, at * ad, e.length() * ad);
            System.arraycopy(d.rewards(), e.start(), r, at, e.length());
            at += e.length();
            term[at - 1] = e.terminated();
            tmo[at - 1] = !e.terminated();
        }
        return new ArrayDataset(d.source() + " (" + name + ")", d.layout(), od, ad, o, a, r, term, tmo, null, Map.of());
    }

    public Result run(Path dir, boolean resume) throws IOException {
        List<Env> envs = new ArrayList<>();
        try {
            if (cfg.eval().on()) for (int i = 0; i < Math.min(cfg.eval().envs(), cfg.eval().episodes()); i++) envs.add(makeEnv.apply(i));
            return train(dir, resume, envs);
        } finally {
            for (Env e : envs) e.close();
            RunDirectory.release(dir);
        }
    }

    private Result train(Path dir, boolean resume, List<Env> envs) throws IOException {
        long t0 = System.nanoTime();
        Parallel.setThreads(cfg.threads());
        PretrainConfig.Train tc = cfg.train();
        List<Dataset.Episode>[] parts = split(data, tc.valFraction(), cfg.seed());
        ArrayDataset train = subset(data, parts[0], "train");
        ArrayDataset val = parts[1].isEmpty() ? null : subset(data, parts[1], "validation");
        FlowPolicy.Architecture net = cfg.network();
        int image = net.imageSize(), od = data.obsDim();
        if (image > 0 && od <= image) {
            throw new IllegalArgumentException(data.source() + ": observations have " + od + " values; a " + net.channels() + "x"
                    + net.height() + "x" + net.width() + " image needs " + image + " plus proprioception");
        }
        MinMaxNormalizer obsNorm = MinMaxNormalizer.fit(nonImageColumns(train.observations(), od, image), od - image);
        MinMaxNormalizer actNorm = MinMaxNormalizer.fit(train.actions(), data.actDim());
        WindowSampler trainWindows = windows(train, obsNorm, actNorm);
        WindowSampler valWindows = val == null ? null : windows(val, obsNorm, actNorm);

        FlowPolicy.Spec spec = new FlowPolicy.Spec(cfg.algorithm(), data.obsDim(), data.actDim(), cfg.horizon(), cfg.actSteps(),
                cfg.condSteps(), cfg.evalSteps(), cfg.network(), provenance());
        int obsIn = data.obsDim() * cfg.condSteps(), chunk = data.actDim() * cfg.horizon();
        MeanFlowActor actor = cfg.network().build(obsIn, chunk), averaged = cfg.network().build(obsIn, chunk);
        io.dmpo.nn.Init.apply(actor.params(), cfg.seed());
        List<Param> params = actor.params();
        AdamW adam = AdamW.withDefaults(params, tc.weightDecay());
        Ema ema = new Ema(params, tc.emaDecay());

        long perEpoch = Math.max(1, (trainWindows.size() + tc.batchSize() - 1) / tc.batchSize());
        long totalSteps = perEpoch * tc.epochs(), warmup = Math.round(tc.warmupEpochs() * perEpoch);

        RunDirectory run = resume ? RunDirectory.resume(dir) : RunDirectory.start(dir, runConfig(train, val));
        int startEpoch = 0;
        if (run.resumedFrom().isPresent()) {
            startEpoch = (int) restore(run.resumedFrom().get().path(), params, adam, ema);
            log.printf(Locale.ROOT, "dmpo pretrain: resumed %s at epoch %d%n", run.resumedFrom().get().path(), startEpoch);
        }
        log.printf(Locale.ROOT, "dmpo pretrain: %s on %s: %d train / %d validation windows, %d params, %d epochs x %d steps "
                        + "(batch %d), run dir %s%n", cfg.algorithm(), data.source(), trainWindows.size(),
                valWindows == null ? 0 : valWindows.size(), actor.paramCount(), tc.epochs(), perEpoch, tc.batchSize(), dir);
        if (tc.batchSize() < 2 && cfg.objective() instanceof io.dmpo.loss.MeanFlowObjective m && m.dispersive().active()) {
            log.println("dmpo pretrain: batch size 1: the dispersive loss is 0 (nothing to disperse)");
        }

        Progress bar = new Progress(totalSteps, startEpoch * perEpoch, log).withBudget(tc.budgetMinutes() * 60);
        double budgetSeconds = tc.budgetMinutes() * 60;
        int stoppedAt = 0;
        int b = tc.batchSize();
        float[] obsBuf = new float[b * trainWindows.obsWidth()], actBuf = new float[b * trainWindows.actWidth()];
        for (int epoch = startEpoch + 1; epoch <= tc.epochs(); epoch++) {
            SplittableRandom rng = new SplittableRandom(mix(cfg.seed(), epoch));
            actor.trainingMode(mix(cfg.seed(), epoch) ^ 0xD40F0L); // dropout on while training, seeded per epoch
            double sLoss = 0, sFlow = 0, sDisp = 0, sNorm = 0;
            long epochStart = System.nanoTime();
            for (long s = 0; s < perEpoch; s++) {
                long step = (epoch - 1) * perEpoch + s;
                double lr = Schedules.cosineWithWarmup(step, warmup, totalSteps, tc.lr(), tc.lrMin());
                trainWindows.sample(b, rng, obsBuf, actBuf);
                RandomShift.apply(obsBuf, b, trainWindows.obsWidth(), net.channels(), net.height(), net.width(),
                        tc.randomShift(), rng);
                Schedules.zeroGrad(params);
                FlowObjective.Terms terms = cfg.objective().apply(actor, new Tensor(obsBuf, 0, b, trainWindows.obsWidth()),
                        new Tensor(actBuf, 0, b, trainWindows.actWidth()), rng, true);
                double norm = tc.maxGradNorm() > 0 ? Schedules.clipGradNorm(params, tc.maxGradNorm()) : Schedules.gradNorm(params);
                if (!Double.isFinite(terms.total()) || !Double.isFinite(norm)) {
                    throw new TrainingDiverged(String.format(Locale.ROOT, "epoch %d, step %d: non-finite loss %s (flow %s, "
                                    + "dispersive %s, gradient norm %s, lr %.3g, batch actions in [%s, %s])", epoch, step + 1,
                            terms.total(), terms.flow(), terms.dispersive(), norm, lr, min(actBuf), max(actBuf)));
                }
                adam.step(lr);
                ema.update();
                sLoss += terms.total();
                sFlow += terms.flow();
                sDisp += terms.dispersive();
                sNorm += norm;
                if (s % 20 == 0 || s == perEpoch - 1) {
                    bar.update(step + 1, String.format(Locale.ROOT, "epoch %d/%d | loss %.4f | lr %.2e", epoch, tc.epochs(),
                            sLoss / (s + 1), lr), false);
                }
            }
            ema.copyTo(averaged.params());
            double valLoss = valWindows == null ? sLoss / perEpoch : validate(averaged, valWindows, tc);
            double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
            // stop this session at the last epoch that fits the budget: checkpoint it so --resume continues from here
            boolean outOfBudget = epoch < tc.epochs() && ((budgetSeconds > 0 && bar.elapsed() + epochSeconds > budgetSeconds)
                    || (tc.budgetUpdates() > 0 && (epoch - startEpoch + 1L) * perEpoch > tc.budgetUpdates()));
            boolean checkpoint = epoch % tc.checkpointEvery() == 0 || epoch == tc.epochs() || outOfBudget;
            FlowPolicy policy = new FlowPolicy(spec, averaged, obsNorm, actNorm);
            Evaluator.Episodes rollouts = checkpoint && cfg.eval().on()
                    ? Evaluator.run(policy, envs, cfg.evalSteps(), cfg.eval().episodes(), cfg.eval().seed()) : null;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("iteration", (long) epoch);
            m.put("epoch", epoch);
            m.put("step", epoch * perEpoch);
            m.put("lr", Schedules.cosineWithWarmup(epoch * perEpoch - 1, warmup, totalSteps, tc.lr(), tc.lrMin()));
            m.put("loss", sLoss / perEpoch);
            m.put("flow_loss", sFlow / perEpoch);
            m.put("dispersive_loss", sDisp / perEpoch);
            m.put("grad_norm", sNorm / perEpoch);
            m.put("val_loss", valLoss);
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("val_loss", valLoss);
            if (rollouts != null) putEval(record, rollouts);
            if (rollouts != null) m.putAll(record);
            m.put("epoch_seconds", (System.nanoTime() - epochStart) / 1e9);
            run.appendMetrics(m);
            if (checkpoint) {
                long e = epoch;
                var before = run.best();
                run.publish(epoch, rollouts != null ? rollouts.mean() : -valLoss, record, tmp -> {
                    PolicyFile.save(tmp.resolve(POLICY), policy);
                    saveState(tmp.resolve(TRAIN_STATE), params, adam, ema, e);
                });
                if (!run.best().equals(before)) copyBestPolicy(run);
            }
            String score = !cfg.eval().on() ? String.format(Locale.ROOT, "val %.4f (best %.4f)", valLoss, -run.bestScore())
                    : String.format(Locale.ROOT, "val %.4f | %s %s (best %s)", valLoss, successReward ? "success" : "return",
                    rollouts == null ? "-" : String.format(Locale.ROOT, "%.3f", rollouts.mean()),
                    run.best().isPresent() ? String.format(Locale.ROOT, "%.3f", run.bestScore()) : "-");
            bar.update(epoch * perEpoch, String.format(Locale.ROOT, "epoch %d/%d | loss %.4f | %s", epoch, tc.epochs(),
                    sLoss / perEpoch, score), true);
            if (outOfBudget) {
                stoppedAt = epoch;
                break;
            }
        }
        bar.finish();
        if (run.best().isPresent()) copyBestPolicy(run); // also repairs a copy a kill after publish left stale
        var best = run.best().orElseThrow(() -> new IllegalStateException("no checkpoint was published"));
        if (stoppedAt > 0) { // unfinished: no summary.json, so every tool takes the run for one to resume
            log.printf(Locale.ROOT, "dmpo pretrain: session budget (%s) reached after epoch %d of %d; continue with --resume --out %s%n",
                    budgetText(tc), stoppedAt, tc.epochs(), dir);
            return new Result(dir.resolve(POLICY), Double.NaN, cfg.eval().on() ? run.bestScore() : Double.NaN, best.iteration(), stoppedAt,
                    (System.nanoTime() - t0) / 1e9, false);
        }
        Map<String, Object> bestRecord = run.evals().stream().filter(r -> ((Number) r.get("iteration")).longValue() == best.iteration())
                .findFirst().orElseThrow(() -> new IllegalStateException("no evaluation record of " + best.name()));
        Result result = new Result(dir.resolve(POLICY), ((Number) bestRecord.get("val_loss")).doubleValue(),
                cfg.eval().on() ? run.bestScore() : Double.NaN, best.iteration(), tc.epochs(), (System.nanoTime() - t0) / 1e9, true);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("selected_by", !cfg.eval().on() ? "val_loss" : successReward ? "eval_success_rate" : "eval_return");
        summary.put("best_val_loss", result.bestValidationLoss());
        if (cfg.eval().on()) summary.put(successReward ? "best_eval_success_rate" : "best_eval_return", result.bestEval());
        summary.put("best_epoch", result.bestEpoch());
        summary.put("epochs", tc.epochs());
        summary.put("train_seconds", run.metrics().stream().mapToDouble(m -> ((Number) m.get("epoch_seconds")).doubleValue()).sum());
        summary.put("policy", POLICY);
        AtomicFiles.writeString(dir.resolve("summary.json"), Json.write(summary) + "\n");
        return result;
    }

    private void putEval(Map<String, Object> m, Evaluator.Episodes r) {
        r.record(m, successReward, cfg.eval().seed());
        m.put("eval_steps", cfg.evalSteps());
    }

    private Map<String, Object> provenance() {
        Map<String, Object> p = new LinkedHashMap<>(provenance);
        p.put("config", cfg.resolved());
        p.put("seed", cfg.seed());
        return p;
    }

    private Map<String, Object> runConfig(Dataset train, Dataset val) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", "dmpo-pretrain");
        c.put("config", cfg.resolved());
        c.put("provenance", provenance);
        c.put("train_transitions", train.size());
        c.put("validation_transitions", val == null ? 0 : val.size());
        c.put("threads", cfg.threads());
        c.put("java", System.getProperty("java.version"));
        return c;
    }

    private WindowSampler windows(Dataset d, MinMaxNormalizer obsNorm, MinMaxNormalizer actNorm) {
        float[] obs = d.observations().clone();
        FlowPolicy.normalizeObservations(obs, cfg.network().imageSize(), obsNorm, d.obsDim());
        return new WindowSampler(d, obs, actNorm.normalize(d.actions().clone()), cfg.condSteps(), cfg.horizon());
    }

    /** The columns after the image prefix of each row (all columns for state observations). */
    static float[] nonImageColumns(float[] rows, int width, int image) {
        if (image == 0) return rows;
        int n = rows.length / width, rest = width - image;
        float[] out = new float[n * rest];
        for (int i = 0; i < n; i++) System.arraycopy(rows, i * width + image, out, i * rest, rest);
        return out;
    }

    /** Mean objective over fixed windows with fixed noise (the same every epoch), no gradients. */
    private double validate(MeanFlowActor model, WindowSampler windows, PretrainConfig.Train tc) {
        SplittableRandom pick = new SplittableRandom(mix(cfg.seed(), -1)), noise = new SplittableRandom(mix(cfg.seed(), -2));
        int b = tc.batchSize();
        float[] o = new float[b * windows.obsWidth()], a = new float[b * windows.actWidth()];
        double s = 0;
        for (int k = 0; k < tc.valBatches(); k++) {
            windows.sample(b, pick, o, a);
            s += cfg.objective().apply(model, new Tensor(o, 0, b, windows.obsWidth()), new Tensor(a, 0, b, windows.actWidth()),
                    noise, false).flow();
        }
        return s / tc.valBatches();
    }

    /** The session budget as the config states it ("train.budget_minutes 30", "train.budget_updates 5000", or both). */
    static String budgetText(PretrainConfig.Train tc) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        if (tc.budgetMinutes() > 0) parts.add("train.budget_minutes " + tc.budgetMinutes());
        if (tc.budgetUpdates() > 0) parts.add("train.budget_updates " + tc.budgetUpdates());
        return String.join(", ", parts);
    }

    private static void copyBestPolicy(RunDirectory run) throws IOException {
        Path src = run.best().orElseThrow().path().resolve(POLICY);
        byte[] bytes = Files.readAllBytes(src);
        AtomicFiles.write(run.dir().resolve(POLICY), out -> out.write(bytes));
    }

    static long mix(long seed, long epoch) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 29);
    }

    private static void saveState(Path file, List<Param> params, AdamW adam, Ema ema, long epoch) throws IOException {
        Map<String, SafeTensors.Float32> t = new LinkedHashMap<>();
        float[][] m = adam.firstMoments(), v = adam.secondMoments(), sh = ema.shadow();
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            long[] shape = {p.size()};
            t.put("param." + p.name, new SafeTensors.Float32(shape, p.value));
            t.put("adam.m." + p.name, new SafeTensors.Float32(shape, m[i]));
            t.put("adam.v." + p.name, new SafeTensors.Float32(shape, v[i]));
            t.put("ema." + p.name, new SafeTensors.Float32(shape, sh[i]));
        }
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("epoch", epoch);
        st.put("adam_steps", adam.steps());
        SafeTensors.write(file, t, Map.of("dmpo.train_state", Json.write(st)));
    }

    /** Restores parameters, Adam moments and step count, and the EMA from a checkpoint; returns its epoch. */
    @SuppressWarnings("unchecked")
    private static long restore(Path checkpoint, List<Param> params, AdamW adam, Ema ema) throws IOException {
        Path f = checkpoint.resolve(TRAIN_STATE);
        SafeTensors st = SafeTensors.read(f);
        float[][] m = adam.firstMoments(), v = adam.secondMoments(), sh = ema.shadow();
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            copy(st, "param." + p.name, p.value, f);
            copy(st, "adam.m." + p.name, m[i], f);
            copy(st, "adam.v." + p.name, v[i], f);
            copy(st, "ema." + p.name, sh[i], f);
        }
        String meta = st.metadata().get("dmpo.train_state");
        if (meta == null) throw new SafeTensors.SafeTensorsException(f + ": no dmpo.train_state metadata");
        Map<String, Object> s = (Map<String, Object>) Json.parse(meta);
        adam.setSteps(((Number) s.get("adam_steps")).longValue());
        return ((Number) s.get("epoch")).longValue();
    }

    private static void copy(SafeTensors st, String name, float[] into, Path f) throws IOException {
        SafeTensors.Entry e = st.tensors().get(name);
        if (e == null || e.elements() != into.length) {
            throw new SafeTensors.SafeTensorsException(f + ": tensor '" + name + "' missing or of the wrong size (a checkpoint of another architecture?)");
        }
        float[] x = e.floats();
        for (float y : x) if (!Float.isFinite(y)) throw new SafeTensors.SafeTensorsException(f + ": '" + name + "' holds " + y);
        System.arraycopy(x, 0, into, 0, into.length);
    }

    private static float min(float[] x) {
        float m = Float.POSITIVE_INFINITY;
        for (float v : x) m = Math.min(m, v);
        return m;
    }

    private static float max(float[] x) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : x) m = Math.max(m, v);
        return m;
    }
}
