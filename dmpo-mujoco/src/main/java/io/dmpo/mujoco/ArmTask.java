package io.dmpo.mujoco;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The manipulation tasks, with RoboMimic's semantics on our scene (table top at z = 0):
 * <ul>
 *   <li>{@code lift}: a 4.2 cm cube (74 g) placed uniformly in ±3 cm around the table centre with a uniform random
 *       yaw; success when its centre rises above 4 cm (robosuite: cube height &gt; table height + 0.04); horizon 300.</li>
 *   <li>{@code can}: a can (radius 3.2 cm, height 11 cm, 150 g) placed uniformly in x ∈ [−0.08, 0.08], y ∈
 *       [−0.25, −0.12]; success when it is in the bin at y = 0.22: centre within the bin's inner walls and below its
 *       rim, i.e. lowered into the bin, not carried above it. As in robosuite's PickPlace, whether the fingers have
 *       opened does not matter; horizon 500.</li>
 * </ul>
 */
public enum ArmTask {
    LIFT("lift", "cube", 300, 0.021, new double[] {-0.03, 0.03, -0.03, 0.03}, null, 0.0, 0.15, true, """
            <body name="cube" pos="0 0 0.021">
              <joint name="cube_joint" type="free" damping="0" armature="0"/>
              <geom name="cube" class="collide" type="box" size="0.021 0.021 0.021" mass="0.074" rgba="0.85 0.12 0.1 1"/>
            </body>
            """) {
        @Override
        boolean succeeded(double[] p) {
            return p[2] > 0.04;
        }
    },
    CAN("can", "can", 500, 0.055, new double[] {-0.08, 0.08, -0.25, -0.12}, new double[] {0, 0.22}, 0.015, 0.25, false, """
            <body name="bin" pos="0 0.22 0">
              <geom name="bin_floor" class="collide" type="box" pos="0 0 0.005" size="0.1 0.1 0.005" rgba="0.35 0.45 0.6 1"/>
              <geom class="collide" type="box" pos="0.095 0 0.045" size="0.005 0.1 0.035" rgba="0.35 0.45 0.6 1"/>
              <geom class="collide" type="box" pos="-0.095 0 0.045" size="0.005 0.1 0.035" rgba="0.35 0.45 0.6 1"/>
              <geom class="collide" type="box" pos="0 0.095 0.045" size="0.09 0.005 0.035" rgba="0.35 0.45 0.6 1"/>
              <geom class="collide" type="box" pos="0 -0.095 0.045" size="0.09 0.005 0.035" rgba="0.35 0.45 0.6 1"/>
            </body>
            <body name="can" pos="0 -0.18 0.055">
              <joint name="can_joint" type="free" damping="0" armature="0"/>
              <geom name="can" class="collide" type="cylinder" size="0.032 0.055" mass="0.15" rgba="0.8 0.75 0.2 1"/>
            </body>
            """) {
        @Override
        boolean succeeded(double[] p) {
            return Math.abs(p[0] - BIN_X) < BIN_INNER && Math.abs(p[1] - BIN_Y) < BIN_INNER && p[2] < BIN_RIM;
        }
    };

    public final String id, objectBody, objectsXml;
    public final int horizon;
    /** Resting height of the object's centre on the table. */
    public final double restHeight;
    /** Where the object starts: x ∈ [xLo, xHi], y ∈ [yLo, yHi], with a uniform random yaw. */
    private final double[] placement;
    /** Where the demonstrator puts the object down ((x, y) of the goal), or null when lifting it is the task. */
    final double[] goal;
    /** The demonstrator's grip point above the object's centre, and the height it lifts to. */
    final double graspHeight, liftHeight;
    /** Whether the object has faces the fingers must line up with (a cube) rather than being round (a can). */
    final boolean alignToFaces;

    ArmTask(String id, String objectBody, int horizon, double restHeight, double[] placement, double[] goal, double graspHeight,
            double liftHeight, boolean alignToFaces, String objectsXml) {
        this.id = id;
        this.objectBody = objectBody;
        this.horizon = horizon;
        this.restHeight = restHeight;
        this.placement = placement;
        this.goal = goal;
        this.graspHeight = graspHeight;
        this.liftHeight = liftHeight;
        this.alignToFaces = alignToFaces;
        this.objectsXml = objectsXml;
    }

    /** Resting height of the object's centre on the table. */
    public double restHeight() {
        return restHeight;
    }

    /** The task called {@code name} ("lift", "can"), or null. */
    public static ArmTask of(String name) {
        for (ArmTask t : values()) if (t.id.equals(name.toLowerCase(Locale.ROOT))) return t;
        return null;
    }

    /** Bin centre (the can task's goal) and inner half-width of the can task, and its rim height. */
    public static final double BIN_X = 0, BIN_Y = 0.22, BIN_INNER = 0.09, BIN_RIM = 0.08;

    /** A random initial object pose: position 3, quaternion 4. */
    double[] samplePose(SplittableRandom rng) {
        double x = uniform(rng, placement[0], placement[1]);
        double y = uniform(rng, placement[2], placement[3]);
        double yaw = uniform(rng, 0, 2 * Math.PI);
        return new double[] {x, y, restHeight, Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)};
    }

    /** Whether the object at {@code position} (its centre) completes the task. */
    abstract boolean succeeded(double[] position);

    boolean succeeded(ArmEnv env) {
        return succeeded(env.objectPosition());
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }
}
