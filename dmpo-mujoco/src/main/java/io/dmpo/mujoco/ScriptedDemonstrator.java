package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * A scripted demonstrator for {@link ArmTask}s: waypoints relative to the object, reached through the same 7-d
 * end-effector actions a policy emits, with Gaussian noise on the arm's six action dimensions (the variety a learner
 * needs; full while moving freely, half while descending or holding, none while the fingers close or open).
 * Phases: above the object → down to the grasp → close → lift (→ carry over the bin → lower → open, for {@code can},
 * whose episode usually succeeds while lowering, once the can is below the bin's rim). A grasp that fails (the object
 * does not rise with the hand) restarts from the approach.
 */
public final class ScriptedDemonstrator {
    enum Phase { APPROACH, DESCEND, CLOSE, LIFT, CARRY, LOWER, RELEASE }

    private final ArmEnv env;
    private final double noise;
    private final SplittableRandom rng;
    private Phase phase;
    private int phaseSteps;
    private double[] homeQuaternion, grasp;
    private double targetYaw;

    /** {@code noise}: standard deviation added to each arm action dimension (before clipping to [-1, 1]). */
    public ScriptedDemonstrator(ArmEnv env, double noise, long seed) {
        this.env = env;
        this.noise = noise;
        this.rng = new SplittableRandom(seed);
    }

    /** The current phase (for diagnostics). */
    public String phase() {
        return phase.toString();
    }

    /** Call after every env reset, before the first {@link #act()}. */
    public void start() {
        phase = Phase.APPROACH;
        phaseSteps = 0;
        homeQuaternion = env.handQuaternion();
        targetYaw = graspYaw();
    }

    /** The next action for the env's current state. */
    public double[] act() {
        double[] grip = env.gripPosition(), object = env.objectPosition();
        ArmTask task = env.task();
        boolean place = task.goal != null;
        double graspHeight = task.graspHeight; // grip point above the object's centre (the hand clears a can's top by 3 mm)
        double[] target;
        double gripper;
        phaseSteps++;
        switch (phase) {
            case APPROACH -> {
                target = new double[] {object[0], object[1], object[2] + graspHeight + 0.08};
                gripper = -1;
                if (distance(grip, target) < 0.012 && yawError() < 0.05) next(Phase.DESCEND);
            }
            case DESCEND -> {
                target = new double[] {object[0], object[1], object[2] + graspHeight};
                gripper = -1;
                if (distance(grip, target) < 0.008 || phaseSteps > 40) next(Phase.CLOSE);
            }
            case CLOSE -> {
                target = new double[] {object[0], object[1], object[2] + graspHeight};
                gripper = 1;
                if (phaseSteps >= 8) {
                    grasp = object.clone();
                    next(Phase.LIFT);
                }
            }
            case LIFT -> {
                double top = task.liftHeight;
                target = new double[] {grasp[0], grasp[1], top};
                gripper = 1;
                if (phaseSteps > 12 && object[2] < env.task().restHeight() + 0.01) {
                    next(Phase.APPROACH); // the grasp slipped: try again
                    gripper = -1;
                } else if (place && grip[2] > top - 0.02) {
                    next(Phase.CARRY);
                }
            }
            case CARRY -> { // the object, wherever it sits in the fingers, goes over the goal (the bin's centre)
                target = new double[] {task.goal[0] + grip[0] - object[0], task.goal[1] + grip[1] - object[1], task.liftHeight};
                gripper = 1;
                if (distance(grip, target) < 0.02) next(Phase.LOWER);
            }
            case LOWER -> { // until the can's bottom is just above the bin floor, measured on the can, not the hand
                double above = object[2] - (0.01 + env.task().restHeight() + 0.005);
                target = new double[] {task.goal[0] + grip[0] - object[0], task.goal[1] + grip[1] - object[1], grip[2] - above};
                gripper = 1;
                if (Math.abs(above) < 0.008 || phaseSteps > 40) next(Phase.RELEASE);
            }
            case RELEASE -> {
                target = grip.clone();
                target[2] += 0.01;
                gripper = -1;
            }
            default -> throw new IllegalStateException(phase.toString());
        }
        // a held object is carried at up to half speed; noise is smaller near a grasp or a release, where millimetres count
        boolean holding = phase == Phase.LIFT || phase == Phase.CARRY || phase == Phase.LOWER;
        double speed = holding ? 0.5 : 1.0;
        double jitter = noise * switch (phase) {
            case APPROACH, CARRY -> 1.0;
            case DESCEND, LIFT, LOWER -> 0.5;
            case CLOSE, RELEASE -> 0.0;
        };
        double[] a = new double[7];
        for (int i = 0; i < 3; i++) a[i] = Math.max(-speed, Math.min(speed, (target[i] - grip[i]) / ArmController.POSITION_SCALE));
        double[] rot = ArmController.rotationBetween(env.handQuaternion(), desiredQuaternion());
        for (int i = 0; i < 3; i++) a[3 + i] = rot[i] / ArmController.ROTATION_SCALE;
        for (int i = 0; i < 6; i++) a[i] = Math.max(-1, Math.min(1, a[i] + jitter * rng.nextGaussian()));
        a[6] = gripper;
        return a;
    }

    private void next(Phase p) {
        phase = p;
        phaseSteps = 0;
    }

    /**
     * The hand yaw (about world z, relative to home) that lines the fingers up with the object: for the cube, the
     * nearest face direction (yaw modulo 90°); a can is round, so no turn.
     */
    private double graspYaw() {
        if (!env.task().alignToFaces) return 0;
        double[] q = env.objectQuaternion();
        double cubeYaw = 2 * Math.atan2(q[3], q[0]);
        double[] h = homeQuaternion; // the fingers close along the hand's y axis: its direction in the world, R(h)·(0, 1, 0)
        double fx = 2 * (h[1] * h[2] - h[0] * h[3]), fy = 1 - 2 * (h[1] * h[1] + h[3] * h[3]);
        double d = cubeYaw - Math.atan2(fy, fx);
        d -= Math.PI / 2 * Math.round(d / (Math.PI / 2));
        return d;
    }

    private double[] desiredQuaternion() {
        double c = Math.cos(targetYaw / 2), s = Math.sin(targetYaw / 2);
        double[] h = homeQuaternion; // rotation about world z, applied after home: (c, 0, 0, s) ⊗ h
        return new double[] {c * h[0] - s * h[3], c * h[1] - s * h[2], c * h[2] + s * h[1], c * h[3] + s * h[0]};
    }

    private double yawError() {
        double[] r = ArmController.rotationBetween(env.handQuaternion(), desiredQuaternion());
        return Math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    }

    private static double distance(double[] a, double[] b) {
        double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
        return Math.sqrt(dx * dx + dy * dy + dz * dz);
    }
}
