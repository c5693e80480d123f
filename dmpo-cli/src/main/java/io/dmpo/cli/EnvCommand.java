package io.dmpo.cli;

import io.dmpo.env.Env;
import io.dmpo.env.StepResult;
import io.dmpo.mujoco.Camera;
import io.dmpo.mujoco.Renderer;
import io.dmpo.env.VectorEnv;
import io.dmpo.mujoco.MjModel;
import io.dmpo.mujoco.ModelFacts;
import io.dmpo.mujoco.MuJoCo;
import io.dmpo.mujoco.MujocoEnv;
import io.dmpo.mujoco.MujocoException;
import io.dmpo.mujoco.Tasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code dmpo env ...}: list, check and benchmark MuJoCo environments. */
@Command(name = "env", mixinStandardHelpOptions = true,
        description = "MuJoCo environments: list the tasks, check a task or any MJCF robot, benchmark against mujoco-testspeed, "
                + "print or compare a model's compiled physical parameters.",
        subcommands = {EnvCommand.ListCmd.class, EnvCommand.CheckCmd.class, EnvCommand.BenchCmd.class,
                EnvCommand.FactsCmd.class, EnvCommand.CompareCmd.class})
public final class EnvCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    // ---------------------------------------------------------------------------------------------------- list
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the built-in tasks (Gymnasium-v4 semantics).")
    static final class ListCmd implements Runnable {
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        public void run() {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Tasks.Task t : Tasks.all()) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("name", t.name());
                r.put("obs_dim", userErrors(() -> t.observation(Camera.NONE).dim()));
                r.put("act_dim", t.actDim());
                r.put("frame_skip", (int) Math.round(t.controlDt() / t.model().timestep));
                r.put("dt", t.controlDt());
                rows.add(r);
            }
            if (json) {
                System.out.println(io.dmpo.io.Json.write(rows));
            } else {
                System.out.printf("%-12s %7s %7s %10s %8s%n", "name", "obs_dim", "act_dim", "frame_skip", "dt");
                for (var r : rows) {
                    System.out.printf(Locale.ROOT, "%-12s %7d %7d %10d %8.4f%n", r.get("name"), r.get("obs_dim"),
                            r.get("act_dim"), r.get("frame_skip"), (double) r.get("dt"));
                }
                System.out.println("plus mjcf:<path> for any MJCF robot (obs = qpos, qvel; action = actuator ctrlrange)");
                System.out.println("lift and can: robot-arm manipulation (7-d end-effector action at 20 Hz, sparse success reward);"
                        + " --camera NAME --image WxH for pixel observations (arm cameras: agentview, wrist, sideview)");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- check
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Random-action rollouts: dimensions, speed, episode lengths and a determinism check.")
    static final class CheckCmd implements Runnable {
        @Parameters(paramLabel = "<task|mjcf:path>", description = "a task name (see 'env list') or mjcf:<path to an MJCF file>")
        String task;
        @Option(names = "--steps", description = "env steps per env (default: ${DEFAULT-VALUE})")
        int steps = 2000;
        @Option(names = "--envs", description = "number of envs (default: ${DEFAULT-VALUE})")
        int envs = 1;
        @Option(names = "--threads", description = "threads stepping the envs (default: ${DEFAULT-VALUE})")
        int threads = 1;
        @Option(names = "--seed", description = "seed (default: ${DEFAULT-VALUE})")
        long seed = 0;
        @Option(names = "--frame-skip", description = "frame skip for mjcf: robots (default: ${DEFAULT-VALUE})")
        int frameSkip = 5;
        @Option(names = "--camera", description = "observe through this camera (a name in the model, or free): pixel observations")
        String camera;
        @Option(names = "--image", description = "image size WIDTHxHEIGHT with --camera (default: 96x96)")
        String image;
        @Option(names = "--frame", description = "with --camera: write the first observation's image to this PNG file")
        Path frame;
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        public void run() {
            if (steps < 1 || envs < 1 || threads < 1) throw new UserError("--steps, --envs and --threads must be >= 1", 2);
            Camera cam = camera(camera, image);
            if (frame != null && !cam.pixels()) throw new UserError("--frame needs --camera", 2);
            String problem = frame == null ? null : io.dmpo.io.AtomicFiles.outputProblem(frame, true);
            if (problem != null) throw new UserError(problem, 2); // before the rollouts, not after
            Map<String, Object> r = check(task, cam, steps, envs, threads, seed, frameSkip, 0);
            if (frame != null) {
                try (Env env = make(task, cam, frameSkip)) {
                    double[] o = env.reset(seed);
                    writePng(frame, o, cam);
                }
                r.put("frame", frame.toString());
            }
            print(r, json);
        }
    }

    // ---------------------------------------------------------------------------------------------------- facts
    @Command(name = "facts", mixinStandardHelpOptions = true,
            description = "Print a model's compiled physical parameters (masses, inertias, friction, contact bits, damping, "
                    + "gears, options), one tab-separated fact per line: the format of the tests' Gymnasium reference table.")
    static final class FactsCmd implements Runnable {
        @Parameters(paramLabel = "<task|mjcf:path>", description = "a task name (see 'env list') or mjcf:<path to an MJCF file>")
        String task;

        @Override
        public void run() {
            for (ModelFacts.Fact f : ModelFacts.of(model(task))) System.out.println(f.line());
        }
    }

    // ---------------------------------------------------------------------------------------------------- compare
    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = "Compile two models and list every physical parameter that differs (e.g. a task against "
                    + "Gymnasium's own model file). Exit 0 when they match, 1 when they differ.")
    static final class CompareCmd implements java.util.concurrent.Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<task|mjcf:path>", description = "the model to check")
        String ours;
        @Parameters(index = "1", paramLabel = "<task|mjcf:path>", description = "the reference model")
        String reference;
        @Option(names = "--rtol", description = "relative tolerance (default: ${DEFAULT-VALUE})")
        double rtol = 1e-9;

        @Override
        public Integer call() {
            if (!(rtol >= 0 && rtol < 1)) throw new UserError("--rtol must be in [0, 1), got " + rtol, 2);
            List<String> diffs = ModelFacts.differences(ModelFacts.of(model(ours)), ModelFacts.of(model(reference)), rtol);
            for (String d : diffs) System.out.println(d);
            System.out.println(diffs.isEmpty() ? "models match" : diffs.size() + " differences");
            return diffs.isEmpty() ? 0 : 1;
        }
    }

    // ---------------------------------------------------------------------------------------------------- bench
    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Env steps/s with 1 and 2 threads vs mujoco-testspeed on the same model, in the same run.")
    static final class BenchCmd implements Runnable {
        @Parameters(paramLabel = "<task|mjcf:path>", arity = "0..*",
                description = "tasks to benchmark (default: hopper and mjcf:/usr/share/mujoco/model/humanoid/humanoid.xml)")
        List<String> tasks = new ArrayList<>(List.of("hopper", "mjcf:/usr/share/mujoco/model/humanoid/humanoid.xml"));
        @Option(names = "--physics-steps", description = "mj_step calls per thread for each measurement (default: ${DEFAULT-VALUE})")
        int physicsSteps = 40_000;
        @Option(names = "--frame-skip", description = "frame skip for mjcf: robots (default: ${DEFAULT-VALUE})")
        int frameSkip = 5;
        @Option(names = "--ctrl-noise", description = "actions ~ N(0, noise^2), as mujoco-testspeed's ctrlnoise (default: ${DEFAULT-VALUE})")
        double ctrlNoise = 0.01;
        @Option(names = "--envs-per-thread", description = "envs stepped by each thread (default: ${DEFAULT-VALUE})")
        int envsPerThread = 4;
        @Option(names = "--repeats", description = "measurements per setting, best kept (default: ${DEFAULT-VALUE})")
        int repeats = 3;
        @Option(names = "--render", description = "benchmark camera frames instead (render + read, ms per frame) against a C loop "
                + "of the same calls in the same run; tasks default to lift (agentview) and hopper (free camera)")
        boolean render;
        @Option(names = "--camera", description = "with --render: camera name (default: agentview for lift/can, free otherwise)")
        String camera;
        @Option(names = "--image", description = "with --render: image size (default: ${DEFAULT-VALUE})")
        String image = "96x96";
        @Option(names = "--frames", description = "with --render: frames per measurement (default: ${DEFAULT-VALUE})")
        int frames = 300;
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        public void run() {
            if (repeats < 1 || physicsSteps < 1 || envsPerThread < 1 || frames < 1) {
                throw new UserError("--repeats, --physics-steps, --envs-per-thread and --frames must be >= 1", 2);
            }
            if (render) {
                List<String> list = tasks.equals(List.of("hopper", "mjcf:/usr/share/mujoco/model/humanoid/humanoid.xml"))
                        ? List.of("lift", "hopper") : tasks;
                List<Map<String, Object>> rows = new ArrayList<>();
                for (String t : list) {
                    String cam = camera != null ? camera : userErrors(() -> Tasks.of(t).defaultCamera());
                    rows.add(benchRender(t, camera(cam, image), frames, repeats, frameSkip));
                }
                if (json) {
                    System.out.println(io.dmpo.io.Json.write(rows));
                } else {
                    System.out.println("render + read one frame (lean settings, EGL surfaceless, Mesa llvmpipe); best of " + repeats
                            + " interleaved rounds of " + frames + " frames; ratio = C time / Java time (1 = C speed)");
                    System.out.printf("%-55s %-16s %12s %12s %8s%n", "task", "camera", "java_ms", "c_ms", "ratio");
                    for (var r : rows) {
                        System.out.printf(Locale.ROOT, "%-55s %-16s %12.3f %12.3f %8.3f%n", r.get("task"), r.get("camera"),
                                r.get("java_ms_per_frame"), r.get("c_ms_per_frame"), r.get("ratio_vs_c"));
                    }
                }
                return;
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String t : tasks) {
                MujocoEnv probe = make(t, frameSkip);
                int fs = probe.frameSkip();
                Path file = modelFile(t, probe.model());
                probe.close();
                int envSteps = Math.max(1, physicsSteps / fs);
                check(t, Math.max(1, envSteps / 4), 2, 2, 0, frameSkip, ctrlNoise); // JIT warm-up, not timed
                for (int th : new int[] {1, 2}) {
                    // alternate ours / testspeed, keep the best of each: the machine may be shared
                    long bestEnv = 0, bestMj = 0;
                    double ts = Double.NaN;
                    for (int rep = 0; rep < repeats; rep++) {
                        Map<String, Object> ours = check(t, Math.max(1, envSteps / envsPerThread), th * envsPerThread, th,
                                rep, frameSkip, ctrlNoise);
                        long e = ((Number) ours.get("env_steps_per_s")).longValue();
                        if (e > bestEnv) {
                            bestEnv = e;
                            bestMj = ((Number) ours.get("mujoco_steps_per_s")).longValue();
                        }
                        double x = testspeed(file, (long) envSteps * fs, th, ctrlNoise);
                        if (!Double.isNaN(x) && (Double.isNaN(ts) || x > ts)) ts = x;
                    }
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("task", t);
                    r.put("threads", th);
                    r.put("frame_skip", fs);
                    r.put("envs", th * envsPerThread);
                    r.put("env_steps_per_s", bestEnv);
                    r.put("mujoco_steps_per_s", bestMj);
                    r.put("testspeed_steps_per_s", Double.isNaN(ts) ? null : Math.round(ts));
                    r.put("ratio_vs_testspeed", Double.isNaN(ts) ? null : round3(bestMj / ts));
                    rows.add(r);
                }
            }
            for (int i = 1; i < rows.size(); i += 2) {
                double one = ((Number) rows.get(i - 1).get("env_steps_per_s")).doubleValue();
                double two = ((Number) rows.get(i).get("env_steps_per_s")).doubleValue();
                rows.get(i).put("speedup_vs_1_thread", round3(two / one));
            }
            String load;
            try {
                load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
            } catch (java.io.IOException | RuntimeException e) {
                load = "?";
            }
            for (var r : rows) {
                r.put("cpus", Runtime.getRuntime().availableProcessors());
                r.put("load_average_end", load);
            }
            if (json) {
                System.out.println(io.dmpo.io.Json.write(rows));
            } else {
                System.out.println("cpus " + Runtime.getRuntime().availableProcessors() + ", 1-min load average at the end "
                        + load + " (mujoco-testspeed " + (rows.isEmpty() || rows.get(0).get("testspeed_steps_per_s") == null
                        ? "not found" : "on the same model, same run, ctrlnoise " + ctrlNoise) + ")");
                System.out.printf("%-55s %7s %5s %14s %18s %21s %8s %8s%n", "task", "threads", "envs", "env_steps/s", "mujoco_steps/s",
                        "testspeed_steps/s", "ratio", "speedup");
                for (var r : rows) {
                    System.out.printf(Locale.ROOT, "%-55s %7d %5d %14s %18s %21s %8s %8s%n", r.get("task"), r.get("threads"),
                            r.get("envs"), r.get("env_steps_per_s"), r.get("mujoco_steps_per_s"), r.get("testspeed_steps_per_s"),
                            r.get("ratio_vs_testspeed"), r.getOrDefault("speedup_vs_1_thread", ""));
                }
            }
        }

        /** The model file for mujoco-testspeed: the user's file, or the task's resource written to a temp file. */
        private static Path modelFile(String t, MjModel m) {
            if (t.startsWith("mjcf:")) return m.path();
            Tasks.Task task = Tasks.of(t);
            try (var in = Tasks.class.getResourceAsStream(task.resource())) {
                Path tmp = Files.createTempFile("dmpo-" + task.name(), ".xml");
                tmp.toFile().deleteOnExit();
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                return tmp;
            } catch (java.io.IOException e) {
                throw new UserError("cannot write model file: " + e.getMessage(), 1);
            }
        }

        private static final Pattern TOTAL = Pattern.compile("Total steps per second\\s*:\\s*([0-9.]+)");
        private static final Pattern SINGLE = Pattern.compile("Steps per second\\s*:\\s*([0-9.]+)");

        /**
         * Runs mujoco-testspeed; total steps/s over all threads, NaN (said once on stderr) when it is not installed.
         * A run that fails or prints no rate is an error, not a missing number.
         */
        static double testspeed(Path model, long nstep, int nthread, double noise) {
            if (!onPath("mujoco-testspeed")) {
                if (!testspeedMissingSaid) System.err.println("dmpo env bench: mujoco-testspeed is not installed (apt-get install libmujoco-samples): no reference column");
                testspeedMissingSaid = true;
                return Double.NaN;
            }
            try {
                Process p = new ProcessBuilder("mujoco-testspeed", model.toString(), Long.toString(nstep),
                        Integer.toString(nthread), Double.toString(noise)).redirectErrorStream(true)
                        .directory(Files.createTempDirectory("dmpo-testspeed").toFile()).start();
                p.getOutputStream().close();
                StringBuilder out = new StringBuilder();
                try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = br.readLine()) != null) out.append(line).append('\n');
                }
                if (!p.waitFor(600, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new UserError("mujoco-testspeed " + model + " did not finish in 600 s", 1);
                }
                Matcher m = (nthread > 1 ? TOTAL : SINGLE).matcher(out);
                if (!m.find()) throw new UserError("mujoco-testspeed " + model + " printed no rate (exit " + p.exitValue() + "): " + oneLine(out.toString()), 1);
                return Double.parseDouble(m.group(1));
            } catch (java.io.IOException e) {
                throw new UserError("cannot run mujoco-testspeed: " + io.dmpo.io.AtomicFiles.describe(e), 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("interrupted while running mujoco-testspeed", 1);
            }
        }

        private static boolean testspeedMissingSaid;

        private static boolean onPath(String program) {
            String path = System.getenv("PATH");
            if (path == null) return false;
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
            }
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------------- shared
    static MjModel model(String spec) {
        return userErrors(() -> Tasks.of(spec).model());
    }

    /** Runs {@code make}, turning bad specs, models and camera names (2) and missing libraries (3) into one-line errors. */
    static <T> T userErrors(java.util.function.Supplier<T> make) {
        try {
            return make.get();
        } catch (MujocoException.LoadError e) {
            throw new UserError(oneLine(e.getMessage()), 2);
        } catch (MujocoException.Unavailable e) {
            throw new UserError(oneLine(e.getMessage()), 3);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }

    static MujocoEnv make(String spec, int frameSkip) {
        if (frameSkip < 1) throw new UserError("--frame-skip must be >= 1", 2);
        if (io.dmpo.mujoco.ArmTask.of(spec) != null) {
            throw new UserError("'" + spec + "' is a manipulation task: physics benchmarks are for the locomotion tasks and mjcf: "
                    + "robots (env bench --render measures its cameras)", 2);
        }
        if (frameSkip < 1) throw new UserError("--frame-skip must be >= 1", 2);
        return userErrors(() -> {
            Env e = Tasks.of(spec, frameSkip).make();
            if (e instanceof MujocoEnv m) return m;
            e.close();
            throw new IllegalArgumentException("'" + spec + "' is not a MuJoCo locomotion task or robot");
        });
    }

    static Camera camera(String name, String size) {
        try {
            return Camera.of(name, size);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
    }

    /** An env of any task spec through a camera; bad specs, models and camera names are one-line user errors. */
    static Env make(String spec, Camera camera, int frameSkip) {
        if (frameSkip < 1) throw new UserError("--frame-skip must be >= 1", 2);
        return userErrors(() -> Tasks.of(spec, frameSkip).make(camera));
    }

    /** Physics steps per env step. */
    static int frameSkipOf(Env env) {
        if (env instanceof MujocoEnv m) return m.frameSkip();
        if (env instanceof io.dmpo.mujoco.CameraEnv c) return c.inner().frameSkip();
        return io.dmpo.mujoco.ArmEnv.PHYSICS_STEPS_PER_ACTION;
    }

    /** Writes the image at the start of a pixel observation (C × H × W values 0..255) as a PNG, atomically. */
    static void writePng(Path file, double[] obs, Camera camera) {
        int w = camera.width(), h = camera.height(), plane = w * h;
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                img.setRGB(x, y, ((int) obs[i] << 16) | ((int) obs[plane + i] << 8) | (int) obs[2 * plane + i]);
            }
        }
        try {
            io.dmpo.io.AtomicFiles.write(file, out -> javax.imageio.ImageIO.write(img, "png", out));
        } catch (java.io.IOException e) {
            throw new UserError(file + ": cannot write: " + io.dmpo.io.AtomicFiles.describe(e), 1);
        }
    }

    /**
     * ms per frame of {@link Renderer#render} + copying the image out, from Java, against the same calls in a C loop
     * on the same renderer, same state, interleaved rounds; best round of each.
     */
    static Map<String, Object> benchRender(String task, Camera camera, int frames, int repeats, int frameSkip) {
        try (Env env = make(task, Camera.NONE, frameSkip)) {
            env.reset(0);
            MjModel m = env instanceof MujocoEnv me ? me.model() : ((io.dmpo.mujoco.ArmEnv) env).model();
            io.dmpo.mujoco.MjData d = env instanceof MujocoEnv me ? me.data() : ((io.dmpo.mujoco.ArmEnv) env).data();
            int cam;
            try {
                cam = Renderer.cameraId(m, camera.name());
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), 2);
            }
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
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("task", task);
                row.put("camera", camera.toString());
                row.put("java_ms_per_frame", round3(1e3 * bestJava / frames));
                row.put("c_ms_per_frame", round3(1e3 * bestC / frames));
                row.put("ratio_vs_c", round3(bestC / bestJava));
                row.put("frames", frames);
                return row;
            }
        } catch (MujocoException.Unavailable e) {
            throw new UserError(oneLine(e.getMessage()), 3);
        }
    }

    static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /**
     * Random-action rollouts of {@code envs} envs for {@code steps} steps each on {@code threads} threads, plus a
     * determinism check (one env, same seed twice, identical observation checksum). Actions: uniform in the bounds,
     * or N(0, noise²) clipped when {@code noise > 0}.
     */
    static Map<String, Object> check(String task, int steps, int envs, int threads, long seed, int frameSkip, double noise) {
        return check(task, Camera.NONE, steps, envs, threads, seed, frameSkip, noise);
    }

    static Map<String, Object> check(String task, Camera camera, int steps, int envs, int threads, long seed, int frameSkip, double noise) {
        Env first = make(task, camera, frameSkip);
        double[] lo = first.actionLow(), hi = first.actionHigh();
        List<Env> list = new ArrayList<>();
        list.add(first);
        try {
            for (int i = 1; i < envs; i++) list.add(make(task, camera, frameSkip));
        } catch (RuntimeException e) { // e.g. a renderer that cannot be made: close what was made
            for (Env made : list) made.close();
            throw e;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("task", task);
        if (camera.pixels()) r.put("camera", camera.toString());
        r.put("obs_dim", first.obsDim());
        r.put("act_dim", first.actDim());
        r.put("frame_skip", frameSkipOf(first));
        r.put("dt", first.dt());
        r.put("envs", envs);
        r.put("threads", threads);
        r.put("steps_per_env", steps);
        double elapsed;
        List<VectorEnv.Episode> episodes;
        int errors;
        try (VectorEnv venv = new VectorEnv(list, threads)) {
            SplittableRandom[] rngs = new SplittableRandom[envs];
            for (int i = 0; i < envs; i++) rngs[i] = new SplittableRandom(seed * 1_000_003L + i + 17);
            double[][] act = new double[envs][first.actDim()];
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
        r.put("env_steps_per_s", Math.round(total / elapsed));
        r.put("mujoco_steps_per_s", Math.round(total * (double) frameSkipOf(first) / elapsed));
        r.put("episodes", episodes.size());
        r.put("mean_episode_length", episodes.isEmpty() ? null
                : round3(episodes.stream().mapToInt(VectorEnv.Episode::length).average().orElse(0)));
        r.put("mean_episode_return", episodes.isEmpty() ? null
                : round3(episodes.stream().mapToDouble(VectorEnv.Episode::ret).average().orElse(0)));
        r.put("instabilities", errors);
        long c1 = checksum(task, camera, frameSkip, seed, Math.min(steps, 300));
        long c2 = checksum(task, camera, frameSkip, seed, Math.min(steps, 300));
        r.put("checksum", String.format("%016x", c1));
        r.put("deterministic", c1 == c2);
        r.put("mujoco_version", MuJoCo.version());
        if (c1 != c2) throw new UserError("determinism check failed for " + task + ": checksums "
                + Long.toHexString(c1) + " != " + Long.toHexString(c2), 1);
        return r;
    }

    static void randomAction(double[] a, double[] lo, double[] hi, SplittableRandom rng, double noise) {
        for (int k = 0; k < a.length; k++) {
            double l = Double.isFinite(lo[k]) ? lo[k] : -1, h = Double.isFinite(hi[k]) ? hi[k] : 1;
            double v = noise > 0 ? noise * rng.nextGaussian() : l + rng.nextDouble() * (h - l);
            a[k] = Math.max(l, Math.min(h, v));
        }
    }

    /** Hash of every observation's exact bits over a seeded random-action rollout of one env. */
    static long checksum(String task, Camera camera, int frameSkip, long seed, int steps) {
        try (Env env = make(task, camera, frameSkip)) {
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

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static void print(Map<String, Object> r, boolean json) {
        if (json) {
            System.out.println(io.dmpo.io.Json.write(r));
        } else {
            for (var e : r.entrySet()) System.out.printf(Locale.ROOT, "%-20s %s%n", e.getKey(), e.getValue());
        }
    }
}
