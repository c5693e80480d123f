package io.dmpo.nn;

import io.dmpo.policy.MeanFlowActor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pixel-encoder layers (Conv2d, LayerNorm, attention, dropout, transformer block, position embedding, ViT,
 * SpatialEmb, PixelEncoder): tangent and backward against central finite differences via {@link GradCheck} (random
 * shapes, seeded; directional float32 checks, relative tolerance {@link GradCheck#TOL} = 1e-3 of the compared scalar's
 * scale, which any wrong rule misses by O(1)), forward values against naive double-precision references (the PyTorch
 * spec's layouts), and the new vector kernels against the scalar ones.
 */
class ViTLayersTest {
    @AfterEach
    void oneThread() {
        Parallel.setThreads(1);
    }

    /** Weights ~ N(0, 1/fan_in); 1-D params (biases, LayerNorm) ~ 1·[LayerNorm weight] + N(0, 0.3²). */
    static void randomize(List<Param> ps, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Param p : ps) {
            int fanIn = 1;
            for (int i = 1; i < p.shape.length; i++) fanIn *= p.shape[i];
            boolean lnWeight = p.name.contains("ln") && p.name.endsWith(".weight");
            double s = p.shape.length == 1 ? 0.3 : (p.shape[0] == 1 ? 0.5 : 1 / Math.sqrt(fanIn));
            for (int i = 0; i < p.size(); i++) p.value[i] = (float) ((lnWeight ? 1 : 0) + s * rng.nextGaussian());
        }
    }

    /**
     * {@link GradCheck#check}'s directional tests for a deep composite (conv → ... → LayerNorm), with a looser relative
     * tolerance and a wider stencil: the float32 round-off of the ~30-op-deep forward is up to ~1e-5 absolute in w·f
     * (outputs of order 10), which over GradCheck's 2h = 2e-2 stencil is ~5e-4 absolute — a few % of the smallest
     * directional derivatives here. So h = 0.1 (Richardson-extrapolated, truncation O(h⁴); with the ReLUs kept active
     * the map is smooth, and h between 0.03 and 0.3 agree to ~1e-3) and
     * tolerance 1e-2 of the scale. A wrong rule (a missing term, a transposed layout, a wrong factor) is still an O(1)
     * error. Every layer inside is checked at GradCheck's 1e-3 on its own.
     */
    static void compositeCheck(String name, Layer layer, Tensor x, SplittableRandom rng) {
        double tol = 1e-2;
        Tensor d = GradCheck.random(rng, x.rows, x.cols, 1.0);
        Tensor w = GradCheck.random(rng, layer.forward(Dual.of(x)).rows(), layer.forward(Dual.of(x)).cols(), 1.0);
        double fd = richardson(h -> GradCheck.dot(w, layer.forward(Dual.of(GradCheck.axpy(x, (float) h, d))).value()));
        Tensor tan = layer.forward(new Dual(x, d)).tangent();
        double floor = Math.sqrt(GradCheck.dot(tan, tan)) + 1e-6;
        assertRel(name + " tangent", fd, GradCheck.dot(w, tan), floor, tol);
        for (Param p : layer.params()) p.zeroGrad();
        Tensor gx = layer.trace(Dual.of(x)).backward(w);
        assertRel(name + " input gradient", fd, GradCheck.dot(gx, d), floor, tol);
        for (Param p : layer.params()) {
            float[] dir = new float[p.size()], saved = p.value.clone();
            for (int i = 0; i < dir.length; i++) dir[i] = (float) (rng.nextGaussian() / Math.sqrt(dir.length));
            double fdp = richardson(h -> {
                for (int i = 0; i < dir.length; i++) p.value[i] = saved[i] + (float) h * dir[i];
                double v = GradCheck.dot(w, layer.forward(Dual.of(x)).value());
                System.arraycopy(saved, 0, p.value, 0, saved.length);
                return v;
            });
            double an = 0, gg = 0;
            for (int i = 0; i < dir.length; i++) {
                an += (double) p.grad[i] * dir[i];
                gg += (double) p.grad[i] * p.grad[i];
            }
            assertRel(name + " gradient of " + p.name, fdp, an, Math.sqrt(gg / dir.length) + 1e-6, tol);
        }
    }

    static double richardson(java.util.function.DoubleUnaryOperator f) {
        double h = 0.1;
        double d1 = (f.applyAsDouble(h) - f.applyAsDouble(-h)) / (2 * h);
        double d2 = (f.applyAsDouble(h / 2) - f.applyAsDouble(-h / 2)) / h;
        return (4 * d2 - d1) / 3;
    }

    static void assertRel(String what, double expected, double actual, double floor, double tol) {
        double scale = Math.max(Math.max(Math.abs(expected), Math.abs(actual)), floor);
        assertTrue(Math.abs(expected - actual) <= tol * scale,
                what + ": expected " + expected + " got " + actual + " (rel " + Math.abs(expected - actual) / scale + ")");
    }

    /**
     * Finite differences of a ReLU network are only valid away from the kinks; the composite checks raise the bias in
     * front of each ReLU so that every unit stays active along the whole difference stencil (ReLU's masking rule itself
     * is checked in LayerGradTest and in the single-layer checks here).
     */
    static void keepReluActive(Param bias) {
        for (int i = 0; i < bias.size(); i++) bias.value[i] += 6f;
    }

    static Tensor pixels(SplittableRandom rng, int rows, int cols) {
        Tensor t = Tensor.zeros(rows, cols);
        for (int i = 0; i < t.size(); i++) t.data[i] = (float) (255 * rng.nextDouble());
        return t;
    }

    // ---------------------------------------------------------------- Conv2d

    /** Direct convolution in double, PyTorch semantics; CHW or HWC output. */
    static double[] naiveConv(Conv2d c, Tensor x, int row) {
        double[] y = new double[c.outputSize()];
        for (int o = 0; o < c.outChannels; o++) {
            for (int oy = 0; oy < c.outH; oy++) {
                for (int ox = 0; ox < c.outW; ox++) {
                    double s = c.bias.value[o];
                    for (int ch = 0; ch < c.inChannels; ch++) {
                        for (int ki = 0; ki < c.kernel; ki++) {
                            for (int kj = 0; kj < c.kernel; kj++) {
                                double w = c.weight.value[((o * c.inChannels + ch) * c.kernel + ki) * c.kernel + kj];
                                double xv = x.get(row, (ch * c.inH + oy * c.stride + ki) * c.inW + ox * c.stride + kj);
                                s += w * (c.inScale * xv + c.inShift);
                            }
                        }
                    }
                    int p = oy * c.outW + ox;
                    y[c.channelsLast ? p * c.outChannels + o : o * c.outH * c.outW + p] = s;
                }
            }
        }
        return y;
    }

    @Test
    void conv2dMatchesDirectConvolution() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int trial = 0; trial < 6; trial++) {
            int cin = 1 + rng.nextInt(4), cout = 1 + rng.nextInt(20), k = 1 + rng.nextInt(4), s = 1 + rng.nextInt(3);
            int h = k + rng.nextInt(12), w = k + rng.nextInt(12), b = 1 + rng.nextInt(3);
            for (boolean last : new boolean[] {false, true}) {
                float a = trial % 2 == 0 ? 1f : 0.3f, sh = trial % 2 == 0 ? 0f : -0.5f; // with and without input affine
                Conv2d c = new Conv2d("c", cin, cout, k, s, h, w, last, a, sh);
                randomize(c.params(), trial);
                Tensor x = GradCheck.random(rng, b, c.inputSize(), 1);
                Tensor y = c.forward(x).value();
                for (int r = 0; r < b; r++) {
                    double[] ref = naiveConv(c, x, r);
                    for (int i = 0; i < ref.length; i++) {
                        assertEquals(ref[i], y.get(r, i), 1e-5 * (1 + Math.abs(ref[i])), "conv " + (last ? "HWC" : "CHW") + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void conv2dGradients() {
        SplittableRandom rng = new SplittableRandom(12);
        for (int trial = 0; trial < 6; trial++) {
            int cin = 1 + rng.nextInt(3), cout = 1 + rng.nextInt(6), k = 1 + rng.nextInt(3), s = 1 + rng.nextInt(3);
            int h = k + rng.nextInt(7), w = k + rng.nextInt(7), b = 1 + rng.nextInt(3);
            Conv2d c = new Conv2d("conv", cin, cout, k, s, h, w, trial % 2 == 1, trial < 3 ? 1f : 0.7f, trial < 3 ? 0f : 0.2f);
            randomize(c.params(), 100 + trial);
            GradCheck.check("conv " + cin + "->" + cout + " k" + k + " s" + s + " " + h + "x" + w, c,
                    GradCheck.random(rng, b, c.inputSize(), 1), rng);
        }
    }

    /**
     * The training backward on batches of several image groups (one group holds ~2048 output positions): the weight and
     * bias gradients against a direct sum in double; a trace from data (the first layer on pixels) returns no input
     * gradient and the same parameter gradients bit for bit; re-gathering the patch matrices in backward (what a batch
     * too large to keep them does) and 2 threads instead of 1 change no bit either.
     */
    @Test
    void conv2dBatchBackwardPathsAgree() {
        SplittableRandom rng = new SplittableRandom(13);
        for (boolean last : new boolean[] {false, true}) {
            Conv2d c = new Conv2d("c", 2, 5, 2, 2, 42, 40, last, 0.5f, -0.25f); // 21×20 = 420 positions: 4 images per group
            randomize(c.params(), 7);
            int b = 11;
            Tensor x = GradCheck.random(rng, b, c.inputSize(), 1), gy = GradCheck.random(rng, b, c.outputSize(), 1);
            float[][] reference = null;
            Tensor referenceGx = null;
            for (int variant = 0; variant < 4; variant++) {
                Parallel.setThreads(variant == 3 ? 2 : 1);
                long savedLimit = Conv2d.keepLimit;
                if (variant == 2) Conv2d.keepLimit = 0;
                try {
                    for (Param p : c.params()) p.zeroGrad();
                    Tensor gx = variant == 1 ? c.traceFromData(Dual.of(x)).backward(gy) : c.trace(Dual.of(x)).backward(gy);
                    float[][] grads = {c.weight.grad.clone(), c.bias.grad.clone()};
                    if (variant == 1) {
                        assertEquals(null, gx, "a trace from data computes no input gradient");
                    } else if (referenceGx == null) {
                        referenceGx = gx;
                    } else {
                        assertArrayEquals(referenceGx.toArray(), gx.toArray(), (last ? "HWC" : "CHW") + " input gradient, variant " + variant);
                    }
                    if (reference == null) {
                        reference = grads;
                    } else {
                        assertArrayEquals(reference[0], grads[0], (last ? "HWC" : "CHW") + " weight gradient, variant " + variant);
                        assertArrayEquals(reference[1], grads[1], (last ? "HWC" : "CHW") + " bias gradient, variant " + variant);
                    }
                } finally {
                    Conv2d.keepLimit = savedLimit;
                }
            }
            // dW[o, ch, ki, kj] = Σ_images Σ_positions gy · (a·x + b); db[o] = Σ gy
            for (int o = 0; o < c.outChannels; o++) {
                double db = 0;
                for (int r = 0; r < b; r++) {
                    for (int p = 0; p < c.positions(); p++) db += gy.get(r, last ? p * c.outChannels + o : o * c.positions() + p);
                }
                assertEquals(db, reference[1][o], 1e-4 * (1 + Math.abs(db)), "bias gradient " + o);
                for (int ch = 0; ch < c.inChannels; ch++) {
                    for (int ki = 0; ki < c.kernel; ki++) {
                        for (int kj = 0; kj < c.kernel; kj++) {
                            double dw = 0;
                            for (int r = 0; r < b; r++) {
                                for (int p = 0; p < c.positions(); p++) {
                                    int oy = p / c.outW, ox = p % c.outW;
                                    double xv = c.inScale * x.get(r, (ch * c.inH + oy * c.stride + ki) * c.inW + ox * c.stride + kj) + c.inShift;
                                    dw += gy.get(r, last ? p * c.outChannels + o : o * c.positions() + p) * xv;
                                }
                            }
                            float got = reference[0][((o * c.inChannels + ch) * c.kernel + ki) * c.kernel + kj];
                            assertEquals(dw, got, 1e-4 * (1 + Math.abs(dw)), "weight gradient " + o + "," + ch + "," + ki + "," + kj);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- LayerNorm

    @Test
    void layerNormValuesAndGradients() {
        SplittableRandom rng = new SplittableRandom(13);
        for (int trial = 0; trial < 6; trial++) {
            int d = 2 + rng.nextInt(70), b = 1 + rng.nextInt(5);
            LayerNorm ln = new LayerNorm("ln", d);
            randomize(ln.params(), trial);
            Tensor x = GradCheck.random(rng, b, d, 2);
            for (int i = 0; i < x.size(); i++) x.data[i] += 3; // a mean far from 0
            Tensor y = ln.forward(x).value();
            for (int r = 0; r < b; r++) {
                double m = 0, v = 0;
                for (int j = 0; j < d; j++) m += x.get(r, j);
                m /= d;
                for (int j = 0; j < d; j++) v += (x.get(r, j) - m) * (x.get(r, j) - m);
                v /= d;
                for (int j = 0; j < d; j++) {
                    double ref = (x.get(r, j) - m) / Math.sqrt(v + 1e-5) * ln.weight.value[j] + ln.bias.value[j];
                    assertEquals(ref, y.get(r, j), 2e-5 * (1 + Math.abs(ref)), "layernorm value");
                }
            }
            GradCheck.check("layernorm d" + d, ln, x, rng);
        }
    }

    // ---------------------------------------------------------------- attention

    /** The PyTorch spec in double: qkv.reshape(B, N, 3, H, hd), softmax(q kᵀ/√hd) v, heads concatenated, proj. */
    static double[][] naiveAttention(MultiHeadSelfAttention a, Tensor x) {
        int n = a.tokens, d = a.dim, hd = a.headDim, rows = x.rows;
        double[][] qkv = new double[rows][3 * d];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < 3 * d; o++) {
                double s = a.qkv.bias.value[o];
                for (int i = 0; i < d; i++) s += a.qkv.weight.value[o * d + i] * x.get(r, i);
                qkv[r][o] = s;
            }
        }
        double[][] heads = new double[rows][d];
        for (int b = 0; b < rows / n; b++) {
            for (int h = 0; h < a.heads; h++) {
                for (int i = 0; i < n; i++) {
                    double[] logits = new double[n];
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int e = 0; e < hd; e++) s += qkv[b * n + i][h * hd + e] * qkv[b * n + j][d + h * hd + e];
                        logits[j] = s / Math.sqrt(hd);
                        mx = Math.max(mx, logits[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < n; j++) z += logits[j] = Math.exp(logits[j] - mx);
                    for (int e = 0; e < hd; e++) {
                        double s = 0;
                        for (int j = 0; j < n; j++) s += logits[j] / z * qkv[b * n + j][2 * d + h * hd + e];
                        heads[b * n + i][h * hd + e] = s;
                    }
                }
            }
        }
        double[][] y = new double[rows][d];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < d; o++) {
                double s = a.proj.bias.value[o];
                for (int i = 0; i < d; i++) s += a.proj.weight.value[o * d + i] * heads[r][i];
                y[r][o] = s;
            }
        }
        return y;
    }

    @Test
    void attentionMatchesReferenceAndStaysWithinSample() {
        SplittableRandom rng = new SplittableRandom(14);
        for (int trial = 0; trial < 5; trial++) {
            int heads = 1 + rng.nextInt(4), hd = 1 + rng.nextInt(8), n = 1 + rng.nextInt(20), b = 1 + rng.nextInt(3);
            MultiHeadSelfAttention a = new MultiHeadSelfAttention("attn", heads * hd, heads, n);
            randomize(a.params(), trial);
            Tensor x = GradCheck.random(rng, b * n, heads * hd, 1);
            Tensor y = a.forward(x).value();
            double[][] ref = naiveAttention(a, x);
            for (int r = 0; r < b * n; r++) {
                for (int o = 0; o < heads * hd; o++) assertEquals(ref[r][o], y.get(r, o), 1e-4 * (1 + Math.abs(ref[r][o])));
            }
            // changing the last sample leaves the others untouched
            Tensor x2 = x.copy();
            for (int c = 0; c < x2.cols; c++) x2.set(b * n - 1, c, x2.get(b * n - 1, c) + 1);
            Tensor y2 = a.forward(x2).value();
            for (int i = 0; i < (b - 1) * n * heads * hd; i++) assertEquals(y.data[i], y2.data[i], "sample isolation");
        }
    }

    @Test
    void attentionGradients() {
        SplittableRandom rng = new SplittableRandom(15);
        for (int trial = 0; trial < 6; trial++) {
            int heads = 1 + rng.nextInt(4), hd = 1 + rng.nextInt(6), n = 1 + rng.nextInt(9), b = 1 + rng.nextInt(3);
            MultiHeadSelfAttention a = new MultiHeadSelfAttention("attn", heads * hd, heads, n);
            randomize(a.params(), 200 + trial);
            GradCheck.check("attention h" + heads + " hd" + hd + " n" + n + " b" + b, a,
                    GradCheck.random(rng, b * n, heads * hd, 1), rng);
        }
    }

    // ---------------------------------------------------------------- dropout

    @Test
    void dropoutMaskRules() {
        SplittableRandom rng = new SplittableRandom(16);
        Dropout drop = new Dropout(0.3f, 5);
        Tensor x = GradCheck.random(rng, 7, 40, 1), d = GradCheck.random(rng, 7, 40, 1), g = GradCheck.random(rng, 7, 40, 1);
        // inference: identity in forward and trace
        assertArrayEquals(x.toArray(), drop.forward(x).value().toArray());
        assertArrayEquals(g.toArray(), drop.trace(Dual.of(x)).backward(g).toArray());
        // training with an explicit generator: tangent and gradient use the value's mask
        Layer.Trace t = drop.trace(new Dual(x, d), new SplittableRandom(42));
        Tensor y = t.output().value(), dy = t.output().tangent(), gx = t.backward(g);
        int kept = 0;
        for (int i = 0; i < x.size(); i++) {
            float m = y.data[y.offset + i] / x.data[i];
            boolean keep = y.data[y.offset + i] != 0f;
            if (keep) {
                kept++;
                assertEquals(1 / 0.7f, m, 1e-5f, "kept elements are scaled by 1/(1-p)");
            }
            float mask = keep ? 1 / 0.7f : 0f;
            assertEquals(mask * d.data[i], dy.data[dy.offset + i], 1e-6f, "tangent uses the mask");
            assertEquals(mask * g.data[i], gx.data[i], 1e-6f, "gradient uses the mask");
        }
        assertTrue(kept > 140 && kept < 250, "about 70% kept, got " + kept + " of 280");
        // the same generator seed gives the same mask; the held generator is reproducible from its seed
        Tensor again = drop.trace(Dual.of(x), new SplittableRandom(42)).output().value();
        assertArrayEquals(y.toArray(), again.toArray());
        Dropout a = new Dropout(0.3f, 9).training(true), b = new Dropout(0.3f, 9).training(true);
        assertArrayEquals(a.trace(Dual.of(x)).output().value().toArray(), b.trace(Dual.of(x)).output().value().toArray());
        // finite differences through a fixed mask (the map is linear: exact up to rounding)
        Tensor yp = drop.trace(Dual.of(GradCheck.axpy(x, 0.5f, d)), new SplittableRandom(42)).output().value();
        for (int i = 0; i < x.size(); i++) {
            assertEquals(dy.data[dy.offset + i], (yp.data[i] - y.data[y.offset + i]) / 0.5f, 1e-5, "FD of dropout");
        }
    }

    // ---------------------------------------------------------------- small pieces and composites

    @Test
    void positionEmbeddingReshapeScaleShiftGradients() {
        SplittableRandom rng = new SplittableRandom(17);
        PositionEmbedding pe = new PositionEmbedding("pos", 5, 6);
        randomize(pe.params(), 1);
        GradCheck.check("position embedding", pe, GradCheck.random(rng, 15, 6, 1), rng);
        GradCheck.check("reshape", new Reshape(4), GradCheck.random(rng, 3, 8, 1), rng);
        GradCheck.check("scale-shift", new ScaleShift(1 / 255f, -0.5f), pixels(rng, 2, 10), rng);
    }

    @Test
    void transformerBlockGradients() {
        SplittableRandom rng = new SplittableRandom(18);
        for (int trial = 0; trial < 3; trial++) {
            int heads = 1 + rng.nextInt(3), hd = 2 + rng.nextInt(4), n = 2 + rng.nextInt(6), b = 1 + rng.nextInt(2);
            TransformerBlock blk = new TransformerBlock("block", heads * hd, heads, 4 * heads * hd, n);
            randomize(blk.params(), 300 + trial);
            GradCheck.check("transformer block", blk, GradCheck.random(rng, b * n, heads * hd, 1), rng);
        }
    }

    @Test
    void spatialEmbGradients() {
        SplittableRandom rng = new SplittableRandom(19);
        for (int trial = 0; trial < 3; trial++) {
            int n = 1 + rng.nextInt(6), d = 1 + rng.nextInt(5), prop = rng.nextInt(4), out = 2 + rng.nextInt(6), b = 1 + rng.nextInt(3);
            SpatialEmb se = new SpatialEmb("spatial", n, d, prop, out, 0.1f, 3);
            randomize(se.params(), 400 + trial);
            keepReluActive(se.ln.bias);
            Tensor x = GradCheck.random(rng, b, se.inputSize(), 1);
            GradCheck.check("spatial emb n" + n + " d" + d + " prop" + prop, se, x, rng);
        }
    }

    @Test
    void visionTransformerAndPixelEncoderGradients() {
        SplittableRandom rng = new SplittableRandom(20);
        VisionTransformer vit = new VisionTransformer("vit", 2, 24, 24, 8, 2); // 5×5 → 2×2: 4 tokens
        assertEquals(4, vit.tokens);
        randomize(vit.params(), 7);
        keepReluActive(vit.conv1.bias);
        // GradCheck's directions are N(0, 1): feed pixels as 128 + 64·x so that a unit direction is a visible change
        compositeCheck("vit", new Sequential(new ScaleShift(64, 128), vit), GradCheck.random(rng, 2, vit.inputSize(), 1), rng);

        PixelEncoder enc = new PixelEncoder("cond", 1, 28, 24, 3, 8, 2, 6, 0.1f, 1); // 6×5 → 2×2
        randomize(enc.params(), 8);
        keepReluActive(enc.vit.conv1.bias);
        keepReluActive(enc.spatial.ln.bias);
        Tensor obs = pixels(rng, 2, enc.inputSize());
        for (int j = 0; j < 3; j++) {
            obs.set(0, enc.vit.inputSize() + j, (float) rng.nextGaussian());
            obs.set(1, enc.vit.inputSize() + j, (float) rng.nextGaussian());
        }
        compositeCheck("pixel encoder", enc, obs, rng);
        // and with the image part at GradCheck's unit scale (pixels 128 + 64·x), proprio as is
        int img = enc.vit.inputSize();
        Sequential scaled = new Sequential(new ImageScale(img, 3), enc);
        compositeCheck("pixel encoder (scaled image)", scaled, GradCheck.random(rng, 2, enc.inputSize(), 1), rng);
        assertEquals(9, enc.outputSize());
        // the proprioception is passed through as the last columns
        Tensor y = enc.forward(obs).value();
        for (int j = 0; j < 3; j++) assertEquals(obs.get(1, enc.vit.inputSize() + j), y.get(1, 6 + j));
    }

    @Test
    void spatialDropoutTrainingTraceKeepsTangentConsistent() {
        SplittableRandom rng = new SplittableRandom(21);
        SpatialEmb se = new SpatialEmb("spatial", 3, 4, 2, 50, 0.5f, 3);
        randomize(se.params(), 9);
        Tensor x = GradCheck.random(rng, 2, se.inputSize(), 1), d = GradCheck.random(rng, 2, se.inputSize(), 1);
        Dual clean = se.forward(new Dual(x, d));
        se.dropout.training(true);
        Dual y = se.trace(new Dual(x, d)).output();
        se.dropout.training(false);
        int zeros = 0;
        for (int i = 0; i < y.value().size(); i++) {
            float v = y.value().data[y.value().offset + i], t = y.tangent().data[y.tangent().offset + i];
            float cv = clean.value().data[clean.value().offset + i], ct = clean.tangent().data[clean.tangent().offset + i];
            if (v == 0f && cv != 0f) {
                zeros++;
                assertEquals(0.0, Math.abs(t), "dropped element has zero tangent");
            } else {
                assertEquals(2 * cv, v, 1e-5 * (1 + Math.abs(cv)));
                assertEquals(2 * ct, t, 1e-5 * (1 + Math.abs(ct)));
            }
        }
        assertTrue(zeros > 20 && zeros < 80, "about half dropped, got " + zeros);
    }

    // ---------------------------------------------------------------- the pixel actor

    @Test
    void pixelActorHasTheSpecParameterCount() {
        MeanFlowActor actor = MeanFlowActor.pixel(3, 96, 96, 9, 28, 0);
        // make_golden.py VitActor(act=7, Ta=4, prop=9): ViT 386,304 + SpatialEmb 33,408 + time embeddings 2,144
        // + head 1,354,780
        assertEquals(1_776_636, actor.paramCount());
        assertEquals(386_304, Nets.paramCount(((PixelEncoder) actor.encoder).vit.params()));
        assertEquals(33_408, Nets.paramCount(((PixelEncoder) actor.encoder).spatial.params()));
        assertEquals(3 * 96 * 96 + 9, actor.obsDim);
        assertEquals(128 + 9, actor.condDim);
        Set<String> names = new HashSet<>();
        for (Param p : actor.params()) assertTrue(names.add(p.name), "duplicate parameter name " + p.name);
        assertTrue(names.contains("cond.vit.conv1.weight") && names.contains("cond.vit.block.qkv.weight")
                && names.contains("cond.vit.pos") && names.contains("cond.spatial.weight"), names.toString());
        assertArrayEquals(new int[] {128, 3, 8, 8}, ((PixelEncoder) actor.encoder).vit.conv1.weight.shape);
        assertArrayEquals(new int[] {1, 121, 128}, ((PixelEncoder) actor.encoder).vit.pos.pos.shape);

        // PyTorch-default initialization kinds (Init.apply): LayerNorm 1/0, position and spatial weights N(0, 0.02²),
        // conv bias U(±1/√fan_in) with fan_in = C·k·k
        PixelEncoder pe = (PixelEncoder) actor.encoder;
        assertEquals(Param.InitKind.ONES, pe.vit.ln.weight.initKind());
        assertEquals(Param.InitKind.ZEROS, pe.vit.block.ln1.bias.initKind());
        assertEquals(Param.InitKind.NORMAL, pe.vit.pos.pos.initKind());
        assertEquals(0.02, pe.spatial.weight.initScale(), 1e-12);
        assertEquals(1 / Math.sqrt(128 * 9), pe.vit.conv2.bias.initScale(), 1e-12);
        assertEquals(1 / Math.sqrt(3 * 64), pe.vit.conv1.weight.initScale(), 1e-12);

        randomize(actor.params(), 1);
        SplittableRandom rng = new SplittableRandom(22);
        Tensor obs = pixels(rng, 2, actor.obsDim);
        Tensor cond = actor.encode(obs);
        assertEquals(2, cond.rows);
        assertEquals(137, cond.cols);
        // batch rows are independent and thread count does not change a bit
        Tensor single = actor.encode(obs.rowSlice(1, 1).copy());
        assertArrayEquals(cond.rowSlice(1, 1).toArray(), single.toArray());
        Parallel.setThreads(2);
        assertArrayEquals(single.toArray(), actor.encode(obs.rowSlice(1, 1).copy()).toArray());
        assertArrayEquals(cond.toArray(), actor.encode(obs).toArray());
    }

    // ---------------------------------------------------------------- kernels

    @Test
    void vectorSoftmaxAndLayerNormMatchScalar() {
        SplittableRandom rng = new SplittableRandom(23);
        for (int trial = 0; trial < 20; trial++) {
            int rows = 1 + rng.nextInt(6), n = 1 + rng.nextInt(150), ld = n + rng.nextInt(3);
            float scale = (float) (0.1 + rng.nextDouble());
            float[] x = new float[rows * ld + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) (4 * rng.nextGaussian());
            float[] v = x.clone(), s = x.clone();
            VectorKernels.softmaxRows(rows, n, scale, v, 1, ld);
            ScalarKernels.softmaxRows(rows, n, scale, s, 1, ld);
            for (int i = 0; i < x.length; i++) assertEquals(s[i], v[i], 1e-6 + 1e-5 * Math.abs(s[i]), "softmax " + i);
            for (int r = 0; r < rows; r++) {
                double z = 0;
                for (int j = 0; j < n; j++) z += v[1 + r * ld + j];
                assertEquals(1.0, z, 1e-5);
            }

            float[] w = new float[n], b = new float[n];
            for (int j = 0; j < n; j++) {
                w[j] = (float) rng.nextGaussian();
                b[j] = (float) rng.nextGaussian();
            }
            float[] yv = new float[rows * n + 3], ys = new float[rows * n + 3];
            float[] hv = new float[rows * n], hs = new float[rows * n], rv = new float[rows], rs = new float[rows];
            VectorKernels.layerNormRows(0, rows, n, 1e-5f, x, 2, w, b, yv, 3, hv, rv);
            ScalarKernels.layerNormRows(0, rows, n, 1e-5f, x, 2, w, b, ys, 3, hs, rs);
            for (int i = 0; i < yv.length; i++) assertEquals(ys[i], yv[i], 1e-5 * (1 + Math.abs(ys[i])), "layernorm " + i);
            for (int i = 0; i < hv.length; i++) assertEquals(hs[i], hv[i], 1e-5 * (1 + Math.abs(hs[i])), "xhat " + i);
            for (int i = 0; i < rows; i++) assertEquals(rs[i], rv[i], 1e-5 * rs[i], "rstd");
        }
    }

    @Test
    void wideBroadcastGemmIsBitwiseThePlainKernelAndMatchesScalar() {
        SplittableRandom rng = new SplittableRandom(25);
        for (int trial = 0; trial < 36; trial++) {
            // the last trials have a long k, which the wide kernel runs in several k-blocks (kc = 64K floats / n)
            boolean longK = trial >= 30;
            int m = 1 + rng.nextInt(20), n = longK ? 100 + rng.nextInt(200) : 1 + rng.nextInt(120);
            int k = longK ? 700 + rng.nextInt(1500) : 1 + rng.nextInt(40);
            boolean transA = rng.nextBoolean(), acc = rng.nextBoolean();
            int lda = (transA ? m : k) + rng.nextInt(3), ldb = n + rng.nextInt(3), ldc = n + rng.nextInt(3);
            int ai = transA ? 1 : lda, ap = transA ? lda : 1;
            float[] a = new float[(transA ? k : m) * lda + 1], b = new float[k * ldb + 2], c0 = new float[m * ldc + 3];
            for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextGaussian();
            for (int i = 0; i < c0.length; i++) c0[i] = (float) rng.nextGaussian();
            float[] plain = c0.clone(), wide = c0.clone(), scalar = c0.clone();
            VectorKernels.gemmBroadcastA(m, n, k, a, 1, ai, ap, b, 2, ldb, plain, 3, ldc, acc);
            VectorKernels.gemmBroadcastAWide(m, n, k, a, 1, ai, ap, b, 2, ldb, wide, 3, ldc, acc);
            ScalarKernels.gemmBroadcastA(m, n, k, a, 1, ai, ap, b, 2, ldb, scalar, 3, ldc, acc);
            assertArrayEquals(plain, wide, "wide kernel m" + m + " n" + n + " k" + k);
            for (int i = 0; i < wide.length; i++) assertEquals(scalar[i], wide[i], 1e-5 * (1 + Math.abs(scalar[i])) * Math.sqrt(k));
        }
    }

    @Test
    void layerNormRowsIndependentOfThreadCount() {
        SplittableRandom rng = new SplittableRandom(24);
        int rows = 600, n = 128;
        float[] x = new float[rows * n], w = new float[n], b = new float[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        for (int j = 0; j < n; j++) w[j] = 1 + (float) rng.nextGaussian();
        float[] y1 = new float[rows * n], y2 = new float[rows * n];
        Kernels.layerNormRows(rows, n, 1e-5f, x, 0, w, b, y1, 0, null, null);
        Parallel.setThreads(2);
        Kernels.layerNormRows(rows, n, 1e-5f, x, 0, w, b, y2, 0, null, null);
        assertArrayEquals(y1, y2);
    }

    /** Test helper: columns [0, img) ↦ 128 + 64·x, the remaining {@code rest} columns unchanged. */
    record ImageScale(int img, int rest) implements Layer {
        private Tensor map(Tensor x, boolean tangent) {
            Tensor y = x.copy();
            for (int r = 0; r < y.rows; r++) {
                for (int j = 0; j < img; j++) y.data[r * y.cols + j] = tangent ? 64 * y.data[r * y.cols + j] : 128 + 64 * y.data[r * y.cols + j];
            }
            return y;
        }

        @Override
        public Dual forward(Dual x) {
            return new Dual(map(x.value(), false), x.hasTangent() ? map(x.tangent(), true) : null);
        }

        @Override
        public Trace trace(Dual x) {
            Dual y = forward(x);
            return new Trace() {
                @Override
                public Dual output() {
                    return y;
                }

                @Override
                public Tensor backward(Tensor g) {
                    return map(g, true);
                }
            };
        }

        @Override
        public List<Param> params() {
            return List.of();
        }
    }
}
