package io.dmpo.env;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import io.dmpo.nn.Parallel;

/**
 * N environments stepped in parallel in T contiguous slices: slice 0 on the calling thread, the others on the engine's
 * worker pool ({@link Parallel#runSlices}), the same threads that run the network kernels, so envs and kernels never
 * compete for more threads than the cores given. Each env is stepped by one thread at a time (its slice), with the
 * pool's happens-before edges between calls. Auto-reset: when an
 * episode ends, the returned observation is the first one of the next episode, and the last observation of the
 * finished episode is in {@link Step#finalObs()}. Finished episodes (return, length) accumulate until
 * {@link #drainEpisodes()}.
 *
 * <p>A physics instability in one env's step (an exception implementing {@link PhysicsInstability}) does not stop
 * the others: that env's episode is recorded as truncated with the reward so far (its {@code finalObs} is an empty
 * array: the state is lost), the env is reset, and {@link #instabilities()} counts it. Any other exception from an
 * env (a NaN or wrong-length action, a bug) propagates out of {@link #step}: a diverging policy stops the run
 * instead of training on silently.
 */
public final class VectorEnv implements AutoCloseable {
    /** One finished episode. */
    public record Episode(int env, double ret, int length, boolean terminated) {}

    /** Result of a vector step; arrays are indexed by env. {@code finalObs[i]} is non-null iff env i's episode ended. */
    public record Step(double[][] obs, double[] rewards, boolean[] terminated, boolean[] truncated, double[][] finalObs) {}

    private final Env[] envs;
    private final int threads;
    private volatile boolean shutdown;
    private final int obsDim, actDim;
    private final double[] epReturn;
    private final int[] epLength;
    private final List<Episode> finished = new ArrayList<>();
    private final AtomicInteger instabilities = new AtomicInteger();
    private volatile String lastError;
    private long totalSteps, lastEnvSteps;

    public VectorEnv(List<? extends Env> envs, int threads) {
        if (envs.isEmpty()) throw new IllegalArgumentException("need at least one env");
        this.envs = envs.toArray(new Env[0]);
        this.threads = Math.max(1, Math.min(threads, envs.size()));
        this.obsDim = this.envs[0].obsDim();
        this.actDim = this.envs[0].actDim();
        for (Env e : this.envs) {
            if (e.obsDim() != obsDim || e.actDim() != actDim) throw new IllegalArgumentException("envs differ in dims");
        }
        epReturn = new double[this.envs.length];
        epLength = new int[this.envs.length];
    }

    /** Makes {@code n} envs with {@code factory} (called on this thread, in order). */
    public static VectorEnv of(int n, int threads, IntFunction<? extends Env> factory) {
        List<Env> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) list.add(factory.apply(i));
        return new VectorEnv(list, threads);
    }

    public int numEnvs() { return envs.length; }
    public int threads() { return threads; }
    public int obsDim() { return obsDim; }
    public int actDim() { return actDim; }
    public Env env(int i) { return envs[i]; }
    /** Episodes ended by a physics instability so far. */
    public int instabilities() { return instabilities.get(); }
    /** The message of the latest instability (null if none). */
    public String lastInstability() { return lastError; }
    /** Env (simulator) steps taken by {@link #step} so far, all envs; an action chunk counts its executed steps. */
    public long totalSteps() { return totalSteps; }
    /** Env steps the last {@link #step} executed, all envs. */
    public long lastEnvSteps() { return lastEnvSteps; }

    private int from(int slice) { return (int) ((long) envs.length * slice / threads); }

    /** Resets every env; env {@code i} gets seed {@code seed + i}. Clears running episode counters. */
    public double[][] reset(long seed) {
        double[][] obs = new double[envs.length][];
        run(slice -> () -> {
            for (int i = from(slice); i < from(slice + 1); i++) {
                obs[i] = envs[i].reset(seed + i);
                epReturn[i] = 0;
                epLength[i] = 0;
            }
        });
        return obs;
    }

    /** Steps every env with {@code actions[i]}; auto-resets finished episodes. */
    public Step step(double[][] actions) {
        if (actions.length != envs.length) {
            throw new IllegalArgumentException("got " + actions.length + " actions for " + envs.length + " envs");
        }
        double[][] obs = new double[envs.length][];
        double[] rew = new double[envs.length];
        boolean[] term = new boolean[envs.length], trunc = new boolean[envs.length];
        double[][] fin = new double[envs.length][];
        Episode[] ended = new Episode[envs.length];
        int[] stepped = new int[envs.length];
        run(slice -> () -> {
            for (int i = from(slice); i < from(slice + 1); i++) {
                StepResult r;
                try {
                    r = envs[i].step(actions[i]);
                } catch (RuntimeException e) {
                    if (!(e instanceof PhysicsInstability)) throw e;
                    instabilities.incrementAndGet();
                    lastError = "env " + i + ": " + e.getMessage();
                    r = new StepResult(new double[0], 0, false, true); // finalObs: empty, the state is lost
                }
                stepped[i] = r.obs().length == 0 ? 1 : envs[i].lastEnvSteps(); // a lost (unstable) step counts once
                rew[i] = r.reward();
                term[i] = r.terminated();
                trunc[i] = r.truncated();
                epReturn[i] += r.reward();
                epLength[i] += stepped[i]; // env steps (an action chunk counts what it executed)
                if (r.done()) {
                    ended[i] = new Episode(i, epReturn[i], epLength[i], r.terminated());
                    fin[i] = r.obs();
                    epReturn[i] = 0;
                    epLength[i] = 0;
                    obs[i] = envs[i].reset();
                } else {
                    obs[i] = r.obs();
                }
            }
        });
        long executed = 0;
        for (int i = 0; i < envs.length; i++) executed += stepped[i];
        lastEnvSteps = executed;
        totalSteps += executed;
        synchronized (finished) {
            for (Episode e : ended) if (e != null) finished.add(e);
        }
        return new Step(obs, rew, term, trunc, fin);
    }

    /** Episodes finished since the last call, in env order per step. */
    public List<Episode> drainEpisodes() {
        synchronized (finished) {
            List<Episode> out = new ArrayList<>(finished);
            finished.clear();
            return out;
        }
    }

    /** Runs {@code job.apply(slice)} for every slice: slice 0 on this thread, the others on the workers. */
    /**
     * Runs one job per slice of envs on {@link Parallel}'s pool (the one the kernels use: one pool, no oversubscription);
     * the first failure in slice order is rethrown as it was thrown (its type matters: {@link PhysicsInstability}).
     */
    private void run(IntFunction<Runnable> job) {
        if (shutdown) throw new IllegalStateException("VectorEnv is closed");
        Runnable[] js = new Runnable[threads];
        for (int s = 0; s < threads; s++) js[s] = job.apply(s);
        RuntimeException[] failures = new RuntimeException[threads];
        Parallel.runSlices(threads, s -> {
            try {
                js[s].run();
            } catch (RuntimeException e) {
                failures[s] = e;
            }
        });
        for (RuntimeException f : failures) if (f != null) throw f;
    }

    /** Closes every env. */
    @Override
    public void close() {
        if (shutdown) return;
        shutdown = true;
        for (Env e : envs) e.close();
    }
}
