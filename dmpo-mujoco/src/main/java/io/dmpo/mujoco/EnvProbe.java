package io.dmpo.mujoco;

import io.dmpo.env.Env;
import io.dmpo.env.StepResult;
import io.dmpo.env.VectorEnv;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code dmpo env check} and {@code dmpo env bench} measure (docs/env-bench.md): random-action rollouts with a
 * determinism check, physics throughput against {@code mujoco-testspeed} on the same model in the same run, and camera
 * frame time against a C loop of the same calls. Every result is a record; {@code toMap()} is its JSON row.
 */
public final class EnvProbe {
    private EnvProbe() {}

    /** A measurement that could not be made (a non-deterministic env, a failing {@code mujoco-testspeed}). */
    public static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    /** Random-action rollouts of one task: sizes, speed, episodes and the determinism checksum. */
    public record Check(String task, Camera camera, int obsDim, int actDim, int frameSkip, double dt, int envs, int threads,
                        int stepsPerEnv, long envStepsPerSecond, long mujocoStepsPerSecond, int episodes, Double meanEpisodeLength,
                        Double meanEpisodeReturn, int instabilities, long checksum) {
        public Map<String, Object> toMap() {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("task", task);
            if (camera.pixels()) r.put("camera", camera.toString());
            r.put("obs_dim", obsDim);
            r.put("act_dim", actDim);
            r.put("frame_skip", frameSkip);
            r.put("dt", dt);
            r.put("envs", envs);
            r.put("threads", threads);
            r.put("steps_per_env", stepsPerEnv);
            r.put("env_steps_per_s", envStepsPerSecond);
            r.put("mujoco_steps_per_s", mujocoStepsPerSecond);
            r.put("episodes", episodes);
            r.put("mean_episode_length", meanEpisodeLength);
            r.put("mean_episode_return", meanEpisodeReturn);
            r.put("instabilities", instabilities);
            r.put("checksum", String.format("%016x", checksum));
            r.put("deterministic", true); // a check that is not deterministic is a Failure, never a row
            r.put("mujoco_version", MuJoCo.version());
            return r;
        }
    }

    /**
     * Random-action rollouts of {@code envs} envs of {@code task} for {@code steps} steps each on {@code threads}
     * threads, plus a determinism check (one env, same seed twice, identical observation checksum). Actions: uniform in
     * the bounds, or N(0, noise²) clipped when {@code noise > 0}.
     */
    public static Check check(Tasks.Task task, Camera camera, int steps, int envs, int threads, long seed, double noise) {
        if (steps < 1 || envs < 1 || threads < 1) throw new IllegalArgumentException("steps, envs and threads must be >= 1");
        List<Env> list = new ArrayList<>();
        try {
            for (int i = 0; i < envs; i++) list.add(task.make(camera));
        } catch (RuntimeException e) { // e.g. a renderer that cannot be made: close what was made
            for (Env made : list) made.close();
            throw e;
        }
        Env first = list.get(0);
        double[] lo = first.actionLow(), hi = first.actionHigh();
        int obsDim = first.obsDim(), actDim = first.actDim(), frameSkip = frameSkipOf(first);
        double dt = first.dt();
        double elapsed;
        List<VectorEnv.Episode> episodes;
        int errors;
        try (VectorEnv venv = new VectorEnv(list, threads)) {
            SplittableRandom[] rngs = new SplittableRandom[envs];
            for (int i = 0; i < envs; i++) rngs[i] = new SplittableRandom(seed * 1_000_003L + i + 17);
            double[][] act = new double[envs][actDim];
            venv.reset(seed);
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                for (int i = 0; i < envs; i++) randomAction(act[i], lo, hi, rngs[i], noise);
                venv.step(act);
            }
            elapsed = (System.nanoTime() - t0) / 1e9;
            episodes = venv.drainEpisodes();
            errors = venv.instabilities();
        }
        long total = (long) steps * envs;
        long c1 = checksum(task, camera, seed, Math.min(steps, 300)), c2 = checksum(task, camera, seed, Math.min(steps, 300));
        if (c1 != c2) {
            throw new Failure("determinism check failed for " + task.name() + ": checksums " + Long.toHexString(c1) + " != " + Long.toHexString(c2));
        }
        return new Check(task.name(), camera, obsDim, actDim, frameSkip, dt, envs, threads, steps, Math.round(total / elapsed),
                Math.round(total * (double) frameSkip / elapsed), episodes.size(),
                episodes.isEmpty() ? null : round3(episodes.stream().mapToInt(VectorEnv.Episode::length).average().orElse(0)),
                episodes.isEmpty() ? null : round3(episodes.stream().mapToDouble(VectorEnv.Episode::ret).average().orElse(0)),
                errors, c1);
    }

    /** Hash of every observation's exact bits over a seeded random-action rollout of one env. */
    public static long checksum(Tasks.Task task, Camera camera, long seed, int steps) {
        try (Env env = task.make(camera)) {
            double[] lo = env.actionLow(), hi = env.actionHigh();
            SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
            long h = 0x9E3779B97F4A7C15L;
            double[] obs = env.reset(seed);
            double[] a = new double[env.actDim()];
            for (int s = 0; s < steps; s++) {
                for (double v : obs) h = mix(h ^ Double.doubleToLongBits(v));
                randomAction(a, lo, hi, rng, 0);
                StepResult r = env.step(a);
                h = mix(h ^ Double.doubleToLongBits(r.reward()));
                obs = r.done() ? env.reset() : r.obs();
            }
            for (double v : obs) h = mix(h ^ Double.doubleToLongBits(v));
            return h;
        }
    }

    /** Uniform in the bounds (±1 where unbounded), or N(0, noise²) clipped to them when {@code noise > 0}. */
    public static void randomAction(double[] a, double[] lo, double[] hi, SplittableRandom rng, double noise) {
        for (int k = 0; k < a.length; k++) {
            double l = Double.isFinite(lo[k]) ? lo[k] : -1, h = Double.isFinite(hi[k]) ? hi[k] : 1;
            double v = noise > 0 ? noise * rng.nextGaussian() : l + rng.nextDouble() * (h - l);
            a[k] = Math.max(l, Math.min(h, v));
        }
    }

    /** Physics steps per env step. */
    public static int frameSkipOf(Env env) {
        if (env instanceof MujocoEnv m) return m.frameSkip();
        if (env instanceof CameraEnv c) return c.inner().frameSkip();
        return ArmEnv.PHYSICS_STEPS_PER_ACTION;
    }

    /** Physics throughput of one task at one thread count, best of the repeats, next to mujoco-testspeed's. */
    public record Throughput(String task, int threads, int frameSkip, int envs, long envStepsPerSecond, long mujocoStepsPerSecond,
                             OptionalDouble testspeedStepsPerSecond) {
        public Map<String, Object> toMap() {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("task", task);
            r.put("threads", threads);
            r.put("frame_skip", frameSkip);
            r.put("envs", envs);
            r.put("env_steps_per_s", envStepsPerSecond);
            r.put("mujoco_steps_per_s", mujocoStepsPerSecond);
            r.put("testspeed_steps_per_s", testspeedStepsPerSecond.isPresent() ? Math.round(testspeedStepsPerSecond.getAsDouble()) : null);
            r.put("ratio_vs_testspeed", testspeedStepsPerSecond.isPresent()
                    ? round3(mujocoStepsPerSecond / testspeedStepsPerSecond.getAsDouble()) : null);
            return r;
        }
    }

    /**
     * Env steps/s of {@code task} with 1 and 2 threads ({@code envsPerThread} envs each) against
     * {@code mujoco-testspeed} on the same model file, alternating the two and keeping the best of {@code repeats}
     * (the machine may be shared). {@code label} names the task in the rows (the spec as typed).
     */
    public static List<Throughput> physicsThroughput(String label, Tasks.Task task, int physicsSteps, int envsPerThread,
                                                     int repeats, double ctrlNoise) throws IOException {
        if (task.kind() == Tasks.Kind.MANIPULATION) {
            throw new IllegalArgumentException("'" + task.name() + "' is a manipulation task: physics benchmarks are for the "
                    + "locomotion tasks and mjcf: robots (env bench --render measures its cameras)");
        }
        int fs;
        try (Env probe = task.make()) {
            fs = frameSkipOf(probe);
        }
        Path file = modelFile(task);
        int envSteps = Math.max(1, physicsSteps / fs);
        check(task, Camera.NONE, Math.max(1, envSteps / 4), 2, 2, 0, ctrlNoise); // JIT warm-up, not timed
        List<Throughput> rows = new ArrayList<>();
        for (int th : new int[] {1, 2}) {
            long bestEnv = 0, bestMj = 0;
            OptionalDouble ts = OptionalDouble.empty();
            for (int rep = 0; rep < repeats; rep++) {
                Check ours = check(task, Camera.NONE, Math.max(1, envSteps / envsPerThread), th * envsPerThread, th, rep, ctrlNoise);
                if (ours.envStepsPerSecond() > bestEnv) {
                    bestEnv = ours.envStepsPerSecond();
                    bestMj = ours.mujocoStepsPerSecond();
                }
                OptionalDouble x = testspeed(file, (long) envSteps * fs, th, ctrlNoise);
                if (x.isPresent() && (ts.isEmpty() || x.getAsDouble() > ts.getAsDouble())) ts = x;
            }
            rows.add(new Throughput(label, th, fs, th * envsPerThread, bestEnv, bestMj, ts));
        }
        return rows;
    }

    /** The model file for mujoco-testspeed: the user's file, or the task's resource written to a temporary file. */
    private static Path modelFile(Tasks.Task task) throws IOException {
        if (task.kind() == Tasks.Kind.MJCF) return task.model().path();
        try (var in = Tasks.class.getResourceAsStream(task.resource())) {
            if (in == null) throw new IOException("missing resource " + task.resource());
            Path tmp = Files.createTempFile("dmpo-" + task.name(), ".xml");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        }
    }

    private static final Pattern TOTAL = Pattern.compile("Total steps per second\\s*:\\s*([0-9.]+)");
    private static final Pattern SINGLE = Pattern.compile("Steps per second\\s*:\\s*([0-9.]+)");

    /** Whether {@code mujoco-testspeed} (Debian's libmujoco-samples) is on the PATH. */
    public static boolean testspeedInstalled() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "mujoco-testspeed"))) return true;
        }
        return false;
    }

    /**
     * Runs mujoco-testspeed: total steps/s over all threads; empty when it is not installed. A run that fails, hangs
     * or prints no rate is a {@link Failure}, not a missing number.
     */
    public static OptionalDouble testspeed(Path model, long nstep, int nthread, double noise) {
        if (!testspeedInstalled()) return OptionalDouble.empty();
        Path work = null;
        try {
            work = Files.createTempDirectory("dmpo-testspeed"); // MuJoCo may write MUJOCO_LOG.TXT: never into the user's directory
            Process p = new ProcessBuilder("mujoco-testspeed", model.toAbsolutePath().toString(), Long.toString(nstep),
                    Integer.toString(nthread), Double.toString(noise)).redirectErrorStream(true).directory(work.toFile()).start();
            p.getOutputStream().close();
            StringBuilder out = new StringBuilder();
            try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = br.readLine()) != null) out.append(line).append('\n');
            }
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new Failure("mujoco-testspeed " + model + " did not finish in 600 s");
            }
            Matcher m = (nthread > 1 ? TOTAL : SINGLE).matcher(out);
            if (!m.find()) {
                throw new Failure("mujoco-testspeed " + model + " printed no rate (exit " + p.exitValue() + "): "
                        + out.toString().strip().replaceAll("\\s*\\R\\s*", "; "));
            }
            return OptionalDouble.of(Double.parseDouble(m.group(1)));
        } catch (IOException e) {
            throw new Failure("cannot run mujoco-testspeed: " + io.dmpo.io.AtomicFiles.describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted while running mujoco-testspeed");
        } finally {
            if (work != null) deleteTree(work);
        }
    }

    /** Removes the testspeed scratch directory; a file that will not go is said once on stderr, not ignored. */
    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        } catch (IOException e) {
            System.err.println("dmpo env bench: cannot remove " + dir + ": " + io.dmpo.io.AtomicFiles.describe(e));
        }
    }

    /** Camera frame time from Java against the same calls in a C loop. */
    public record RenderTiming(String task, Camera camera, double javaMsPerFrame, double cMsPerFrame, int frames) {
        public Map<String, Object> toMap() {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("task", task);
            row.put("camera", camera.toString());
            row.put("java_ms_per_frame", round3(javaMsPerFrame));
            row.put("c_ms_per_frame", round3(cMsPerFrame));
            row.put("ratio_vs_c", round3(cMsPerFrame / javaMsPerFrame));
            row.put("frames", frames);
            return row;
        }
    }

    /**
     * ms per frame of {@link Renderer#render} + copying the image out, from Java, against the same calls in a C loop
     * on the same renderer, same state, interleaved rounds; best round of each.
     */
    public static RenderTiming renderTiming(Tasks.Task task, Camera camera, int frames, int repeats) {
        if (frames < 1 || repeats < 1) throw new IllegalArgumentException("frames and repeats must be >= 1");
        try (Env env = task.make(Camera.NONE)) {
            env.reset(0);
            MjModel m = env instanceof MujocoEnv me ? me.model() : ((ArmEnv) env).model();
            MjData d = env instanceof MujocoEnv me ? me.data() : ((ArmEnv) env).data();
            int cam = Renderer.cameraId(m, camera.name());
            try (Renderer r = Renderer.open(m, camera.width(), camera.height(), true, false)) {
                byte[] out = new byte[r.rgbSize()];
                for (int i = 0; i < 50; i++) { // warm-up: JIT, first frames
                    r.render(d, cam);
                    r.copyRgb(out, 0);
                }
                r.cLoopSeconds(d, cam, 50);
                double bestJava = Double.MAX_VALUE, bestC = Double.MAX_VALUE;
                for (int rep = 0; rep < repeats; rep++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < frames; i++) {
                        r.render(d, cam);
                        r.copyRgb(out, 0);
                    }
                    bestJava = Math.min(bestJava, (System.nanoTime() - t0) / 1e9);
                    bestC = Math.min(bestC, r.cLoopSeconds(d, cam, frames));
                }
                return new RenderTiming(task.name(), camera, 1e3 * bestJava / frames, 1e3 * bestC / frames, frames);
            }
        }
    }

    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
