package io.dmpo.mujoco;

import io.dmpo.nn.AllocationMeter;

import io.dmpo.policy.FlowPolicy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A robot's control loop at a fixed rate (the paper's Table 5), one thread, every tick: render the camera frame,
 * read the proprioception, prepare the network input, run the policy, apply the action (end-effector controller +
 * physics for one tick of simulated time). Each stage is timed on its own; a tick that ends after its deadline is a
 * missed deadline and the next starts at once (no burst of catch-up ticks). After a warm-up (JIT) the loop measures the
 * bytes all its threads allocate (the caller and the controller's team): the stages are written to allocate nothing. The policy runs every tick and the first
 * action of its chunk is applied (the most demanding schedule).
 */
public final class ControlLoop {
    public static final List<String> STAGES = List.of("render", "proprio", "prep", "policy", "apply");

    private ControlLoop() {}

    /** Per-stage and whole-tick times (µs), deadlines and allocation of one run. */
    public record Report(int hz, int ticks, int missed, double achievedHz, double seconds, int physicsStepsPerTick,
                         double simulatedSecondsPerTick, long allocatedBytes, int instabilities,
                         Map<String, double[]> stageMedianP99Us, double[] tickMedianP99Us, double budgetUs) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hz", hz);
            m.put("ticks", ticks);
            m.put("missed_deadlines", missed);
            m.put("achieved_hz", Math.round(achievedHz * 100) / 100.0);
            m.put("seconds", Math.round(seconds * 1000) / 1000.0);
            m.put("budget_us", Math.round(budgetUs * 10) / 10.0);
            m.put("physics_steps_per_tick", physicsStepsPerTick);
            m.put("simulated_seconds_per_tick", simulatedSecondsPerTick);
            m.put("allocated_bytes", allocatedBytes);
            m.put("allocated_bytes_per_tick", allocatedBytes < 0 ? -1 : Math.round(100.0 * allocatedBytes / ticks) / 100.0);
            m.put("instabilities", instabilities);
            for (var e : stageMedianP99Us.entrySet()) {
                m.put(e.getKey() + "_median_us", round1(e.getValue()[0]));
                m.put(e.getKey() + "_p99_us", round1(e.getValue()[1]));
            }
            m.put("tick_median_us", round1(tickMedianP99Us[0]));
            m.put("tick_p99_us", round1(tickMedianP99Us[1]));
            return m;
        }
    }

    static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /**
     * The pixel actor of docs/algorithms.md, "Networks", for {@code camera}'s image + the arm's proprioception, chunk
     * 4 × 7, with seeded random weights and ±1 normalizers: a policy of the real cost, for timing the loop without a
     * trained one.
     */
    public static FlowPolicy seededPixelPolicy(Camera camera, int steps, long seed) {
        if (!camera.pixels()) throw new IllegalArgumentException("a pixel policy needs a camera");
        int c = 3, h = camera.height(), w = camera.width(), horizon = 4;
        io.dmpo.policy.MeanFlowActor actor = io.dmpo.policy.MeanFlowActor.pixel(c, h, w, ArmEnv.PROPRIO, horizon * ArmEnv.ACT_DIM, 0);
        io.dmpo.nn.Init.apply(actor.params(), seed);
        FlowPolicy.Architecture arch = new FlowPolicy.Architecture("pixel", 0, 0, 16, 768, 1, c, h, w);
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", c * h * w + ArmEnv.PROPRIO, ArmEnv.ACT_DIM, horizon, horizon, 1, steps,
                arch, Map.of("weights", "seeded random (control-loop timing)"));
        float[] lo = new float[ArmEnv.PROPRIO], hi = new float[ArmEnv.PROPRIO];
        Arrays.fill(lo, -1);
        Arrays.fill(hi, 1);
        float[] alo = new float[ArmEnv.ACT_DIM], ahi = new float[ArmEnv.ACT_DIM];
        Arrays.fill(alo, -1);
        Arrays.fill(ahi, 1);
        return new FlowPolicy(spec, actor, new io.dmpo.data.MinMaxNormalizer(lo, hi), new io.dmpo.data.MinMaxNormalizer(alo, ahi));
    }

    /**
     * Runs the loop for {@code seconds} at {@code hz} after {@code warmupSeconds} of unpaced ticks. The env must have a
     * camera; the policy must take that camera's image + proprioception and emit arm actions.
     */
    public static Report run(ArmEnv env, FlowPolicy policy, int hz, double seconds, double warmupSeconds, long seed) {
        if (!env.camera().pixels()) throw new IllegalArgumentException("the control loop renders a camera: give the env a camera");
        if (!policy.spec().observation().equals(env.observationSpec()) || policy.actDim() != env.actDim() || policy.condSteps() != 1) {
            throw new IllegalArgumentException("policy (observation " + policy.spec().observation() + ", act " + policy.actDim()
                    + ", cond_steps " + policy.condSteps() + ") does not fit " + env.name() + " with camera " + env.camera().name()
                    + " (observation " + env.observationSpec() + ", act " + env.actDim() + ")");
        }
        if (hz < 1 || hz > 10_000) throw new IllegalArgumentException("--hz must be in [1, 10000], got " + hz);
        if (!(seconds > 0 && seconds <= 3600)) throw new IllegalArgumentException("--seconds must be in (0, 3600], got " + seconds);
        long period = Math.round(1e9 / hz);
        int physicsSteps = Math.max(1, (int) Math.round(1.0 / hz / env.model().timestep));
        int ticks = (int) Math.ceil(seconds * hz);
        int image = env.observationSpec().imageSize(); // the image comes first in the row, proprioception after it
        double[][] history = {new double[env.obsDim()]};
        double[][] chunk = new double[policy.actSteps()][policy.actDim()];
        long[][] stageNanos = new long[STAGES.size()][ticks];
        long[] tickNanos = new long[ticks];
        SplittableRandom rng = new SplittableRandom(seed);
        AllocationMeter meter = new AllocationMeter();
        int[] instabilities = {0};
        env.reset(seed);
        try (FlowPolicy.Controller controller = policy.controller()) {
            long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            long[] scratch = new long[STAGES.size()];
            while (System.nanoTime() < warmEnd) tick(env, controller, history, chunk, image, physicsSteps, rng, scratch, instabilities, seed);
            instabilities[0] = 0;
            int missed = 0;
            meter.start(); // every thread: the caller and the controller's team
            long start = System.nanoTime(), deadline = start + period;
            for (int i = 0; i < ticks; i++) {
                long t0 = System.nanoTime();
                tick(env, controller, history, chunk, image, physicsSteps, rng, scratch, instabilities, seed);
                for (int s = 0; s < scratch.length; s++) stageNanos[s][i] = scratch[s];
                long end = System.nanoTime();
                tickNanos[i] = end - t0;
                if (end > deadline) {
                    missed++;
                    deadline = end + period;
                } else {
                    sleepUntil(deadline);
                    deadline += period;
                }
            }
            long elapsed = System.nanoTime() - start;
            long allocated = meter.bytes();
            Map<String, double[]> stages = new LinkedHashMap<>();
            for (int s = 0; s < STAGES.size(); s++) stages.put(STAGES.get(s), medianP99Us(stageNanos[s]));
            return new Report(hz, ticks, missed, ticks / (elapsed / 1e9), elapsed / 1e9, physicsSteps,
                    physicsSteps * env.model().timestep, instabilities[0] == 0 ? allocated : -1, instabilities[0],
                    stages, medianP99Us(tickNanos), period / 1e3);
        }
    }

    /** One tick; {@code nanos} receives each stage's time. */
    private static void tick(ArmEnv env, FlowPolicy.Controller controller, double[][] history, double[][] chunk, int image,
                             int physicsSteps, SplittableRandom rng, long[] nanos, int[] instabilities, long seed) {
        long t0 = System.nanoTime();
        env.renderImage(history[0], 0);
        long t1 = System.nanoTime();
        env.proprioception(history[0], image);
        long t2 = System.nanoTime();
        controller.prepare(history, rng);
        long t3 = System.nanoTime();
        controller.infer();
        long t4 = System.nanoTime();
        controller.actions(chunk);
        try {
            env.applyAction(chunk[0], physicsSteps);
        } catch (MujocoException.Instability e) {
            instabilities[0]++; // a random-weight policy can throw the arm around; start over (this tick allocates)
            env.reset(seed + instabilities[0]);
        }
        long t5 = System.nanoTime();
        nanos[0] = t1 - t0;
        nanos[1] = t2 - t1;
        nanos[2] = t3 - t2;
        nanos[3] = t4 - t3;
        nanos[4] = t5 - t4;
    }

    /** Parks until shortly before {@code deadline}, then spins to it (parking alone overshoots by tens of µs). */
    private static void sleepUntil(long deadline) {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return;
            if (left > 200_000) LockSupport.parkNanos(left - 150_000);
            else Thread.onSpinWait();
        }
    }

    private static double[] medianP99Us(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return new double[] {s[s.length / 2] / 1e3, s[Math.min(s.length - 1, (int) Math.ceil(0.99 * s.length) - 1)] / 1e3};
    }
}
