package io.dmpo.mujoco;

import java.util.SplittableRandom;

/**
 * A scripted demonstrator for {@link ArmTask}s: waypoints relative to the object, reached through the same 7-d
 * end-effector actions a policy emits, with Gaussian noise on the arm's six action dimensions (the variety a learner
 * needs; full while moving freely, half while descending, lifting or lowering, the task's {@code carryNoise} while
 * carrying, none while the fingers close or open).
 * Phases: above the grasp point → down to it → close → lift (→ carry the object over the goal → lower → open, for
 * {@code can}, whose episode usually succeeds while lowering, once the can is below the bin's rim). A grasp that fails
 * (the object does not rise with the hand) restarts from the approach. For {@code square} the grasp point is the
 * nut's handle, and while carrying the hand also turns the nut's square onto the peg's (mod 90°; the handle ends
 * pointing anywhere but away from the robot, where the arm's reach ends); a lowering that stalls (the nut on the
 * peg's top) lifts and realigns.
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
    private double[] intended;

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
        intended = null; // the last episode's action is no label for this one
    }

    /** The next action for the env's current state. */
    public double[] act() {
        double[] grip = env.gripPosition(), object = env.objectPosition(), handle = graspPoint(object);
        ArmTask task = env.task();
        ArmTask.Script script = task.script;
        boolean place = task.goal != null;
        double graspHeight = script.graspHeight(); // grip point above the grasp point (the hand clears a can's top by 3 mm)
        double[] target;
        double gripper;
        double speed = 1.0;
        phaseSteps++;
        switch (phase) {
            case APPROACH -> {
                target = new double[] {handle[0], handle[1], handle[2] + graspHeight + script.approachClearance()};
                gripper = -1;
                boolean above = Math.hypot(grip[0] - target[0], grip[1] - target[1]) < script.approachTolerance();
                if (above && distance(grip, target) < 0.012 && yawError() < 0.05) next(Phase.DESCEND);
            }
            case DESCEND -> {
                target = new double[] {handle[0], handle[1], handle[2] + graspHeight};
                gripper = -1;
                speed = script.descendSpeed();
                if (distance(grip, target) < 0.008 || phaseSteps > 40) next(Phase.CLOSE);
            }
            case CLOSE -> {
                target = new double[] {handle[0], handle[1], handle[2] + graspHeight};
                gripper = 1;
                if (phaseSteps >= 8) {
                    grasp = handle.clone();
                    next(Phase.LIFT);
                }
            }
            case LIFT -> {
                double top = script.liftHeight();
                target = new double[] {grasp[0], grasp[1], top};
                gripper = 1;
                if (phaseSteps > 12 && object[2] < env.task().restHeight() + 0.01) {
                    next(Phase.APPROACH); // the grasp slipped: try again
                    gripper = -1;
                } else if (place && grip[2] > top - 0.02) {
                    next(Phase.CARRY);
                    if (script.placePeriod() > 0) planPlacement();
                }
            }
            case CARRY -> { // the object, wherever it sits in the fingers, goes over the goal (the bin's centre, the peg)
                target = new double[] {task.goal[0] + grip[0] - object[0], task.goal[1] + grip[1] - object[1], script.liftHeight()};
                gripper = 1;
                boolean there = script.placePeriod() > 0
                        ? Math.hypot(object[0] - task.goal[0], object[1] - task.goal[1]) < 0.004 && Math.abs(grip[2] - target[2]) < 0.02
                                && yawError() < 0.05
                        : distance(grip, target) < 0.02;
                if (there) next(Phase.LOWER);
            }
            case LOWER -> { // until the object's centre reaches the place height, measured on the object, not the hand
                double above = object[2] - script.placeHeight();
                target = new double[] {task.goal[0] + grip[0] - object[0], task.goal[1] + grip[1] - object[1], grip[2] - above};
                gripper = 1;
                speed = script.lowerSpeed();
                if (Math.abs(above) < 0.008 || phaseSteps > 40) next(script.retryPlace() ? Phase.CARRY : Phase.RELEASE);
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
        if (holding) speed = Math.min(speed, 0.5);
        double jitter = noise * switch (phase) {
            case APPROACH -> 1.0;
            case CARRY -> script.carryNoise();
            case DESCEND, LIFT, LOWER -> 0.5;
            case CLOSE, RELEASE -> 0.0;
        };
        double[] a = new double[7];
        for (int i = 0; i < 3; i++) a[i] = Math.max(-speed, Math.min(speed, (target[i] - grip[i]) / ArmController.POSITION_SCALE));
        double[] rot = ArmController.rotationBetween(env.handQuaternion(), desiredQuaternion());
        for (int i = 0; i < 3; i++) a[3 + i] = rot[i] / ArmController.ROTATION_SCALE;
        a[6] = gripper;
        intended = a.clone();
        for (int i = 0; i < 6; i++) {
            intended[i] = Math.max(-1, Math.min(1, a[i]));
            a[i] = Math.max(-1, Math.min(1, a[i] + jitter * rng.nextGaussian()));
        }
        return a;
    }

    /**
     * The action the last {@link #act()} meant before its noise was added (clipped the same way): the label a
     * recording can store instead of the executed action, so that a learner sees the noisy states but imitates the
     * correction, not the noise (DART's labelling; docs/manipulation.md, "Demonstrations").
     */
    public double[] intendedAction() {
        if (intended == null) throw new IllegalStateException("act() has not been called");
        return intended.clone();
    }

    /** Where the fingers grasp: the object's centre, or {@code graspOffset} along its +y axis (the nut's handle). */
    private double[] graspPoint(double[] object) {
        double offset = env.task().script.graspOffset();
        if (offset == 0) return object;
        double yaw = yaw(env.objectQuaternion());
        return new double[] {object[0] - offset * Math.sin(yaw), object[1] + offset * Math.cos(yaw), object[2]};
    }

    /**
     * The hand turn that sets the held object's yaw onto the goal's (mod {@code placePeriod}): of the final nut yaws
     * 0, π/2, π (the handle pointing +y, −x, −y; never +x, away from the robot), the one reached by the smallest turn
     * that keeps the hand within 100° of its home yaw (one always exists: the three lie π/2 apart).
     */
    private void planPlacement() {
        double nutYaw = yaw(env.objectQuaternion()), period = env.task().script.placePeriod(), best = Double.NaN;
        for (int k = 0; k < 3; k++) {
            double turn = wrap(k * period - nutYaw);
            if (Math.abs(targetYaw + turn) <= Math.toRadians(100) && (Double.isNaN(best) || Math.abs(turn) < Math.abs(best))) best = turn;
        }
        if (Double.isNaN(best)) throw new IllegalStateException("no reachable placement yaw from hand yaw " + targetYaw);
        targetYaw += best;
    }

    /** Yaw about world z of an orientation that is a pure yaw (an object resting flat or held level). */
    private static double yaw(double[] q) {
        return 2 * Math.atan2(q[3], q[0]);
    }

    private static double wrap(double angle) {
        return Math.atan2(Math.sin(angle), Math.cos(angle));
    }

    private void next(Phase p) {
        phase = p;
        phaseSteps = 0;
    }

    /**
     * The hand yaw (about world z, relative to home) that lines the fingers up with the object's x axis, modulo
     * {@code graspPeriod}: for the cube, the nearest face direction (mod 90°); for the nut, across its handle (mod
     * 180°); a can is round, so no turn.
     */
    private double graspYaw() {
        double period = env.task().script.graspPeriod();
        if (period == 0) return 0;
        double objectYaw = yaw(env.objectQuaternion());
        double[] h = homeQuaternion; // the fingers close along the hand's y axis: its direction in the world, R(h)·(0, 1, 0)
        double fx = 2 * (h[1] * h[2] - h[0] * h[3]), fy = 1 - 2 * (h[1] * h[1] + h[3] * h[3]);
        double d = objectYaw - Math.atan2(fy, fx);
        d -= period * Math.round(d / period);
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
