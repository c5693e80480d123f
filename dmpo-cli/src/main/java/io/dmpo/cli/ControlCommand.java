package io.dmpo.cli;

import io.dmpo.io.Json;
import io.dmpo.mujoco.ArmEnv;
import io.dmpo.mujoco.ArmTask;
import io.dmpo.mujoco.Camera;
import io.dmpo.mujoco.ControlLoop;
import io.dmpo.nn.Parallel;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ./dmpo control}: the whole pixel control loop of a manipulation task at a fixed rate (the paper's Table 5) —
 * render, proprioception, input preparation, policy, action — with each stage's median and p99, missed deadlines, the
 * achieved rate and the bytes the loop's thread allocates per tick. The loop itself is {@link ControlLoop}.
 */
@Command(name = "control", mixinStandardHelpOptions = true,
        description = "Run the camera-to-action control loop of lift/can at a fixed rate and report each stage's latency.")
public final class ControlCommand implements Runnable {
    @Option(names = "--task", description = "lift, can or square (default ${DEFAULT-VALUE})")
    String task = "lift";

    @Option(names = "--hz", description = "control rate (default ${DEFAULT-VALUE})")
    int hz = 120;

    @Option(names = "--seconds", description = "timed seconds after the warm-up (default ${DEFAULT-VALUE})")
    double seconds = 10;

    @Option(names = "--warmup", description = "seconds of unpaced ticks first, for the JIT (default ${DEFAULT-VALUE})")
    double warmup = 5;

    @Option(names = "--policy", description = "a pixel policy file (or pre-training run) for the task; default: the light-ViT actor with seeded random weights (same cost)")
    Path policyPath;

    @Option(names = "--camera", description = "camera of the default policy (default ${DEFAULT-VALUE}); a policy file brings its own")
    String cameraName = "agentview";

    @Option(names = "--steps", description = "sampling steps K of the default policy (default ${DEFAULT-VALUE}); a policy file brings its own")
    int steps = 1;

    @Option(names = "--threads", description = "engine threads for the policy (default: all cores = ${DEFAULT-VALUE})")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--pin", description = "pin the loop's thread and the policy's helper threads to distinct CPUs (Linux), as a robot computer would")
    boolean pin;

    @Option(names = "--seed", description = "seed of the env reset, the noise and the default weights (default ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public void run() {
        Check.atLeast("--hz", hz, 1);
        if (hz > 10_000) throw new UserError("--hz must be <= 10000, got " + hz, 2);
        if (!(seconds > 0 && seconds <= 3600)) throw new UserError("--seconds must be in (0, 3600], got " + seconds, 2);
        if (!(warmup >= 0 && warmup <= 600)) throw new UserError("--warmup must be in [0, 600], got " + warmup, 2);
        Check.atLeast("--threads", threads, 1);
        if (steps < 1 || steps > 1024) throw new UserError("--steps must be in [1, 1024], got " + steps, 2); // as eval
        ArmTask armTask = ArmTask.of(task);
        if (armTask == null) throw new UserError("unknown task '" + task + "' (lift, can, square)", 2);
        Parallel.setThreads(threads);
        if (pin) {
            String why = io.dmpo.nn.Affinity.unavailableReason();
            if (why != null) throw new UserError(why, 2);
        }
        FlowPolicy policy;
        Camera camera;
        if (policyPath != null) {
            Path file = Files.isDirectory(policyPath) ? policyPath.resolve(io.dmpo.train.Pretrainer.POLICY) : policyPath;
            if (!Files.isRegularFile(file)) throw new UserError(file + ": no such policy file", 2);
            try {
                policy = PolicyFile.load(file);
            } catch (IOException e) {
                throw new UserError(e.getMessage(), 2);
            }
            FlowPolicy.Architecture arch = policy.spec().architecture();
            if (!arch.pixel() || !(policy.spec().provenance().get("camera") instanceof String cam)) {
                throw new UserError(file + ": the control loop needs a pixel policy with its camera (provenance 'camera')", 2);
            }
            if (policy.spec().provenance().get("env") instanceof String trained && !trained.equals(task)) {
                throw new UserError(file + ": a policy for '" + trained + "', not '" + task + "' (pass --task " + trained + ")", 2);
            }
            camera = new Camera(cam, arch.width(), arch.height());
        } else {
            camera = new Camera(cameraName, 96, 96);
            policy = ControlLoop.seededPixelPolicy(camera, steps, seed);
        }
        Camera cam = camera;
        Parallel.setPinned(pin); // before the controller's helpers start (inside the loop)
        try (ArmEnv env = EnvCommand.userErrors(() -> new ArmEnv(armTask, cam))) {
            if (pin) Parallel.pinCaller(); // after the renderer started its threads, which keep every CPU
            runLoop(env, policy, camera);
        } finally {
            if (pin) {
                io.dmpo.nn.Affinity.unpinCurrentThread();
                Parallel.setPinned(false);
            }
        }
    }

    private void runLoop(ArmEnv env, FlowPolicy policy, Camera camera) {
        ControlLoop.Report report = EnvCommand.userErrors(() -> ControlLoop.run(env, policy, hz, seconds, warmup, seed));
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("task", task);
        out.put("camera", camera.toString());
        out.put("policy", policyPath == null ? "light ViT + MLP, seeded random weights (K = " + steps + ")" : policyPath.toString());
        out.put("steps", policy.spec().steps());
        out.put("threads", threads);
        out.put("pinned", pin);
        out.putAll(report.toMap());
        if (json) {
            System.out.println(Json.write(out));
        } else {
            print(out, report);
        }
    }

    private static void print(Map<String, Object> out, ControlLoop.Report r) {
        System.out.printf("%s, camera %s, policy: %s, %s threads%s%n", out.get("task"), out.get("camera"), out.get("policy"), out.get("threads"),
                Boolean.TRUE.equals(out.get("pinned")) ? ", pinned" : "");
        System.out.printf("%d Hz for %.1f s: %d ticks, %d missed deadlines, achieved %.2f Hz (budget %.0f µs per tick; %d physics steps = %.4f s simulated per tick)%n",
                r.hz(), r.seconds(), r.ticks(), r.missed(), r.achievedHz(), r.budgetUs(), r.physicsStepsPerTick(), r.simulatedSecondsPerTick());
        System.out.println();
        System.out.println("| stage | median | p99 |");
        System.out.println("|---|---|---|");
        for (var e : r.stageMedianP99Us().entrySet()) {
            System.out.printf("| %s | %.1f µs | %.1f µs |%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
        }
        System.out.printf("| whole tick | %.1f µs | %.1f µs |%n", r.tickMedianP99Us()[0], r.tickMedianP99Us()[1]);
        System.out.println();
        System.out.println(r.allocatedBytes() >= 0
                ? String.format("bytes allocated by the loop's thread over the %d timed ticks: %d (%.2f per tick)", r.ticks(),
                        r.allocatedBytes(), (double) r.allocatedBytes() / r.ticks())
                : "bytes allocated: not measured (" + r.instabilities() + " physics instabilities reset the env)");
    }
}
