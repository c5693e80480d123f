package io.dmpo.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Cut, corrupted and degenerate HDF5 files are errors naming the file, never data. */
class CorruptFilesTest {
    @TempDir
    Path tmp;

    private Path valid(String name, int n, int obsDim) throws IOException {
        SplittableRandom rng = new SplittableRandom(n);
        float[] obs = new float[n * obsDim], act = new float[n * 2], rew = new float[n];
        for (int i = 0; i < obs.length; i++) obs[i] = (float) rng.nextGaussian();
        for (int i = 0; i < act.length; i++) act[i] = (float) rng.nextDouble(-1, 1);
        for (int i = 0; i < n; i++) rew[i] = i;
        boolean[] term = new boolean[n], tmo = new boolean[n];
        tmo[n - 1] = true;
        Path f = tmp.resolve(name);
        D4rl.write(f, new ArrayDataset("mem", "memory", obsDim, 2, obs, act, rew, term, tmo, null, Map.of()), Map.of("env", "toy"));
        return f;
    }

    @Test
    void everyCutOfAFileIsAnError() throws IOException {
        Path f = valid("whole.h5", 64, 3);
        byte[] all = Files.readAllBytes(f);
        assertEquals(64, Datasets.open(f).size());
        // cut by its last byte, by a few bytes, through the raw data, through the metadata
        for (int cut : new int[] {1, 2, 7, 64, all.length / 3, all.length / 2, all.length - 600}) {
            Path c = tmp.resolve("cut" + cut + ".h5");
            Files.write(c, Arrays.copyOf(all, all.length - cut));
            DataException e = assertThrows(DataException.class, () -> Datasets.open(c), "cut " + cut + " read as data");
            assertTrue(e.getMessage().startsWith(c.toString()), e.getMessage());
        }
    }

    @Test
    void theH5pyFixtureCutByOneByteIsAnError() throws IOException {
        byte[] all = Files.readAllBytes(DataTest.fixture("d4rl_h5py.h5"));
        Path c = tmp.resolve("h5py-cut.h5");
        Files.write(c, Arrays.copyOf(all, all.length - 1));
        assertTrue(assertThrows(DataException.class, () -> Datasets.open(c)).getMessage().contains("truncated"));
    }

    @Test
    void aDataspaceLargerThanItsStorageIsAnError() throws IOException {
        // h5py's (checksum-free) fixture: observations and next_observations are (12, 3) float32, stored as
        // little-endian 8-byte dims in their dataspace messages; grow the first of them to (40, 3)
        byte[] all = Files.readAllBytes(DataTest.fixture("d4rl_h5py.h5"));
        byte[] dims = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(12).putLong(3).array();
        int at = indexOf(all, dims);
        assertTrue(at >= 0, "dataspace (12, 3) not found");
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(at, 40);
        Path bad = tmp.resolve("grown.h5");
        Files.write(bad, all);
        String m = assertThrows(DataException.class, () -> Datasets.open(bad)).getMessage();
        assertTrue(m.contains("observations'") && m.contains("480 bytes but only 144 are stored"), m);
    }

    @Test
    void emptyDatasetsAndNonFilesAreNamedErrors() throws IOException {
        Path empty = DataTest.fixture("d4rl_empty_h5py.h5");
        String m = assertThrows(DataException.class, () -> Datasets.open(empty)).getMessage();
        assertTrue(m.contains("field 'observations': is empty"), m);
        m = assertThrows(DataException.class, () -> Datasets.open(tmp)).getMessage();
        assertTrue(m.endsWith("not a regular file"), m);
        Path zero = Files.createFile(tmp.resolve("zero.h5"));
        m = assertThrows(DataException.class, () -> Datasets.open(zero)).getMessage();
        assertTrue(m.startsWith(zero.toString()), m);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
