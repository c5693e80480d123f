package io.dmpo.mujoco;

import io.dmpo.env.ObservationSpec;

import io.dmpo.env.Env;
import io.dmpo.env.StepResult;
import io.dmpo.env.SuccessReward;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Robot-arm manipulation with RoboMimic's semantics on our own arm ({@code tasks/arm/scene.xml}): a 7-d
 * end-effector action through {@link ArmController} at 20 Hz (25 physics steps of 2 ms), a sparse reward of 1 on
 * success, success ends the episode, horizon {@link ArmTask#horizon} — or, with {@link SuccessReward#EVERY_STEP},
 * robosuite's reward: 1 at every solved step, the episode running to its horizon. Observations, by {@link Camera}:
 * <ul>
 *   <li>state (no camera): object 10 (position 3, quaternion 4 (w, x, y, z), object − end-effector 3) then
 *       proprioception 9 → 19 values;</li>
 *   <li>pixels: one camera's image as uint8 values 0..255 in C × H × W planes, then proprioception 9.</li>
 * </ul>
 * Proprioception (robomimic's {@code robot0_eef_pos}, {@code robot0_eef_quat}, {@code robot0_gripper_qpos}): grip
 * point 3, hand quaternion 4 (w, x, y, z — MuJoCo's order; robosuite writes x, y, z, w), finger openings 2.
 */
public final class ArmEnv implements Env {
    public static final int PROPRIO = 9, OBJECT = 10, ACT_DIM = 7, PHYSICS_STEPS_PER_ACTION = 25;

    private static final Map<ArmTask, MjModel> MODELS = new ConcurrentHashMap<>();

    private final ArmTask task;
    private final Camera camera;
    private final MjModel model;
    private final MjData data;
    private final ArmController controller;
    private final Renderer renderer;
    private final int cameraId, objectBody, handBody, gripSite, objectQpos, fingerLeft, fingerRight;
    private SplittableRandom rng;
    private int elapsed;
    private final SuccessReward reward;
    private boolean needsReset = true, success;

    /** An env paying {@link SuccessReward#FIRST}: 1 on success, which ends the episode. */
    public ArmEnv(ArmTask task, Camera camera) {
        this(task, camera, SuccessReward.FIRST);
    }

    public ArmEnv(ArmTask task, Camera camera, SuccessReward reward) {
        this.task = task;
        this.reward = java.util.Objects.requireNonNull(reward, "reward");
        this.camera = camera;
        this.model = model(task);
        this.data = model.makeData();
        this.controller = new ArmController(model, data);
        this.objectBody = model.bodyId(task.objectBody);
        this.handBody = model.bodyId("hand");
        this.gripSite = model.siteId("grip");
        this.objectQpos = (int) model.array("jnt_qposadr")[model.jointId(task.objectBody + "_joint")];
        this.fingerLeft = (int) model.array("jnt_qposadr")[model.jointId("finger_left")];
        this.fingerRight = (int) model.array("jnt_qposadr")[model.jointId("finger_right")];
        if (camera.pixels()) {
            Renderer r;
            int id;
            try {
                id = Renderer.cameraId(model, camera.name());
                r = Renderer.open(model, camera.width(), camera.height(), true, false);
            } catch (RuntimeException e) {
                data.close();
                throw e;
            }
            this.cameraId = id;
            this.renderer = r;
        } else {
            this.cameraId = -1;
            this.renderer = null;
        }
    }

    /**
     * The robomimic keys of this env's observation, in its order: the camera's image key (agentview →
     * {@code agentview_image}, wrist → {@code robot0_eye_in_hand_image}, else {@code <camera>_image}) or {@code object},
     * then the proprioception keys.
     */
    public static java.util.List<String> observationKeys(Camera camera) {
        String first = !camera.pixels() ? "object" : switch (camera.name()) {
            case "wrist" -> "robot0_eye_in_hand_image";
            default -> camera.name() + "_image";
        };
        return java.util.List.of(first, "robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos");
    }

    /** The compiled scene of a task (our arm plus the task's objects), loaded once per process. */
    public static MjModel model(ArmTask task) {
        return MODELS.computeIfAbsent(task, t -> {
            try (InputStream in = ArmEnv.class.getResourceAsStream("tasks/arm/scene.xml")) {
                if (in == null) throw new MujocoException.LoadError("model resource not found: tasks/arm/scene.xml");
                String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .replace("dmpo-arm-TASK", "dmpo-arm-" + t.id).replace("<!--OBJECTS-->", t.objectsXml);
                Path tmp = Files.createTempFile("dmpo-arm-" + t.id, ".xml");
                try {
                    Files.writeString(tmp, xml);
                    return MjModel.load(tmp);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                throw new MujocoException("cannot build the " + t.id + " scene: " + e.getMessage(), e);
            }
        });
    }

    @Override public String name() { return task.id; }
    @Override public int obsDim() { return observationSpec().dim(); }
    @Override public ObservationSpec observationSpec() { return observation(camera); }

    /** Through a camera: the image, then the proprioception; else the object state, then the proprioception. */
    public static ObservationSpec observation(Camera camera) {
        return camera.observation(camera.pixels() ? PROPRIO : OBJECT + PROPRIO);
    }
    @Override public int actDim() { return ACT_DIM; }
    @Override public double[] actionLow() { return new double[] {-1, -1, -1, -1, -1, -1, -1}; }
    @Override public double[] actionHigh() { return new double[] {1, 1, 1, 1, 1, 1, 1}; }
    @Override public double dt() { return model.timestep * PHYSICS_STEPS_PER_ACTION; }
    @Override public int maxEpisodeSteps() { return task.horizon; }

    public ArmTask task() { return task; }
    public Camera camera() { return camera; }
    public MjModel model() { return model; }
    public MjData data() { return data; }
    /** Whether the task succeeded at the last step. */
    public boolean success() { return success; }
    public int elapsedSteps() { return elapsed; }

    @Override
    public double[] reset(long seed) {
        rng = new SplittableRandom(seed);
        return doReset();
    }

    @Override
    public double[] reset() {
        if (rng == null) rng = new SplittableRandom(0);
        return doReset();
    }

    private double[] doReset() {
        data.reset();
        for (int j = 0; j < ArmController.JOINTS; j++) {
            data.qpos.setAtIndex(MuJoCo.F64, j, ArmController.HOME[j]);
            data.ctrl.setAtIndex(MuJoCo.F64, j, ArmController.HOME[j]);
        }
        data.qpos.setAtIndex(MuJoCo.F64, fingerLeft, ArmController.FINGER_OPEN);
        data.qpos.setAtIndex(MuJoCo.F64, fingerRight, ArmController.FINGER_OPEN);
        data.ctrl.setAtIndex(MuJoCo.F64, ArmController.JOINTS, ArmController.FINGER_OPEN);
        data.ctrl.setAtIndex(MuJoCo.F64, ArmController.JOINTS + 1, ArmController.FINGER_OPEN);
        controller.reset();
        double[] pose = task.samplePose(rng);
        for (int i = 0; i < 7; i++) data.qpos.setAtIndex(MuJoCo.F64, objectQpos + i, pose[i]);
        data.forward(false);
        elapsed = 0;
        success = false;
        needsReset = false;
        return observe();
    }

    @Override
    public StepResult step(double[] action) {
        if (needsReset) throw new IllegalStateException(task.id + ": the episode ended (or the simulation failed); call reset()");
        if (action == null || action.length != ACT_DIM) {
            throw new IllegalArgumentException(task.id + ": action has " + (action == null ? "null" : action.length) + " values, expected " + ACT_DIM);
        }
        for (int i = 0; i < ACT_DIM; i++) {
            if (!Double.isFinite(action[i])) throw new IllegalArgumentException(task.id + ": action[" + i + "] is " + action[i]);
        }
        controller.apply(action, PHYSICS_STEPS_PER_ACTION);
        try {
            data.step(PHYSICS_STEPS_PER_ACTION, false);
        } catch (MujocoException e) {
            needsReset = true;
            throw e;
        }
        if (data.unstable()) {
            needsReset = true;
            throw new MujocoException.Instability(task.id + ": simulation unstable at step " + elapsed + "; the env must be reset");
        }
        data.forward(false); // positions of the new state, for the observation, the image and the success test
        elapsed++;
        success = task.succeeded(this);
        boolean terminated = success && reward == SuccessReward.FIRST;
        boolean truncated = !terminated && elapsed >= task.horizon;
        if (terminated || truncated) needsReset = true;
        return new StepResult(observe(), success ? 1.0 : 0.0, terminated, truncated);
    }

    /** The observation of the current state (see the class comment). */
    public double[] observe() {
        double[] o = new double[obsDim()];
        int off;
        if (camera.pixels()) {
            renderer.render(data, cameraId);
            renderer.copyRgb(o, 0);
            off = renderer.rgbSize();
        } else {
            objectState(o, 0);
            off = OBJECT;
        }
        proprioception(o, off);
        return o;
    }

    /**
     * Our "object" key (robomimic's name): object position, quaternion (w, x, y, z), object − grip point. robosuite's
     * lift writes grip point − cube and its can object state has 14 values (with the can-to-gripper quaternion): data
     * from robosuite is not interchangeable with ours without converting this key.
     */
    public void objectState(double[] out, int off) {
        double[] p = objectPosition();
        System.arraycopy(p, 0, out, off, 3);
        System.arraycopy(objectQuaternion(), 0, out, off + 3, 4);
        double[] g = gripPosition();
        for (int i = 0; i < 3; i++) out[off + 7 + i] = p[i] - g[i];
    }

    /** Grip point 3, hand quaternion 4, finger openings 2; allocates nothing (read in a control loop). */
    public void proprioception(double[] out, int off) {
        for (int i = 0; i < 3; i++) out[off + i] = data.siteXpos.getAtIndex(MuJoCo.F64, 3L * gripSite + i);
        for (int i = 0; i < 4; i++) out[off + 3 + i] = data.xquat.getAtIndex(MuJoCo.F64, 4L * handBody + i);
        out[off + 7] = data.qpos.getAtIndex(MuJoCo.F64, fingerLeft);
        out[off + 8] = data.qpos.getAtIndex(MuJoCo.F64, fingerRight);
    }

    /**
     * The camera image of the current state as uint8 values (C × H × W) into {@code out[off ..]}; allocates nothing.
     * For a control loop that reads its sensors itself (see {@link ControlLoop}).
     */
    public void renderImage(double[] out, int off) {
        if (renderer == null) throw new IllegalStateException(task.id + ": no camera (made with Camera.NONE)");
        renderer.render(data, cameraId);
        renderer.copyRgb(out, off);
    }

    /**
     * Applies one arm action through the end-effector controller and advances the physics by {@code physicsSteps}
     * steps — a control loop's own rate instead of {@link #step}'s 20 Hz; no reward, success or episode bookkeeping.
     * Allocates nothing. A physics instability throws and the env must be reset.
     */
    public void applyAction(double[] action, int physicsSteps) {
        if (action.length != ACT_DIM) throw new IllegalArgumentException(task.id + ": action has " + action.length + " values, expected " + ACT_DIM);
        for (int i = 0; i < ACT_DIM; i++) {
            if (!Double.isFinite(action[i])) throw new IllegalArgumentException(task.id + ": action[" + i + "] is " + action[i]);
        }
        if (physicsSteps < 1) throw new IllegalArgumentException(task.id + ": physics steps must be >= 1, got " + physicsSteps);
        controller.apply(action, physicsSteps);
        try {
            data.step(physicsSteps, false);
        } catch (MujocoException e) {
            needsReset = true;
            throw e;
        }
        if (data.unstable()) {
            needsReset = true;
            throw new MujocoException.Instability(task.id + ": simulation unstable; the env must be reset");
        }
        data.forward(false);
    }

    public double[] objectPosition() {
        return read(data.xpos, 3L * objectBody, 3);
    }

    public double[] objectQuaternion() {
        return read(data.xquat, 4L * objectBody, 4);
    }

    public double[] gripPosition() {
        return read(data.siteXpos, 3L * gripSite, 3);
    }

    /** The hand's orientation (w, x, y, z); the grip point's frame is the hand's. */
    public double[] handQuaternion() {
        return read(data.xquat, 4L * handBody, 4);
    }

    private static double[] read(java.lang.foreign.MemorySegment s, long from, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = s.getAtIndex(MuJoCo.F64, from + i);
        return out;
    }

    /** Finger openings (each 0 closed … 0.04 open). */
    public double[] fingers() {
        return new double[] {data.qpos.getAtIndex(MuJoCo.F64, fingerLeft), data.qpos.getAtIndex(MuJoCo.F64, fingerRight)};
    }

    /** Places the object at {@code pose} (position 3, quaternion 4) with zero velocity, for crafted-state tests. */
    public void placeObject(double[] pose) {
        for (int i = 0; i < 7; i++) data.qpos.setAtIndex(MuJoCo.F64, objectQpos + i, pose[i]);
        int dof = (int) model.array("jnt_dofadr")[model.jointId(task.objectBody + "_joint")];
        for (int i = 0; i < 6; i++) data.qvel.setAtIndex(MuJoCo.F64, dof + i, 0);
        data.forward(false);
        success = task.succeeded(this);
    }

    @Override
    public void close() {
        if (renderer != null) renderer.close();
        data.close();
    }
}
