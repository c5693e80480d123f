package io.dmpo.mujoco;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The measurements behind {@code dmpo env check / bench}: what they report is what the env does. */
class EnvProbeTest {
    @Test
    void checkReportsTheEnvsSizesEpisodesAndASeededChecksum() {
        Tasks.Task hopper = Tasks.of("hopper");
        EnvProbe.Check c = EnvProbe.check(hopper, Camera.NONE, 400, 2, 2, 3, 0);
        assertEquals(11, c.obsDim());
        assertEquals(3, c.actDim());
        assertEquals(4, c.frameSkip(), "Hopper-v4 frame skip");
        assertEquals(0.008, c.dt(), 1e-12);
        assertTrue(c.episodes() > 0, "uniform random actions make Hopper fall within 400 steps");
        assertTrue(c.meanEpisodeLength() > 1 && c.meanEpisodeLength() < 400, "episode length " + c.meanEpisodeLength());
        assertEquals(c.checksum(), EnvProbe.checksum(hopper, Camera.NONE, 3, 300), "the reported checksum is the seeded rollout's");
        assertNotEquals(c.checksum(), EnvProbe.checksum(hopper, Camera.NONE, 4, 300), "another seed, another rollout");
    }

    @Test
    void physicsThroughputHasOneRowPerThreadCountAndRefusesArmTasks() throws Exception {
        List<EnvProbe.Throughput> rows = EnvProbe.physicsThroughput("hopper", Tasks.of("hopper"), 800, 2, 1, 0.01);
        assertEquals(List.of(1, 2), rows.stream().map(EnvProbe.Throughput::threads).toList());
        for (EnvProbe.Throughput r : rows) {
            assertEquals(4L * r.envStepsPerSecond(), r.mujocoStepsPerSecond(), 4.0, "4 physics steps per env step");
            assertEquals(EnvProbe.testspeedInstalled(), r.testspeedStepsPerSecond().isPresent(),
                    "a reference number exactly when mujoco-testspeed is installed");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EnvProbe.physicsThroughput("lift", Tasks.of("lift"), 800, 1, 1, 0.01));
        assertTrue(e.getMessage().contains("manipulation task"), e.getMessage());
    }
}
