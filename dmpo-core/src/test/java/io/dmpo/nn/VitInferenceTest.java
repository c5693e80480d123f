package io.dmpo.nn;

import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.MeanFlowSampler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused value-only ViT path ({@link VitInference}, taken by {@code forward} without a tangent) against the
 * layer-by-layer path (the same layers one after another: {@code trace}, or {@code forward} with a tangent) for the
 * 96×96 pixel actor: ViT tokens, the per-channel layout SpatialEmb reads, the pixel encoder and the one-step action,
 * on several seeded images, with 1 and 2 threads. Agreement within 1e-4 relative (max-norm per output).
 */
class VitInferenceTest {
    static final double TOL = 1e-4;

    @AfterEach
    void oneThread() {
        Parallel.setThreads(1);
    }

    /** Pixels in [0, 255]: uniform reals for some images, integers (as images have) for others. */
    static Tensor image(SplittableRandom rng, int cols, int prop, boolean integers) {
        Tensor t = Tensor.zeros(1, cols);
        for (int i = 0; i < cols - prop; i++) t.data[i] = integers ? rng.nextInt(256) : (float) (255 * rng.nextDouble());
        for (int i = cols - prop; i < cols; i++) t.data[i] = (float) rng.nextGaussian();
        return t;
    }

    static void assertClose(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.rows, actual.rows, what);
        assertEquals(expected.cols, actual.cols, what);
        double maxRef = 0, maxErr = 0;
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.data[expected.offset + i], a = actual.data[actual.offset + i];
            assertTrue(Double.isFinite(a), what + ": non-finite output at " + i);
            maxRef = Math.max(maxRef, Math.abs(e));
            maxErr = Math.max(maxErr, Math.abs(e - a));
        }
        assertTrue(maxRef > 1e-3, what + ": trivial output");
        assertTrue(maxErr <= TOL * maxRef, what + ": max error " + maxErr + " vs max |value| " + maxRef
                + " (relative " + maxErr / maxRef + ")");
    }

    static MeanFlowActor actor(long seed) {
        MeanFlowActor a = MeanFlowActor.pixel(3, 96, 96, 9, 28, 0);
        ViTLayersTest.randomize(a.params(), seed);
        return a;
    }

    @Test
    void fusedVitMatchesLayerByLayer() {
        MeanFlowActor actor = actor(41);
        PixelEncoder enc = (PixelEncoder) actor.encoder;
        VisionTransformer vit = enc.vit;
        assertEquals(121, vit.tokens);
        VitInference fused = VitInference.of(vit);
        assertNotNull(fused, "the fused path is available (vector kernels on, as the build runs them)");
        SplittableRandom rng = new SplittableRandom(42);
        for (int trial = 0; trial < 3; trial++) {
            Tensor x = image(rng, vit.inputSize(), 0, trial == 1);
            Tensor layered = vit.trace(Dual.of(x)).output().value();
            Tensor tangentPath = vit.forward(new Dual(x, Tensor.zeros(1, x.cols))).value();
            assertArrayEquals(layered.toArray(), tangentPath.toArray(), "trace and forward-with-tangent are one path");
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                String at = "image " + trial + ", " + threads + " thread(s)";
                assertClose("ViT tokens, " + at, layered, fused.forward(x));
                assertClose("ViT forward (fused when value-only), " + at, layered, vit.forward(Dual.of(x)).value());
                // per-channel layout with 9 spare columns: row c = feature c of every token, then zeros
                Tensor byChannel = vit.forwardByChannel(x, 9);
                assertEquals(vit.dim, byChannel.rows);
                assertEquals(vit.tokens + 9, byChannel.cols);
                Tensor transposed = Tensor.zeros(vit.dim, vit.tokens);
                for (int c = 0; c < vit.dim; c++) {
                    for (int i = 0; i < vit.tokens; i++) transposed.set(c, i, byChannel.get(c, i));
                    for (int j = 0; j < 9; j++) assertEquals(0f, byChannel.get(c, vit.tokens + j), "spare columns stay 0");
                }
                Tensor layeredT = Tensor.zeros(vit.dim, vit.tokens);
                for (int i = 0; i < vit.tokens; i++) for (int c = 0; c < vit.dim; c++) layeredT.set(c, i, layered.get(i, c));
                assertClose("ViT by channel, " + at, layeredT, transposed);
            }
            Parallel.setThreads(1);
        }
    }

    @Test
    void pixelEncoderAndActionMatchLayerByLayer() {
        MeanFlowActor actor = actor(43);
        PixelEncoder enc = (PixelEncoder) actor.encoder;
        SplittableRandom rng = new SplittableRandom(44);
        for (int trial = 0; trial < 3; trial++) {
            Tensor obs = image(rng, actor.obsDim, 9, trial != 1);
            Tensor eps = Tensor.zeros(1, actor.actionDim);
            for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) rng.nextGaussian();
            Tensor layeredCond = enc.trace(Dual.of(obs)).output().value();
            Tensor layeredAction = MeanFlowSampler.sampleUnclippedFromCond(actor, layeredCond, eps, 1);
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                String at = "observation " + trial + ", " + threads + " thread(s)";
                Tensor cond = actor.encode(obs); // value-only: the fused path
                assertClose("pixel encoder, " + at, layeredCond, cond);
                for (int j = 0; j < 9; j++) assertEquals(obs.get(0, obs.cols - 9 + j), cond.get(0, 128 + j), "proprio passes through");
                assertClose("one-step action (unclipped), " + at, layeredAction, MeanFlowSampler.sampleUnclipped(actor, obs, eps, 1));
            }
            Parallel.setThreads(1);
        }
    }
}
