package io.dmpo.cli;

import io.dmpo.env.Env;
import io.dmpo.mujoco.Camera;
import io.dmpo.mujoco.EnvProbe;
import io.dmpo.mujoco.MjModel;
import io.dmpo.mujoco.ModelFacts;
import io.dmpo.mujoco.MujocoException;
import io.dmpo.mujoco.Tasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
                System.out.println("lift, can and square: robot-arm manipulation (7-d end-effector action at 20 Hz, sparse success reward);"
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
            Tasks.Task t = task(task, frameSkip);
            Map<String, Object> r = userErrors(() -> EnvProbe.check(t, cam, steps, envs, threads, seed, 0)).toMap();
            if (frame != null) {
                try (Env env = userErrors(() -> t.make(cam))) {
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
                    Tasks.Task task = task(t, frameSkip);
                    Camera cam = camera(camera != null ? camera : task.defaultCamera(), image);
                    rows.add(userErrors(() -> EnvProbe.renderTiming(task, cam, frames, repeats)).toMap());
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
                Tasks.Task task = task(t, frameSkip);
                for (EnvProbe.Throughput r : userErrors(() -> {
                    try {
                        return EnvProbe.physicsThroughput(t, task, physicsSteps, envsPerThread, repeats, ctrlNoise);
                    } catch (java.io.IOException e) {
                        throw new UserError("cannot write the model file for mujoco-testspeed: " + io.dmpo.io.AtomicFiles.describe(e), 1);
                    }
                })) {
                    rows.add(r.toMap());
                }
            }
            if (!EnvProbe.testspeedInstalled()) {
                System.err.println("dmpo env bench: mujoco-testspeed is not installed (apt-get install libmujoco-samples): no reference column");
            }
            for (int i = 1; i < rows.size(); i += 2) {
                double one = ((Number) rows.get(i - 1).get("env_steps_per_s")).doubleValue();
                double two = ((Number) rows.get(i).get("env_steps_per_s")).doubleValue();
                rows.get(i).put("speedup_vs_1_thread", Math.round(1000 * two / one) / 1000.0);
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

    /** The task of a spec with a frame skip for mjcf: robots; bad specs and models are one-line user errors. */
    static Tasks.Task task(String spec, int frameSkip) {
        if (frameSkip < 1) throw new UserError("--frame-skip must be >= 1", 2);
        return userErrors(() -> Tasks.of(spec, frameSkip));
    }

    static Camera camera(String name, String size) {
        try {
            return Camera.of(name, size);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
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

    static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    static void print(Map<String, Object> r, boolean json) {
        if (json) {
            System.out.println(io.dmpo.io.Json.write(r));
        } else {
            for (var e : r.entrySet()) System.out.printf(Locale.ROOT, "%-20s %s%n", e.getKey(), e.getValue());
        }
    }
}
