package io.dmpo.mujoco;

import io.dmpo.env.StepResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ErrorsTest {
    @Test
    void versionMatchesGeneratedLayout() {
        assertEquals(MjLayout.VERSION_HEADER, MuJoCo.version());
    }

    @Test
    void mjuErrorBecomesAnExceptionAndTheJvmLives() {
        MujocoException e = MuJoCo.raiseErrorForTest("something broke");
        assertNotNull(e);
        assertEquals("something broke", e.getMessage());
        // and MuJoCo still works afterwards
        try (MujocoEnv env = Tasks.make("hopper")) {
            env.reset(0);
            env.step(new double[3]);
        }
    }

    /** A real mju_error inside mj_step (stack overflow: nstack far too small) becomes an exception. */
    @Test
    void mjuErrorInsideMjStep(@TempDir Path dir) throws Exception {
        Path xml = dir.resolve("tiny_stack.xml");
        Files.writeString(xml, """
                <mujoco>
                  <size nstack="500"/>
                  <worldbody>
                    <geom type="plane" size="5 5 .1"/>
                    <body pos="0 0 1"><freejoint/><geom type="box" size=".1 .1 .1"/></body>
                    <body pos="0 0 1.3"><freejoint/><geom type="box" size=".1 .1 .1"/></body>
                  </worldbody>
                </mujoco>
                """);
        try (MjModel m = MjModel.load(xml); MjcfEnv env = new MjcfEnv("tiny", m, 5)) {
            env.reset(0);
            var e = assertThrows(MujocoException.Instability.class, () -> {
                for (int i = 0; i < 500; i++) env.step(new double[0]);
            });
            assertTrue(e.getMessage().contains("Stack overflow"), e.getMessage());
            assertTrue(env.needsReset());
        }
    }

    @Test
    void malformedAndMissingMjcf(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.xml");
        Files.writeString(bad, "<mujoco>\n <worldbody>\n  <geom type=\"sphere\" size=\"-1\"/>\n </worldbody>\n</mujoco>\n");
        var e = assertThrows(MujocoException.LoadError.class, () -> MjModel.load(bad));
        assertTrue(e.getMessage().contains("size"), e.getMessage());
        Path broken = dir.resolve("broken.xml");
        Files.writeString(broken, "<mujoco><worldbody><body>");
        e = assertThrows(MujocoException.LoadError.class, () -> MjModel.load(broken));
        assertTrue(e.getMessage().contains("XML"), e.getMessage());
        assertThrows(MujocoException.LoadError.class, () -> MjModel.load(dir.resolve("missing.xml")));
    }

    @Test
    void invalidActions() {
        try (MujocoEnv env = Tasks.make("hopper")) {
            env.reset(0);
            assertThrows(IllegalArgumentException.class, () -> env.step(new double[2]));
            var e = assertThrows(IllegalArgumentException.class, () -> env.step(new double[] {0, Double.NaN, 0}));
            assertTrue(e.getMessage().contains("NaN"));
            assertThrows(IllegalArgumentException.class, () -> env.step(new double[] {Double.POSITIVE_INFINITY, 0, 0}));
            env.invalidAction(MujocoEnv.InvalidAction.CLIP);
            StepResult r = env.step(new double[] {Double.NaN, 5, Double.NEGATIVE_INFINITY});
            assertEquals(1e-3 * (0 + 1 + 1), env.lastRewardTerms().ctrlCost(), 1e-12, "clipped to [-1, 1], NaN -> 0");
            assertEquals(11, r.obs().length);
        }
    }

    @Test
    void instabilityThrowsAndMarksForReset() {
        try (MujocoEnv env = Tasks.make("hopper")) {
            env.reset(0);
            double[] qv = new double[6];
            qv[3] = 1e12; // beyond MuJoCo's mjMAXVAL: mj_step flags bad qvel
            env.setState(env.model().qpos0(), qv);
            assertThrows(MujocoException.Instability.class, () -> env.step(new double[3]));
            assertTrue(env.needsReset());
            assertThrows(IllegalStateException.class, () -> env.step(new double[3]));
            env.reset(1);
            assertEquals(11, env.step(new double[3]).obs().length);
        }
    }

    @Test
    void debianHumanoidLoadsAndRuns() {
        Path p = Path.of("/usr/share/mujoco/model/humanoid/humanoid.xml");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(p), "libmujoco-samples not installed");
        try (MujocoEnv env = Tasks.make("mjcf:" + p)) {
            assertEquals(env.model().nq + env.model().nv, env.obsDim());
            assertEquals(21, env.actDim());
            env.reset(5);
            for (int i = 0; i < 20; i++) assertEquals(env.obsDim(), env.step(new double[21]).obs().length);
        }
    }

    @Test
    void sharedModelManyDataClosedDeterministically() {
        MjModel m = Tasks.model("hopper");
        List<MjData> ds = new ArrayList<>();
        for (int i = 0; i < 8; i++) ds.add(m.makeData());
        double[] first = null;
        for (MjData d : ds) {
            d.reset();
            d.step(3, false);
            double[] state = MjData.get(d.qpos);
            if (first == null) first = state;
            assertArrayEquals(first, state, "every mjData of one model steps the same from the same state");
            d.close();
            d.close(); // idempotent
            assertThrows(IllegalStateException.class, () -> d.step(1, false), "a closed mjData is an error, not a native crash");
        }
        assertFalse(java.util.Arrays.equals(first, m.qpos0()), "three steps moved the model");
    }

    /** Missing libmujoco, in a forked JVM: one line naming the apt package, and no crash. */
    @Test
    void missingLibraryMessageInForkedJvm() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-Ddmpo.mujoco.library=libmujoco.so.0.0.0-missing",
                "-cp", System.getProperty("java.class.path"), MissingLibMain.class.getName())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("apt-get install libmujoco-dev"), out);
    }

    /**
     * Missing EGL, in a forked JVM: opening a renderer is one line naming the packages, twice the same (the failure is
     * final for the process, never a retry that could hang), and physics still works.
     */
    @Test
    void missingGlMessageInForkedJvm() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Ddmpo.egl.library=libEGL.so.0-missing",
                "-cp", System.getProperty("java.class.path"), MissingGlMain.class.getName())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        List<String> lines = out.lines().toList();
        assertEquals(3, lines.size(), out);
        assertTrue(lines.get(0).contains("apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri"), out);
        assertEquals(lines.get(0), lines.get(1), "the same message the second time");
        assertEquals("physics ok", lines.get(2));
    }

    public static final class MissingGlMain {
        public static void main(String[] args) {
            for (int i = 0; i < 2; i++) {
                try (ArmEnv env = new ArmEnv(ArmTask.LIFT, new Camera("agentview", 32, 32))) {
                    System.out.println("rendered?!");
                    System.exit(1);
                } catch (MujocoException.Unavailable e) {
                    System.out.println(e.getMessage());
                }
            }
            try (ArmEnv env = new ArmEnv(ArmTask.LIFT, Camera.NONE)) {
                env.reset(0);
                env.step(new double[7]);
                System.out.println("physics ok");
            }
        }
    }

    public static final class MissingLibMain {
        public static void main(String[] args) {
            try {
                Tasks.make("hopper");
                System.out.println("loaded?!");
                System.exit(1);
            } catch (MujocoException.Unavailable e) {
                System.out.println(e.getMessage());
            }
        }
    }
}
