package io.dmpo.train;

import io.dmpo.data.ArrayDataset;
import io.dmpo.io.Json;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.PolicyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pixel (light-ViT) policies go through the same trainer, policy file and Policy API as state policies: a synthetic
 * image dataset (a bright square whose position decides the action), random-shift augmentation and dropout on.
 */
class PixelPretrainTest {
    static final int C = 3, H = 16, W = 16, PROP = 2;

    /** 2 episodes of 40 steps: a 4×4 square at (x, y) drifting; action = its normalized position. */
    static ArrayDataset images() {
        int n = 80, od = C * H * W + PROP, ad = 2;
        float[] o = new float[n * od], a = new float[n * ad], r = new float[n];
        boolean[] term = new boolean[n], tmo = new boolean[n];
        SplittableRandom rng = new SplittableRandom(4);
        for (int i = 0; i < n; i++) {
            int x = (i * 3) % (W - 4), y = (i * 5 / 2) % (H - 4);
            for (int c = 0; c < C; c++) {
                for (int yy = 0; yy < H; yy++) {
                    for (int xx = 0; xx < W; xx++) {
                        boolean on = xx >= x && xx < x + 4 && yy >= y && yy < y + 4;
                        o[i * od + (c * H + yy) * W + xx] = on ? 255 : (float) (20 * rng.nextDouble());
                    }
                }
            }
            o[i * od + C * H * W] = x / 12f;
            o[i * od + C * H * W + 1] = (float) rng.nextGaussian();
            a[i * ad] = x / 6f - 1;
            a[i * ad + 1] = y / 6f - 1;
            r[i] = 1;
        }
        tmo[39] = true;
        tmo[79] = true;
        return new ArrayDataset("synthetic-images", "memory", od, ad, o, a, r, term, tmo, null, Map.of());
    }

    static PretrainConfig config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("algorithm", "meanflow");
        c.put("env", "none");
        c.put("threads", 1L);
        c.put("horizon", 2L);
        c.put("act_steps", 1L);
        c.put("network", new LinkedHashMap<>(Map.of("kind", "pixel", "channels", (long) C, "height", (long) H, "width", (long) W)));
        c.put("train", new LinkedHashMap<>(Map.of("epochs", 2L, "batch_size", 8L, "warmup_epochs", 0L, "val_fraction", 0.4,
                "val_batches", 1L, "random_shift", 2L)));
        c.put("dispersive", new LinkedHashMap<>(Map.of("kind", "infonce_l2", "weight", 0.5)));
        return PretrainConfig.from(new ConfigMap(c, "test"));
    }

    /** A size the network does not have is an error, not a silently ignored (and recorded) setting. */
    @Test
    void networkKeysOfTheOtherKindAreRefused() {
        Map<String, Object> pixel = new LinkedHashMap<>(Map.of("network", new LinkedHashMap<>(Map.of("kind", "pixel", "hidden", 512L)),
                "env", "none"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PretrainConfig.from(new ConfigMap(pixel, "p.yaml")));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("p.yaml: 'network.hidden' is not a setting of a pixel network"),
                e.getMessage());
        Map<String, Object> state = new LinkedHashMap<>(Map.of("network", new LinkedHashMap<>(Map.of("kind", "state", "height", 96L))));
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PretrainConfig.from(new ConfigMap(state, "s.yaml")));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'network.height' is a setting of pixel networks"), e.getMessage());
        // what older versions recorded (the unused sizes filled in) still resumes; a real setting there is still refused
        Map<String, Object> old = new LinkedHashMap<>(Map.of("env", "none", "network", new LinkedHashMap<>(Map.of("kind", "pixel",
                "channels", 3L, "height", 96L, "width", 96L, "cond_hidden", 64L, "cond_dim", 16L, "time_dim", 16L, "hidden", 512L, "blocks", 1L))));
        org.junit.jupiter.api.Assertions.assertEquals(96, PretrainConfig.fromRecorded(old, "config.json").network().height());
        @SuppressWarnings("unchecked") Map<String, Object> oldNet = (Map<String, Object>) old.get("network");
        oldNet.put("hidden", 256L);
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> PretrainConfig.fromRecorded(old, "config.json"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'network.hidden'"), e.getMessage());
        Map<String, Object> oldState = new LinkedHashMap<>(Map.of("network", new LinkedHashMap<>(Map.of("kind", "state", "hidden", 64L,
                "channels", 0L, "height", 0L, "width", 0L))));
        org.junit.jupiter.api.Assertions.assertEquals(64, PretrainConfig.fromRecorded(oldState, "config.json").network().hidden());
        Map<String, Object> resolved = config().resolved();
        @SuppressWarnings("unchecked") Map<String, Object> net = (Map<String, Object>) resolved.get("network");
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Set.of("kind", "channels", "height", "width"), net.keySet(),
                "the recorded configuration holds only what the network uses");
    }

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @Test
    void pixelPoliciesTrainThroughTheSameTrainerAndPolicyApi(@TempDir Path tmp) throws Exception {
        ArrayDataset data = images();
        Pretrainer.Result a = new Pretrainer(config(), data, Map.of("dataset", "synthetic"), QUIET).run(tmp.resolve("a"), false);
        new Pretrainer(config(), data, Map.of("dataset", "synthetic"), QUIET).run(tmp.resolve("b"), false);
        assertEquals(times(tmp.resolve("a")), times(tmp.resolve("b")), "same seed => same metrics");
        FlowPolicy p = PolicyFile.load(a.policy());
        assertTrue(p.spec().architecture().pixel());
        assertEquals(C * H * W + PROP, p.obsDim());
        assertEquals(1_000_000, p.actor().paramCount(), 900_000, "the light-ViT actor");
        double[] obs = new double[p.obsDim()];
        for (int j = 0; j < obs.length; j++) obs[j] = data.observations()[j];
        double[][] act = p.act(new double[][] {obs}, new SplittableRandom(1));
        assertEquals(1, act.length);
        for (double v : act[0]) assertTrue(Double.isFinite(v) && v >= -1.0001 && v <= 1.0001, "env action in the data range: " + v);
        assertEquals(p.act(new double[][] {obs}, new SplittableRandom(1))[0][0], act[0][0], "dropout is off in the saved policy");
    }

    private static List<String> times(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            m.remove("epoch_seconds");
            out.add(Json.write(m));
        }
        return out;
    }

    @Test
    void randomShiftMovesTheImageWithEdgeReplication() {
        int c = 1, h = 5, w = 6, width = c * h * w + 2, pad = 2;
        float[] rows = new float[2 * width];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        float[] before = rows.clone();
        SplittableRandom rng = new SplittableRandom(8), replay = new SplittableRandom(8);
        RandomShift.apply(rows, 2, width, c, h, w, pad, rng);
        for (int b = 0; b < 2; b++) {
            int dy = replay.nextInt(2 * pad + 1) - pad, dx = replay.nextInt(2 * pad + 1) - pad;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int sy = Math.min(h - 1, Math.max(0, y + dy)), sx = Math.min(w - 1, Math.max(0, x + dx));
                    assertEquals(before[b * width + sy * w + sx], rows[b * width + y * w + x]);
                }
            }
            assertEquals(before[b * width + h * w], rows[b * width + h * w], "proprioception untouched");
            assertEquals(before[b * width + h * w + 1], rows[b * width + h * w + 1]);
        }
        float[] same = before.clone();
        RandomShift.apply(same, 2, width, c, h, w, 0, new SplittableRandom(1));
        assertArrayEquals(before, same, "pad 0 is the identity");
    }
}
