package io.dmpo.mujoco;

import io.dmpo.data.Robomimic;
import io.dmpo.env.StepResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Records {@link ScriptedDemonstrator} episodes of an {@link ArmTask} as robomimic demos: the observation before each
 * action under robomimic's keys ({@code object}, {@code robot0_eef_pos}, {@code robot0_eef_quat},
 * {@code robot0_gripper_qpos}, and with images {@code agentview_image} and {@code robot0_eye_in_hand_image} as
 * H × W × 3 uint8), the actions, rewards and dones. Only successful episodes become demos (robomimic's datasets hold
 * successful demonstrations); {@link Result} counts the attempts. Episode {@code i} resets with seed {@code seed + i}.
 */
public final class DemoRecorder {
    public record Result(List<Robomimic.Demo> demos, int attempts, int steps, double seconds, double renderSeconds) {
        public double successRate() {
            return attempts == 0 ? 0 : demos.size() / (double) attempts;
        }
    }

    /**
     * Which action a demo stores at each step: the one the demonstrator executed (its noise included, as a human's
     * demonstrations hold the human's own jitter), or the one it intended before the noise (the executed one still
     * drives the env, so the states are the same noisy ones). A generative policy imitates the whole action
     * distribution, so executed labels teach it to reproduce the noise; intended labels teach the correction from
     * every state the noise reached (docs/manipulation.md, "Demonstrations": on can the one-step policy's held-out
     * success rose from 0.83 to 0.93 over three seeds).
     */
    public enum Labels {
        EXECUTED, INTENDED;

        /** "executed" or "intended", or null. */
        public static Labels of(String name) {
            for (Labels l : values()) if (l.name().equalsIgnoreCase(name)) return l;
            return null;
        }
    }

    /** The cameras recorded with images (robomimic's agentview_image and robot0_eye_in_hand_image). */
    static final List<String> CAMERAS = List.of("agentview", "wrist");

    private DemoRecorder() {}

    /**
     * Records {@code count} successful demos ({@code maxAttempts} episodes at most); {@code imageSize} 0 for none, else
     * both cameras at that square size. {@code progress} gets the number of demos after each one.
     */
    public static Result record(ArmTask task, int count, int maxAttempts, int imageSize, double noise, Labels labels, long seed,
                                IntConsumer progress) {
        List<Robomimic.Demo> demos = new ArrayList<>();
        long t0 = System.nanoTime();
        long renderNanos = 0;
        int attempts = 0, steps = 0;
        try (ArmEnv env = new ArmEnv(task, Camera.NONE)) {
            List<Renderer> renderers = new ArrayList<>();
            List<Integer> cameras = new ArrayList<>();
            try {
                if (imageSize > 0) {
                    for (String camera : CAMERAS) {
                        cameras.add(Renderer.cameraId(env.model(), camera));
                        renderers.add(Renderer.open(env.model(), imageSize, imageSize, true, false));
                    }
                }
                while (demos.size() < count && attempts < maxAttempts) {
                    env.reset(seed + attempts);
                    ScriptedDemonstrator demo = new ScriptedDemonstrator(env, noise, seed * 7919 + attempts);
                    demo.start();
                    attempts++;
                    List<double[]> object = new ArrayList<>(), proprio = new ArrayList<>();
                    List<List<byte[]>> images = new ArrayList<>();
                    for (int c = 0; c < renderers.size(); c++) images.add(new ArrayList<>());
                    List<float[]> actions = new ArrayList<>();
                    StepResult r = null;
                    try {
                    do {
                        double[] o = new double[ArmEnv.OBJECT], p = new double[ArmEnv.PROPRIO];
                        env.objectState(o, 0);
                        env.proprioception(p, 0);
                        object.add(o);
                        proprio.add(p);
                        long r0 = System.nanoTime();
                        for (int c = 0; c < renderers.size(); c++) {
                            renderers.get(c).render(env.data(), cameras.get(c));
                            images.get(c).add(renderers.get(c).rgb());
                        }
                        renderNanos += System.nanoTime() - r0;
                        double[] a = demo.act(), label = labels == Labels.INTENDED ? demo.intendedAction() : a;
                        float[] af = new float[label.length];
                        for (int i = 0; i < label.length; i++) af[i] = (float) label[i];
                        actions.add(af);
                        r = env.step(a);
                    } while (!r.terminated() && !r.truncated());
                    } catch (MujocoException.Instability e) {
                        r = null; // the physics failed: a failed attempt, like any other
                    }
                    steps += actions.size();
                    if (r == null || !r.terminated()) continue; // a failed attempt is not a demonstration
                    int n = actions.size();
                    Map<String, Object> obs = new LinkedHashMap<>();
                    obs.put("object", columns(object, 0, ArmEnv.OBJECT));
                    obs.put("robot0_eef_pos", columns(proprio, 0, 3));
                    obs.put("robot0_eef_quat", columns(proprio, 3, 4));
                    obs.put("robot0_gripper_qpos", columns(proprio, 7, 2));
                    if (imageSize > 0) {
                        for (int c = 0; c < CAMERAS.size(); c++) {
                            String key = ArmEnv.observationKeys(new Camera(CAMERAS.get(c), imageSize, imageSize)).get(0);
                            obs.put(key, hwc(images.get(c), imageSize));
                        }
                    }
                    float[] rewards = new float[n];
                    boolean[] dones = new boolean[n];
                    rewards[n - 1] = 1;
                    dones[n - 1] = true;
                    demos.add(new Robomimic.Demo(obs, actions.toArray(new float[0][]), rewards, dones));
                    progress.accept(demos.size());
                }
            } finally {
                for (Renderer rr : renderers) rr.close();
            }
        }
        return new Result(demos, attempts, steps, (System.nanoTime() - t0) / 1e9, renderNanos / 1e9);
    }

    private static float[][] columns(List<double[]> rows, int from, int width) {
        float[][] out = new float[rows.size()][width];
        for (int i = 0; i < rows.size(); i++) for (int j = 0; j < width; j++) out[i][j] = (float) rows.get(i)[from + j];
        return out;
    }

    /** C × H × W frames → robomimic's N × H × W × C. */
    private static byte[][][][] hwc(List<byte[]> frames, int size) {
        int plane = size * size;
        byte[][][][] out = new byte[frames.size()][size][size][3];
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i);
            for (int y = 0; y < size; y++) for (int x = 0; x < size; x++) for (int c = 0; c < 3; c++) out[i][y][x][c] = f[c * plane + y * size + x];
        }
        return out;
    }
}
