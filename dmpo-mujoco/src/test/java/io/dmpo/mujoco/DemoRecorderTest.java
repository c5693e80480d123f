package io.dmpo.mujoco;

import io.dmpo.data.ArrayDataset;
import io.dmpo.data.Robomimic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Demos → robomimic HDF5 → reader: the round trip, and that a demo's observations are what the pixel env shows. */
class DemoRecorderTest {
    static final List<String> KEYS = List.of("agentview_image", "robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos");

    @Test
    void demosRoundTripAndMatchThePixelEnv(@TempDir Path dir) throws Exception {
        int size = 32;
        DemoRecorder.Result r = DemoRecorder.record(ArmTask.LIFT, 2, 6, size, 0.1, DemoRecorder.Labels.INTENDED, 40, n -> { });
        assertEquals(2, r.demos().size());
        Path file = dir.resolve("lift.h5");
        Robomimic.write(file, r.demos(), java.util.Map.of("env", "lift"));
        ArrayDataset d = Robomimic.read(file, KEYS);
        int total = r.demos().stream().mapToInt(x -> x.actions().length).sum();
        assertEquals(total, d.size());
        assertEquals(3 * size * size + ArmEnv.PROPRIO, d.obsDim());
        assertEquals(ArmEnv.ACT_DIM, d.actDim());
        assertEquals(2, d.episodes().size());
        assertTrue(d.episodes().get(0).terminated(), "a demo ends in success");
        assertEquals(1.0, d.episodes().get(0).ret(), 1e-6, "sparse reward: 1 at the end");
        float[][] a0 = r.demos().get(0).actions();
        for (int j = 0; j < ArmEnv.ACT_DIM; j++) assertEquals(a0[0][j], d.actions()[j], 0f);

        // images are HDF5 uint8, as robomimic writes them (h5py reads uint8, not negative int8 pixels)
        try (io.jhdf.HdfFile h = new io.jhdf.HdfFile(file)) {
            io.jhdf.api.Dataset img = h.getDatasetByPath("data/demo_0/obs/agentview_image");
            var type = (io.jhdf.object.datatype.FixedPoint) img.getDataType();
            assertEquals(1, type.getSize());
            org.junit.jupiter.api.Assertions.assertFalse(type.isSigned(), "uint8, not int8");
            int max = java.util.Arrays.stream((int[]) img.getDataFlat()).max().orElseThrow();
            assertTrue(max > 127 && max <= 255, "bright pixels read as 128..255: " + max);
        }

        var e = org.junit.jupiter.api.Assertions.assertThrows(io.dmpo.data.DataException.class,
                () -> Robomimic.read(file, List.of("robot0_eef_pos", "agentview_image")));
        assertTrue(e.getMessage().contains("first"), e.getMessage());

        // the first observation of the first demo equals the pixel env's reset observation for the same seed
        try (ArmEnv env = new ArmEnv(ArmTask.LIFT, new Camera("agentview", size, size))) {
            double[] o = env.reset(40); // the recorder's first attempt resets with seed + 0
            float[] row = new float[d.obsDim()];
            System.arraycopy(d.observations(), 0, row, 0, row.length);
            double[] expected = new double[row.length];
            for (int i = 0; i < row.length; i++) expected[i] = row[i];
            for (int i = 3 * size * size; i < o.length; i++) o[i] = (float) o[i]; // the file holds float32 proprioception
            assertArrayEquals(expected, o, 1e-7, "image (CHW 0..255) and proprioception as the env observes them");
            int nonzero = 0;
            for (int i = 0; i < 3 * size * size; i++) if (o[i] > 0) nonzero++;
            assertTrue(nonzero > size * size, "the image is not blank");
        }
    }

    /**
     * Intended labels: the same episodes (the env runs the same noisy actions), only the stored actions differ, by
     * the demonstrator's noise on the six arm dimensions and not at all on the gripper; replaying the executed actions
     * reproduces the states, so they are what drove the env.
     */
    @Test
    void intendedLabelsKeepTheStatesAndDropTheNoise() {
        var executed = DemoRecorder.record(ArmTask.CAN, 2, 6, 0, 0.1, DemoRecorder.Labels.EXECUTED, 5, n -> { });
        var intended = DemoRecorder.record(ArmTask.CAN, 2, 6, 0, 0.1, DemoRecorder.Labels.INTENDED, 5, n -> { });
        assertEquals(2, intended.demos().size());
        for (int d = 0; d < 2; d++) {
            Robomimic.Demo x = executed.demos().get(d), y = intended.demos().get(d);
            assertEquals(x.actions().length, y.actions().length);
            for (String key : x.observations().keySet()) {
                assertTrue(java.util.Arrays.deepEquals((Object[]) x.observations().get(key), (Object[]) y.observations().get(key)), key + " differs");
            }
            double squared = 0;
            int n = 0;
            for (int t = 0; t < x.actions().length; t++) {
                assertEquals(x.actions()[t][6], y.actions()[t][6], 0f, "the gripper has no noise");
                for (int j = 0; j < 6; j++) {
                    assertTrue(Math.abs(y.actions()[t][j]) <= 1f, "clipped like the executed action");
                    double diff = x.actions()[t][j] - y.actions()[t][j];
                    squared += diff * diff;
                    n++;
                }
            }
            double rms = Math.sqrt(squared / n);
            assertTrue(rms > 0.02 && rms < 0.1, "executed - intended is the noise (σ 0.1 at most, scaled per phase): rms " + rms);
        }
        // replaying the executed actions retraces the hand over the first steps (free motion, before any contact;
        // the file's float32 actions differ from the doubles the recorder ran by rounding only)
        try (ArmEnv env = new ArmEnv(ArmTask.CAN, Camera.NONE)) {
            env.reset(5);
            float[][] actions = executed.demos().get(0).actions(), hand = (float[][]) executed.demos().get(0).observations().get("robot0_eef_pos");
            double[] proprio = new double[ArmEnv.PROPRIO];
            for (int t = 0; t < 15; t++) {
                env.proprioception(proprio, 0);
                for (int i = 0; i < 3; i++) assertEquals(hand[t][i], proprio[i], 1e-5, "step " + t);
                double[] a = new double[actions[t].length];
                for (int i = 0; i < a.length; i++) a[i] = actions[t][i];
                env.step(a);
            }
        }
    }
}
