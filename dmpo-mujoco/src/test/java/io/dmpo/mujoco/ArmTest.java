package io.dmpo.mujoco;

import io.dmpo.env.StepResult;
import io.dmpo.env.SuccessReward;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The arm, its end-effector controller, the lift / can / square tasks and the scripted demonstrator. */
class ArmTest {
    @Test
    void homePoseHoldsTheGripperDownAboveTheTable() {
        try (ArmEnv env = new ArmEnv(ArmTask.LIFT, Camera.NONE)) {
            double[] o = env.reset(0);
            assertEquals(19, o.length);
            double[] g = env.gripPosition(), q = env.handQuaternion();
            // hand z axis (the gripper's pointing direction) = R(q)·(0, 0, 1): must point down
            double zx = 2 * (q[1] * q[3] + q[0] * q[2]), zy = 2 * (q[2] * q[3] - q[0] * q[1]), zz = 1 - 2 * (q[1] * q[1] + q[2] * q[2]);
            assertTrue(zz < -0.99, "gripper points down: " + zx + ", " + zy + ", " + zz);
            assertTrue(g[2] > 0.1 && g[2] < 0.35, "grip point above the table: " + java.util.Arrays.toString(g));
            assertTrue(Math.abs(g[1]) < 0.02 && g[0] > -0.3 && g[0] < 0.1, "grip point in front of the base: " + java.util.Arrays.toString(g));
            // zero action: the arm holds still (gravity compensated, servos at the current pose)
            for (int i = 0; i < 20; i++) env.step(new double[] {0, 0, 0, 0, 0, 0, -1});
            double[] g2 = env.gripPosition();
            assertEquals(0, distance(g, g2), 0.005, "drift under zero action");
        }
    }

    /** The fingers' servo target the controller set at the last step. */
    private static double fingerTarget(ArmEnv env) {
        return env.data().ctrl.getAtIndex(MuJoCo.F64, ArmController.JOINTS);
    }

    private static double[] gripperAction(double g) {
        return new double[] {0, 0, 0, 0, 0, 0, g};
    }

    @Test
    void gripperFollowsTheSignOfItsActionAsRobosuitesPandaGripperDoes() {
        double open = ArmController.FINGER_OPEN, perStep = ArmController.GRIPPER_SPEED * ArmEnv.PHYSICS_STEPS_PER_ACTION;
        assertEquals(0.25, perStep, 1e-12); // robosuite: 0.01 per 2 ms substep, 25 substeps per 50 ms step
        try (ArmEnv env = new ArmEnv(ArmTask.LIFT, Camera.NONE)) {
            env.reset(3);
            for (int s = 1; s <= 4; s++) { // a small positive action closes as fast as +1: only its sign counts
                env.step(gripperAction(0.1));
                assertEquals(open * (1 - (-1 + s * perStep)) / 2, fingerTarget(env), 1e-12, "step " + s);
            }
            env.step(gripperAction(0));
            assertEquals(open / 2, fingerTarget(env), 1e-12, "0 holds the command");
            env.step(gripperAction(-0.01));
            assertEquals(open * (1 - (-perStep)) / 2, fingerTarget(env), 1e-12, "a negative action opens");
            for (int s = 0; s < 12; s++) env.step(gripperAction(1));
            assertEquals(0, fingerTarget(env), 1e-12, "fully closed, and no further");
            env.reset(3);
            env.step(gripperAction(0));
            assertEquals(open, fingerTarget(env), 1e-12, "reset reopens the command");
            env.applyAction(gripperAction(1), 5);
            assertEquals(open * (1 - (-1 + 5 * ArmController.GRIPPER_SPEED)) / 2, fingerTarget(env), 1e-12, "per physics step");
        }
    }

    @Test
    void controllerReachesATargetPose() {
        try (ArmEnv env = new ArmEnv(ArmTask.LIFT, Camera.NONE)) {
            env.reset(1);
            double[] start = env.gripPosition();
            double[] target = {start[0] + 0.1, start[1] - 0.12, start[2] - 0.08};
            double[] q0 = env.handQuaternion();
            double[] a = new double[7];
            for (int i = 0; i < 60; i++) {
                double[] g = env.gripPosition();
                for (int k = 0; k < 3; k++) a[k] = Math.max(-1, Math.min(1, (target[k] - g[k]) / ArmController.POSITION_SCALE));
                double[] r = ArmController.rotationBetween(env.handQuaternion(), q0);
                for (int k = 0; k < 3; k++) a[3 + k] = Math.max(-1, Math.min(1, r[k] / ArmController.ROTATION_SCALE));
                a[6] = -1;
                env.step(a);
            }
            assertEquals(0, distance(env.gripPosition(), target), 0.005, "position error after 3 s");
            double[] r = ArmController.rotationBetween(env.handQuaternion(), q0);
            assertEquals(0, Math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]), 0.03, "orientation held");
        }
    }

    @Test
    void controlLoopStagesAllocateNothing() throws Exception {
        // measured in a fresh JVM whose hot code is the control tick (as on a robot): in this test JVM, code compiled
        // for other tests changes what C2's escape analysis removes
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ControlTickAllocation.class.getName()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), text);
        String last = text.lines().reduce((x, y) -> y).orElse("");
        assertEquals("bytes per tick: 0", last, text);
    }

    @Test
    void actionsOutsideTheBoxAreClipped() {
        try (ArmEnv a = new ArmEnv(ArmTask.LIFT, Camera.NONE); ArmEnv b = new ArmEnv(ArmTask.LIFT, Camera.NONE)) {
            a.reset(3);
            b.reset(3);
            for (int i = 0; i < 5; i++) {
                double[] oa = a.step(new double[] {5, -7, 2, 0.5, -3, 9, 4}).obs();
                double[] ob = b.step(new double[] {1, -1, 1, 0.5, -1, 1, 1}).obs();
                assertArrayEquals(ob, oa, "step " + i);
            }
        }
    }

    @Test
    void successOnCraftedStates() {
        try (ArmEnv lift = new ArmEnv(ArmTask.LIFT, Camera.NONE); ArmEnv can = new ArmEnv(ArmTask.CAN, Camera.NONE)) {
            lift.reset(0);
            assertFalse(lift.success());
            lift.placeObject(new double[] {0, 0, 0.021, 1, 0, 0, 0});
            assertFalse(lift.success(), "cube on the table");
            lift.placeObject(new double[] {0, 0, 0.06, 1, 0, 0, 0});
            assertTrue(lift.success(), "cube 6 cm up");
            can.reset(0);
            can.placeObject(new double[] {ArmTask.BIN_X, ArmTask.BIN_Y, 0.065, 1, 0, 0, 0});
            assertTrue(can.success(), "can resting in the bin");
            can.placeObject(new double[] {ArmTask.BIN_X, ArmTask.BIN_Y, 0.2, 1, 0, 0, 0});
            assertFalse(can.success(), "can held above the bin");
            can.placeObject(new double[] {ArmTask.BIN_X + 0.15, ArmTask.BIN_Y, 0.055, 1, 0, 0, 0});
            assertFalse(can.success(), "can beside the bin");
        }
    }

    @Test
    void squareSucceedsOnlyWithTheNutDownAroundThePeg() {
        try (ArmEnv env = new ArmEnv(ArmTask.SQUARE, Camera.NONE)) {
            env.reset(0);
            assertFalse(env.success(), "nut at its start");
            env.placeObject(new double[] {ArmTask.PEG_X, ArmTask.PEG_Y, ArmTask.SQUARE.restHeight(), 1, 0, 0, 0});
            assertTrue(env.success(), "nut on the table around the peg");
            env.placeObject(new double[] {ArmTask.PEG_X, ArmTask.PEG_Y, 0.12, 1, 0, 0, 0});
            assertFalse(env.success(), "nut above the peg's top");
            env.placeObject(new double[] {ArmTask.PEG_X + 0.12, ArmTask.PEG_Y, ArmTask.SQUARE.restHeight(), 1, 0, 0, 0});
            assertFalse(env.success(), "nut on the table beside the peg");
        }
    }

    /**
     * The square nut's physics: released level over the peg it slides down around it when its square is aligned with
     * the peg's (a few degrees off included), and stays on the peg's top when turned 45° (the peg's corners do not
     * pass the 4.2 cm hole); at rest on the table it stays at rest at every yaw.
     */
    @Test
    void theNutGoesDownAroundThePegOnlyWhenAligned() {
        try (ArmEnv env = new ArmEnv(ArmTask.SQUARE, Camera.NONE)) {
            double[] park = {0.3, -0.3, 0.1, 0, 0, 0, -1}; // the hand out of the way
            for (double deg : new double[] {0, 5, 90, 45}) {
                env.reset(0);
                for (int i = 0; i < 30; i++) {
                    double[] g = env.gripPosition();
                    double[] a = park.clone();
                    for (int k = 0; k < 3; k++) a[k] = Math.max(-1, Math.min(1, (park[k] - g[k]) / ArmController.POSITION_SCALE));
                    env.step(a);
                }
                double yaw = Math.toRadians(deg);
                env.placeObject(new double[] {ArmTask.PEG_X, ArmTask.PEG_Y, 0.13, Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)});
                boolean down = false;
                for (int i = 0; i < 20 && !down; i++) down = env.step(new double[] {0, 0, 0, 0, 0, 0, -1}).terminated();
                if (deg == 45) {
                    assertFalse(down, "turned 45°: the nut must not pass the peg");
                    assertTrue(env.objectPosition()[2] > 0.09, "turned 45°: resting on the peg's top, z = " + env.objectPosition()[2]);
                } else {
                    assertTrue(down, deg + "°: the nut goes down around the peg, z = " + env.objectPosition()[2]);
                }
            }
            int moved = 0;
            for (int deg = 0; deg < 360; deg += 5) {
                env.reset(1);
                double yaw = Math.toRadians(deg);
                double rest = ArmTask.SQUARE.restHeight();
                env.placeObject(new double[] {-0.112, 0.15, rest, Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)});
                for (int i = 0; i < 3; i++) env.step(new double[ArmEnv.ACT_DIM]);
                if (Math.abs(env.objectPosition()[2] - rest) > 0.001) moved++;
            }
            assertEquals(0, moved, "nut placements that jumped off the table at rest");
        }
    }

    /** An object pushed off the table lands on the floor (z = -0.8) instead of falling for the rest of the episode. */
    @Test
    void anObjectOffTheTableLandsOnTheFloor() {
        for (ArmTask task : ArmTask.values()) {
            try (ArmEnv env = new ArmEnv(task, Camera.NONE)) {
                for (double[] where : new double[][] {{0, -0.75}, {-5, 3}}) { // beside the table (edge y = -0.6); far away
                    env.reset(0);
                    env.placeObject(new double[] {where[0], where[1], -0.5, 1, 0, 0, 0});
                    for (int i = 0; i < 60; i++) env.step(new double[ArmEnv.ACT_DIM]); // 3 s
                    double z = env.objectPosition()[2];
                    assertTrue(z > -0.85 && z < -0.7, task.id + " at " + java.util.Arrays.toString(where) + ": on the floor, z = " + z);
                }
            }
        }
    }

    @Test
    void resetsAreSeededAndRandomizeTheObject() {
        try (ArmEnv env = new ArmEnv(ArmTask.LIFT, Camera.NONE)) {
            double[] a = env.reset(5), b = env.reset(6), c = env.reset(5);
            assertArrayEquals(a, c, "same seed, same start");
            assertTrue(distance(a, b) > 1e-4, "another seed moves the cube");
            assertTrue(Math.abs(a[0]) <= 0.03 && Math.abs(a[1]) <= 0.03, "within the placement range");
            assertThrows(IllegalArgumentException.class, () -> env.step(new double[] {0, 0, 0, 0, 0, Double.NaN, 0}));
            assertThrows(IllegalArgumentException.class, () -> env.step(new double[] {0, 0, 0}));
        }
    }

    @Test
    void scriptedDemonstratorSolvesEveryTask() {
        for (ArmTask task : ArmTask.values()) {
            int wins = 0, episodes = 6;
            try (ArmEnv env = new ArmEnv(task, Camera.NONE)) {
                for (int e = 0; e < episodes; e++) {
                    env.reset(100 + e);
                    ScriptedDemonstrator demo = new ScriptedDemonstrator(env, 0.1, e);
                    demo.start();
                    StepResult r;
                    do {
                        r = env.step(demo.act());
                    } while (!r.terminated() && !r.truncated());
                    if (r.terminated()) {
                        assertEquals(1.0, r.reward(), "sparse reward on success");
                        wins++;
                    }
                }
            }
            assertTrue(wins >= episodes - 1, task.id + ": demonstrator succeeded " + wins + "/" + episodes);
        }
    }

    /**
     * The can's approach ends at the hand's home height over the can's axis and comes straight down (docs/manipulation.md,
     * "Demonstrations"): a finger that lands on the rim tips the can, and an imitation of a diagonal approach
     * does that more often than its demonstrations. Measured over 100 seeded episodes: with the earlier approach (8 cm
     * above the grasp, within 12 mm) 45 tilted the can past 3° before the fingers closed, with this one 30.
     */
    @Test
    void canApproachRarelyTouchesTheCanBeforeTheGrasp() {
        int touched = 0, episodes = 100;
        try (ArmEnv env = new ArmEnv(ArmTask.CAN, Camera.NONE)) {
            for (int e = 0; e < episodes; e++) {
                env.reset(100 + e);
                ScriptedDemonstrator demo = new ScriptedDemonstrator(env, 0.1, e);
                demo.start();
                double tilt = 0;
                boolean descended = false;
                while (demo.phase().equals("APPROACH") || demo.phase().equals("DESCEND")) {
                    double[] q = env.objectQuaternion();
                    tilt = Math.max(tilt, Math.toDegrees(2 * Math.acos(Math.min(1, Math.hypot(q[0], q[3])))));
                    double[] grip = env.gripPosition(), can = env.objectPosition(), action = demo.act();
                    if (demo.phase().equals("DESCEND") && !descended) { // where the hand is as the descent begins
                        descended = true;
                        assertTrue(Math.hypot(grip[0] - can[0], grip[1] - can[1]) < 0.005, "episode " + e + ": descends over the axis");
                        assertTrue(grip[2] - can[2] > 0.015 + 0.12 - 0.012, "episode " + e + ": descends from the approach height");
                    }
                    StepResult r = env.step(action);
                    if (r.terminated() || r.truncated()) break;
                }
                if (tilt > 3) touched++;
            }
        }
        assertTrue(touched <= 38, touched + " of " + episodes + " demonstrations tilted the can before the grasp");
    }

    /**
     * robosuite's reward ({@link SuccessReward#EVERY_STEP}): the same trajectory as the first-success env up to its
     * first success, which pays 1 there without ending the episode; it then pays 1 at every solved step and is
     * truncated at the horizon exactly. Locomotion tasks (dense rewards) refuse it.
     */
    @Test
    void everyStepRewardRunsASolvedEpisodeToItsHorizon() {
        ArmTask task = ArmTask.LIFT;
        try (ArmEnv first = new ArmEnv(task, Camera.NONE); ArmEnv every = new ArmEnv(task, Camera.NONE, SuccessReward.EVERY_STEP)) {
            assertArrayEquals(first.reset(101), every.reset(101));
            ScriptedDemonstrator a = new ScriptedDemonstrator(first, 0.1, 1), b = new ScriptedDemonstrator(every, 0.1, 1);
            a.start();
            b.start();
            StepResult ra, rb;
            int steps = 0;
            do {
                ra = first.step(a.act());
                rb = every.step(b.act());
                steps++;
                assertArrayEquals(ra.obs(), rb.obs(), "step " + steps);
                assertEquals(ra.reward(), rb.reward(), "step " + steps);
            } while (!ra.terminated() && !ra.truncated());
            assertTrue(ra.terminated(), "the demonstrator lifts the cube");
            assertEquals(1.0, rb.reward());
            assertFalse(rb.terminated() || rb.truncated(), "a success does not end an every-step episode");
            double solvedSteps = 1;
            while (!rb.done()) {
                rb = every.step(b.act());
                steps++;
                assertTrue(rb.reward() == 0 || rb.reward() == 1, "reward " + rb.reward());
                assertEquals(every.success() ? 1.0 : 0.0, rb.reward());
                assertFalse(rb.terminated(), "never terminal");
                solvedSteps += rb.reward();
            }
            assertEquals(task.horizon, steps, "truncated at the horizon");
            assertTrue(rb.truncated());
            assertTrue(solvedSteps > 10, "the lifted cube stays solved: " + solvedSteps + " solved steps");
            StepResult end = rb;
            assertThrows(IllegalStateException.class, () -> every.step(new double[ArmEnv.ACT_DIM]), "reset after " + end);
        }
        Tasks.Task hopper = Tasks.of("hopper");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hopper.make(Camera.NONE, SuccessReward.EVERY_STEP));
        assertTrue(e.getMessage().contains("manipulation"), e.getMessage());
    }

    static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < 3; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }
}
