package io.dmpo.mujoco;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Offscreen rendering: a top-down camera over a grey floor with coloured markers at known places. Checks the image is
 * not blank, is the same every time, is oriented as the camera sees it (not the GL readout's bottom-up rows or HWC
 * interleave), and that depth is metric.
 */
class RendererTest {
    // camera 1 m above the floor looking straight down: image right = +x, image up = +y (MuJoCo's camera frame);
    // red marker at (+0.2, +0.2): top-right quadrant; blue at (-0.2, 0): left middle
    static final String SCENE = """
            <mujoco>
              <visual><global offwidth="64" offheight="64"/><headlight ambient="0.6 0.6 0.6" diffuse="0.3 0.3 0.3"/></visual>
              <worldbody>
                <geom name="floor" type="box" size="1 1 0.01" pos="0 0 -0.01" rgba="0.5 0.5 0.5 1"/>
                <geom name="red" type="box" size="0.05 0.05 0.005" pos="0.2 0.2 0.005" rgba="1 0 0 1"/>
                <geom name="blue" type="box" size="0.05 0.05 0.005" pos="-0.2 0 0.005" rgba="0 0 1 1"/>
                <camera name="top" pos="0 0 1" fovy="60"/>
                <body name="ball" pos="0 0 0.3"><freejoint/><geom type="sphere" size="0.03" rgba="0 1 0 1"/></body>
              </worldbody>
            </mujoco>
            """;
    static final int SIZE = 64;
    static MjModel model;
    static Renderer renderer;

    @BeforeAll
    static void open(@TempDir Path dir) throws Exception {
        Path xml = dir.resolve("scene.xml");
        Files.writeString(xml, SCENE);
        model = MjModel.load(xml);
        renderer = Renderer.open(model, SIZE, SIZE, true, true);
    }

    @AfterAll
    static void close() {
        if (renderer != null) renderer.close();
        if (model != null) model.close();
    }

    @Test
    void imageIsNotBlankAndRepeatsExactly() {
        try (MjData d = model.makeData()) {
            d.forward(false);
            int cam = Renderer.cameraId(model, "top");
            renderer.render(d, cam);
            byte[] a = renderer.rgb();
            renderer.render(d, cam);
            byte[] b = renderer.rgb();
            assertArrayEquals(a, b, "same state, same image");
            int min = 255, max = 0;
            for (byte v : a) {
                min = Math.min(min, v & 0xff);
                max = Math.max(max, v & 0xff);
            }
            assertTrue(max - min > 100, "image has contrast: " + min + ".." + max);
            try (Renderer other = Renderer.open(model, SIZE, SIZE, true, false)) {
                other.render(d, cam);
                assertArrayEquals(a, other.rgb(), "a second renderer gives the same image");
            }
        }
    }

    @Test
    void markersAppearWhereTheCameraSeesThem() {
        try (MjData d = model.makeData()) {
            MjData.set(d.qpos, new double[] {0.9, 0.9, 0.3, 1, 0, 0, 0}); // ball out of the way
            d.forward(false);
            renderer.render(d, Renderer.cameraId(model, "top"));
            byte[] img = renderer.rgb();
            double[] red = centroid(img, 0), blue = centroid(img, 2);
            // at 1 m with fovy 60 the half-width seen is tan(30°) = 0.577 m: 0.2 m is 0.347 of the half-width
            double px = SIZE / 2.0 * 0.2 / Math.tan(Math.toRadians(30));
            assertEquals(SIZE / 2.0 + px, red[0], 1.5, "red x (columns, left to right)");
            assertEquals(SIZE / 2.0 - px, red[1], 1.5, "red y (rows, top to bottom)");
            assertEquals(SIZE / 2.0 - px, blue[0], 1.5, "blue x");
            assertEquals(SIZE / 2.0, blue[1], 1.5, "blue y");
        }
    }

    @Test
    void stateChangesTheImageAndDepthIsMetric() {
        try (MjData d = model.makeData()) {
            d.forward(false);
            int cam = Renderer.cameraId(model, "top");
            renderer.render(d, cam);
            byte[] before = renderer.rgb();
            float[] depth = renderer.depth();
            assertEquals(SIZE * SIZE, depth.length);
            // the ball (radius 0.03 at z 0.3) is straight below the camera: 0.67 m; the floor's corner region: >= 1 m
            assertEquals(0.67, depth[(SIZE / 2) * SIZE + SIZE / 2], 0.01, "depth of the ball top");
            assertEquals(1.0, depth[4 * SIZE + SIZE / 2], 0.05, "depth of the floor near the top edge (along the optical axis)");
            MjData.set(d.qpos, new double[] {0.9, 0.9, 0.3, 1, 0, 0, 0});
            d.forward(false);
            renderer.render(d, cam);
            assertTrue(!java.util.Arrays.equals(before, renderer.rgb()), "moving the ball changes the image");
        }
    }

    @Test
    void aClosedRendererRefusesWorkInsteadOfHanging() {
        Renderer r = Renderer.open(model, 16, 16, true, false);
        r.close();
        r.close(); // idempotent
        try (MjData d = model.makeData()) {
            assertThrows(IllegalStateException.class, () -> r.render(d, -1));
            assertThrows(IllegalStateException.class, () -> r.cLoopSeconds(d, -1, 3));
        }
    }

    @Test
    void unknownCameraNamesTheModelsCameras() {
        var e = assertThrows(IllegalArgumentException.class, () -> Renderer.cameraId(model, "wrist"));
        assertTrue(e.getMessage().contains("top"), e.getMessage());
        assertEquals(-1, Renderer.cameraId(model, "free"));
    }

    /** The (column, row) centroid of pixels where channel {@code c} dominates the other two. */
    static double[] centroid(byte[] chw, int c) {
        int plane = SIZE * SIZE;
        double sx = 0, sy = 0, n = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int i = y * SIZE + x;
                int v = chw[c * plane + i] & 0xff, o1 = chw[((c + 1) % 3) * plane + i] & 0xff, o2 = chw[((c + 2) % 3) * plane + i] & 0xff;
                if (v > 120 && v > o1 + 80 && v > o2 + 80) {
                    sx += x + 0.5;
                    sy += y + 0.5;
                    n++;
                }
            }
        }
        assertTrue(n > 4, "marker of channel " + c + " visible (" + n + " pixels)");
        return new double[] {sx / n, sy / n};
    }
}
