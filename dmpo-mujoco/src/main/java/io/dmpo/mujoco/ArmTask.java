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
 *   <li>{@code square} (robomimic's NutAssemblySquare): a square nut (a 2.4 cm thick ring, 4.2 cm hole, with a 5.5 cm
 *       handle; 40 g) placed uniformly in x ∈ [−0.115, −0.11], y ∈ [0.11, 0.225] with a uniform random yaw, and a
 *       square peg (3.2 cm wide, 10 cm tall) fixed at (0.15, 0.10) (robosuite: (0.23, 0.10); our arm, holding the hand
 *       level over the table, reaches x ≈ 0.22 at the carrying height, which a nut held by its handle needs beyond
 *       the peg); success when the nut's centre is within 3 cm of the peg's axis and below 5 cm above the table
 *       (robosuite's {@code on_peg}), i.e. the ring has gone down around the peg: the hole leaves 5 mm per side, and
 *       a corner of the peg passes only if the nut's yaw is within about 17° of the peg's (mod 90°); horizon 400.</li>
 * </ul>
 * Positions are robosuite's relative to the table centre; the object's "position" is its body origin (the cube's
 * and can's centre, the nut ring's centre).
 */
public enum ArmTask {
    LIFT("lift", "cube", 300, 0.021, new double[] {-0.03, 0.03, -0.03, 0.03}, null,
            new Script(0.0, 0.15, 0, Math.PI / 2, 0, 0, 1.0, 0.5, 1.0, false, 0.08, 0.012), """
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
    CAN("can", "can", 500, 0.055, new double[] {-0.08, 0.08, -0.25, -0.12}, new double[] {0, 0.22},
            new Script(0.015, 0.25, 0, 0, 0, 0.01 + 0.055 + 0.005, 1.0, 0.5, 1.0, false, 0.12, 0.005), """
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
    },
    // the nut: four capsule walls around a 2 × 0.021 m hole, the handle along the nut's +y axis (its grasp point is
    // the handle's middle, so the fingers close along the nut's x axis, as on a cube's faces); the peg is part of the
    // table (no joint), at (PEG_X, PEG_Y)
    SQUARE("square", "nut", 400, 0.012, new double[] {-0.115, -0.11, 0.11, 0.225}, new double[] {ArmTask.PEG_X, ArmTask.PEG_Y},
            new Script(0.004, 0.17, 0.072, Math.PI, Math.PI / 2, 0.035, 0.5, 0.3, 0.5, true, 0.08, 0.012), """
            <body name="peg" pos="0.15 0.1 0">
              <geom name="peg" class="collide" type="box" pos="0 0 0.05" size="0.016 0.016 0.05" rgba="0.55 0.35 0.2 1"/>
            </body>
            <body name="nut" pos="-0.11 0.15 0.012">
              <joint name="nut_joint" type="free" damping="0" armature="0"/>
              <geom name="nut_wall_px" class="collide" type="capsule" fromto="0.033 -0.033 0 0.033 0.033 0" size="0.012" mass="0.007" rgba="0.2 0.5 0.8 1"/>
              <geom name="nut_wall_nx" class="collide" type="capsule" fromto="-0.033 -0.033 0 -0.033 0.033 0" size="0.012" mass="0.007" rgba="0.2 0.5 0.8 1"/>
              <geom name="nut_wall_py" class="collide" type="capsule" fromto="-0.033 0.033 0 0.033 0.033 0" size="0.012" mass="0.007" rgba="0.2 0.5 0.8 1"/>
              <geom name="nut_wall_ny" class="collide" type="capsule" fromto="-0.033 -0.033 0 0.033 -0.033 0" size="0.012" mass="0.007" rgba="0.2 0.5 0.8 1"/>
              <geom name="nut_handle" class="collide" type="capsule" fromto="0 0.045 0 0 0.1 0" size="0.012" mass="0.012" rgba="0.2 0.5 0.8 1"/>
            </body>
            """) {
        @Override
        boolean succeeded(double[] p) {
            return Math.abs(p[0] - PEG_X) < 0.03 && Math.abs(p[1] - PEG_Y) < 0.03 && p[2] < 0.05;
        }
    };

    /**
     * How the scripted demonstrator handles the object (see {@link ScriptedDemonstrator}):
     * <ul>
     *   <li>{@code graspHeight}: the grip point above the grasp point; {@code liftHeight}: the grip point's height
     *       when lifted or carried;</li>
     *   <li>{@code graspOffset}: the grasp point on the object's +y axis from its centre (the nut's handle);</li>
     *   <li>{@code graspPeriod}: the yaw symmetry of the object's x axis the fingers close along (a cube's faces π/2,
     *       a handle π; 0: round, no turn); {@code placePeriod}: the yaw symmetry the object must match at the goal
     *       (the square nut on its peg π/2; 0: none);</li>
     *   <li>{@code placeHeight}: the object centre's height the lowering aims at;</li>
     *   <li>{@code descendSpeed}, {@code lowerSpeed}: fractions of full speed while descending to the grasp (a thin
     *       handle leaves a narrow band of grasp heights, and slower demonstrations there give a learner more of its
     *       samples) and while lowering onto the goal;</li>
     *   <li>{@code carryNoise}: the fraction of the noise added while carrying (a nut held by its handle swings and
     *       slips under full noise);</li>
     *   <li>{@code retryPlace}: whether a lowering that stalls (the nut on the peg's top) lifts and realigns rather
     *       than letting go;</li>
     *   <li>{@code approachClearance}: the grip point's height above the grasp height at the end of the approach;
     *       {@code approachTolerance}: how close to that point (horizontally, and within 12 mm overall) the hand
     *       must come before it descends. The can's approach ends 12 cm above the grasp height (the hand's home
     *       height: it moves level over the table, then comes straight down) and within 5 mm of the can's axis: the
     *       open fingers leave about 8 mm per side, and once the grip point is less than ~8.5 cm above the can's
     *       centre a finger off the axis lands on the rim and tips the can (docs/manipulation.md, "Demonstrations").</li>
     * </ul>
     */
    record Script(double graspHeight, double liftHeight, double graspOffset, double graspPeriod, double placePeriod,
                  double placeHeight, double descendSpeed, double lowerSpeed, double carryNoise, boolean retryPlace,
                  double approachClearance, double approachTolerance) {}

    public final String id, objectBody, objectsXml;
    public final int horizon;
    /** Resting height of the object's centre on the table. */
    public final double restHeight;
    /** Where the object starts: x ∈ [xLo, xHi], y ∈ [yLo, yHi], with a uniform random yaw. */
    private final double[] placement;
    /** Where the demonstrator puts the object down ((x, y) of the goal), or null when lifting it is the task. */
    final double[] goal;
    final Script script;

    ArmTask(String id, String objectBody, int horizon, double restHeight, double[] placement, double[] goal, Script script,
            String objectsXml) {
        this.id = id;
        this.objectBody = objectBody;
        this.horizon = horizon;
        this.restHeight = restHeight;
        this.placement = placement;
        this.goal = goal;
        this.script = script;
        this.objectsXml = objectsXml;
    }

    /** Resting height of the object's centre on the table. */
    public double restHeight() {
        return restHeight;
    }

    /** The task called {@code name} ("lift", "can", "square"), or null. */
    public static ArmTask of(String name) {
        for (ArmTask t : values()) if (t.id.equals(name.toLowerCase(Locale.ROOT))) return t;
        return null;
    }

    /** Bin centre (the can task's goal) and inner half-width of the can task, and its rim height. */
    public static final double BIN_X = 0, BIN_Y = 0.22, BIN_INNER = 0.09, BIN_RIM = 0.08;
    /** The square peg's axis (the square task's goal). */
    public static final double PEG_X = 0.15, PEG_Y = 0.10;

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
