package io.dmpo.data;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataTest {
    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(DataTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsD4rlWrittenByH5py() {
        Dataset d = Datasets.open(fixture("d4rl_h5py.h5"));
        assertEquals("d4rl", d.layout());
        assertEquals(12, d.size());
        assertEquals(3, d.obsDim());
        assertEquals(2, d.actDim());
        assertArrayEquals(new float[] {7, 70, -7}, java.util.Arrays.copyOfRange(d.observations(), 21, 24));
        assertEquals(0.7f, d.actions()[14], 1e-6);
        assertEquals(8, d.nextObservations()[21]);
        // h5py booleans arrive through jhdf as "TRUE"/"FALSE" strings: mapped
        assertTrue(d.terminals()[4]);
        assertTrue(d.timeouts()[8]);
        int flags = 0;
        for (int i = 0; i < 12; i++) flags += (d.terminals()[i] ? 1 : 0) + (d.timeouts()[i] ? 1 : 0);
        assertEquals(2, flags);
        assertEquals(List.of(new Dataset.Episode(0, 5, true, 0 + 1 + 2 + 3 + 4), new Dataset.Episode(5, 4, false, 5 + 6 + 7 + 8),
                new Dataset.Episode(9, 3, false, 9 + 10 + 11)), d.episodes());
        assertEquals("toy", d.attributes().get("env"));
        assertEquals(3L, ((Number) d.attributes().get("seed")).longValue());
    }

    @Test
    void readsRobomimicWrittenByH5py() {
        Dataset d = Datasets.open(fixture("robomimic_h5py.h5"));
        assertEquals("robomimic", d.layout());
        assertEquals(10, d.size());
        assertEquals(5, d.obsDim()); // object (2) + robot0_eef_pos (3), sorted by key; the image key is skipped
        assertEquals("object,robot0_eef_pos", d.attributes().get("obs_keys"));
        assertEquals("{\"env_name\": \"Toy\"}", d.attributes().get("data.env_args"));
        // demo order is numeric: demo_0 (t 0..4), demo_1 (5..7), demo_10 (8..9)
        assertArrayEquals(new float[] {-6, 12, 6, 6.5f, 6.25f}, java.util.Arrays.copyOfRange(d.observations(), 30, 35));
        assertEquals(-0.9f, d.actions()[19], 1e-6);
        assertEquals(List.of(new Dataset.Episode(0, 5, true, 1), new Dataset.Episode(5, 3, false, 0),
                new Dataset.Episode(8, 2, true, 1)), d.episodes());
        assertTrue(d.terminals()[4]);
        assertTrue(d.timeouts()[7]);
        assertTrue(d.terminals()[9]);
        Dataset one = Datasets.open(fixture("robomimic_h5py.h5"), List.of("robot0_eef_pos"));
        assertEquals(3, one.obsDim());
    }

    @Test
    void d4rlRoundTripAndH5pyCompatibleFlags() throws Exception {
        int n = 7;
        float[] obs = new float[n * 2], act = new float[n], rew = new float[n], next = new float[n * 2];
        boolean[] term = new boolean[n], tmo = new boolean[n];
        for (int i = 0; i < n; i++) {
            obs[2 * i] = i; obs[2 * i + 1] = -i * 0.5f; act[i] = i / 7f; rew[i] = 1 + i; next[2 * i] = i + 1;
        }
        term[2] = true;
        tmo[6] = true;
        ArrayDataset d = new ArrayDataset("mem", "memory", 2, 1, obs, act, rew, term, tmo, next, Map.of());
        Path f = tmp.resolve("rt.h5");
        D4rl.write(f, d, Map.of("env", "toy", "seed", 5L, "mean_return", 12.5, "flag", true));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(f), s.toList(), "no temporary files left");
        }
        Dataset r = Datasets.open(f);
        DataException keys = assertThrows(DataException.class, () -> Datasets.open(f, List.of("object")));
        assertTrue(keys.getMessage().contains("D4RL"), keys.getMessage());
        assertArrayEquals(obs, r.observations());
        assertArrayEquals(act, r.actions());
        assertArrayEquals(rew, r.rewards());
        assertArrayEquals(term, r.terminals());
        assertArrayEquals(tmo, r.timeouts());
        assertArrayEquals(next, r.nextObservations());
        assertEquals("toy", r.attributes().get("env"));
        assertEquals(12.5, ((Number) r.attributes().get("mean_return")).doubleValue());
        assertEquals(d.episodes(), r.episodes());
    }

    private Path write(String name, java.util.function.Consumer<WritableHdfFile> body) {
        Path f = tmp.resolve(name);
        try (WritableHdfFile w = HdfFile.write(f)) {
            body.accept(w);
        }
        return f;
    }

    private static String error(Path f) {
        return assertThrows(DataException.class, () -> Datasets.open(f)).getMessage();
    }

    @Test
    void errorsNameTheFileAndField() {
        Path missing = write("missing.h5", w -> {
            w.putDataset("observations", new float[][] {{1}, {2}});
            w.putDataset("actions", new float[][] {{1}, {2}});
            w.putDataset("rewards", new float[] {1, 2});
        });
        String m = error(missing);
        assertTrue(m.startsWith(missing + ": field 'terminals': missing"), m);

        Path lengths = write("lengths.h5", w -> {
            w.putDataset("observations", new float[][] {{1}, {2}, {3}});
            w.putDataset("actions", new float[][] {{1}, {2}});
            w.putDataset("rewards", new float[] {1, 2});
            w.putDataset("terminals", new boolean[] {false, true});
        });
        m = error(lengths);
        assertTrue(m.contains(": field 'observations': has 3 rows, rewards has 2"), m);

        Path nan = write("nan.h5", w -> {
            w.putDataset("observations", new float[][] {{1}, {Float.NaN}});
            w.putDataset("actions", new float[][] {{1}, {2}});
            w.putDataset("rewards", new float[] {1, 2});
            w.putDataset("terminals", new boolean[] {false, true});
        });
        m = error(nan);
        assertTrue(m.contains(": field 'observations': non-finite value NaN at row 1"), m);

        Path inf = write("inf.h5", w -> {
            w.putDataset("observations", new float[][] {{1}, {2}});
            w.putDataset("actions", new float[][] {{1}, {2}});
            w.putDataset("rewards", new float[] {1, Float.POSITIVE_INFINITY});
            w.putDataset("terminals", new boolean[] {false, true});
        });
        assertTrue(error(inf).contains("field 'rewards': non-finite value Infinity at row 1"));

        Path unknown = write("unknown.h5", w -> w.putDataset("foo", new float[] {1}));
        assertTrue(error(unknown).contains(": unknown layout"));

        assertTrue(error(tmp.resolve("nope.h5")).endsWith("nope.h5: no such file"));
        Path garbage = tmp.resolve("garbage.h5");
        try {
            Files.writeString(garbage, "not hdf5");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        assertTrue(error(garbage).contains("not a readable HDF5 file"));

        Dataset ok = Datasets.open(fixture("d4rl_h5py.h5"));
        m = assertThrows(DataException.class, () -> ok.requireDims(11, 2, "hopper")).getMessage();
        assertTrue(m.contains("field 'observations': has 3 columns, env 'hopper' has obs_dim 11"), m);
        m = assertThrows(DataException.class, () -> ok.requireDims(3, 3, "hopper")).getMessage();
        assertTrue(m.contains("field 'actions'"), m);
    }

    @Test
    void windowSamplerEdgeCases() {
        // episodes [0,3) terminated, [3,5) timeout, [5,6) trailing; obs = i, act = 10·i
        int n = 6;
        float[] obs = new float[n], act = new float[n], rew = new float[n];
        for (int i = 0; i < n; i++) { obs[i] = i; act[i] = 10 * i; }
        boolean[] term = new boolean[n], tmo = new boolean[n];
        term[2] = true;
        tmo[4] = true;
        ArrayDataset d = new ArrayDataset("mem", "memory", 1, 1, obs, act, rew, term, tmo, null, Map.of());
        WindowSampler w = new WindowSampler(d, 2, 3);
        float[] o = new float[2], a = new float[3];
        w.window(0, o, 0, a, 0); // episode start: history repeats the first observation
        assertArrayEquals(new float[] {0, 0}, o);
        assertArrayEquals(new float[] {0, 10, 20}, a);
        w.window(2, o, 0, a, 0); // episode end: last action repeated, never the next episode's
        assertArrayEquals(new float[] {1, 2}, o);
        assertArrayEquals(new float[] {20, 20, 20}, a);
        w.window(3, o, 0, a, 0); // first step of episode 2: no observation from episode 1
        assertArrayEquals(new float[] {3, 3}, o);
        assertArrayEquals(new float[] {30, 40, 40}, a);
        w.window(5, o, 0, a, 0); // one-step trailing episode
        assertArrayEquals(new float[] {5, 5}, o);
        assertArrayEquals(new float[] {50, 50, 50}, a);
        // random batches stay within episodes
        WindowSampler w1 = new WindowSampler(d, 1, 4);
        float[] ob = new float[64], ab = new float[64 * 4];
        int[] idx = w1.sample(64, new SplittableRandom(1), ob, ab);
        for (int b = 0; b < 64; b++) {
            int start = idx[b];
            Dataset.Episode e = d.episodes().stream().filter(x -> x.start() <= start && start < x.end()).findFirst().orElseThrow();
            for (int k = 0; k < 4; k++) {
                int t = (int) (ab[b * 4 + k] / 10);
                assertTrue(t >= e.start() && t < e.end(), "window " + idx[b] + " action from another episode");
            }
        }
    }

    @Test
    void minMaxNormalization() {
        float[] x = {0, -2, 4, 2, 2, 2}; // rows (0,-2) (4,2) (2,2)
        MinMaxNormalizer n = MinMaxNormalizer.fit(x, 2);
        assertArrayEquals(new float[] {0, -2}, n.min());
        assertArrayEquals(new float[] {4, 2}, n.max());
        float[] y = n.normalize(x.clone());
        assertEquals(-1, y[0], 1e-6);
        assertEquals(1, y[2], 1e-6);
        assertEquals(0, y[4], 1e-6);
        assertArrayEquals(x, n.unnormalize(y), 1e-5f);
        MinMaxNormalizer c = MinMaxNormalizer.fit(new float[] {3, 3}, 1); // constant: maps to -1, no division by 0
        assertEquals(-1, c.normalize(new float[] {3})[0], 1e-6);
        assertArrayEquals(n.max(), MinMaxNormalizer.fromMap(n.toMap()).max());
        assertFalse(Float.isNaN(c.unnormalize(new float[] {0.3f})[0]));
    }
}
