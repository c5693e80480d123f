package io.dmpo.nn;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/** Tangent and backward rules of every core layer against finite differences, random shapes, seeded. */
class LayerGradTest {
    static final int TRIALS = 5;

    static void initRandom(Layer l, long seed) {
        Init.apply(l.params(), seed);
    }

    @Test
    void linear() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int trial = 0; trial < TRIALS; trial++) {
            int b = 1 + rng.nextInt(9), in = 1 + rng.nextInt(70), out = 1 + rng.nextInt(40);
            Linear l = new Linear("lin", in, out);
            initRandom(l, trial);
            GradCheck.check("linear " + in + "->" + out + " b" + b, l, GradCheck.random(rng, b, in, 1), rng);
        }
    }

    @Test
    void activations() {
        SplittableRandom rng = new SplittableRandom(2);
        for (Pointwise f : Pointwise.values()) {
            for (int trial = 0; trial < TRIALS; trial++) {
                int b = 1 + rng.nextInt(5), n = 1 + rng.nextInt(50);
                Tensor x = GradCheck.random(rng, b, n, 2);
                if (f == Pointwise.RELU) GradCheck.avoid(x, 0.05, 0);
                GradCheck.check(f + " n" + n, new Activation(f), x, rng);
            }
        }
    }

    @Test
    void sinusoidalEmbedding() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int dim : new int[] {4, 16, 32}) {
            Tensor t = Tensor.zeros(6, 1);
            for (int i = 0; i < 6; i++) t.data[i] = (float) rng.nextDouble();
            GradCheck.check("sinusoid " + dim, new SinusoidalEmbedding(dim), t, rng);
        }
    }

    @Test
    void residualBlockAndMlps() {
        SplittableRandom rng = new SplittableRandom(4);
        for (int trial = 0; trial < TRIALS; trial++) {
            int w = 2 + rng.nextInt(40), b = 1 + rng.nextInt(6);
            Residual block = Residual.preActivation("blk", w, Pointwise.MISH);
            initRandom(block, trial);
            GradCheck.check("residual block w" + w, block, GradCheck.random(rng, b, w, 1), rng);
            Sequential rmlp = Nets.residualMlp("head", w, 3 + rng.nextInt(30), 1 + rng.nextInt(2), 1 + rng.nextInt(8), Pointwise.MISH);
            initRandom(rmlp, trial + 100);
            GradCheck.check("residual MLP", rmlp, GradCheck.random(rng, b, w, 1), rng);
            Sequential mlp = Nets.mlp("mlp", Pointwise.TANH, w, 7, 5);
            initRandom(mlp, trial + 200);
            GradCheck.check("mlp", mlp, GradCheck.random(rng, b, w, 1), rng);
        }
    }

    @Test
    void critic() {
        Sequential c = Nets.critic(11);
        // 11·256 + 256 + 2·(256·256 + 256) + 256 + 1
        org.junit.jupiter.api.Assertions.assertEquals(11 * 256 + 256 + 2 * (256 * 256 + 256) + 256 + 1, c.paramCount());
        initRandom(c, 3);
        SplittableRandom rng = new SplittableRandom(6);
        GradCheck.check("critic", c, GradCheck.random(rng, 4, 11, 1), rng);
    }

    @Test
    void timeEmbedding() {
        SplittableRandom rng = new SplittableRandom(5);
        Sequential te = Nets.timeEmbedding("temb", 16);
        initRandom(te, 7);
        Tensor t = Tensor.zeros(5, 1);
        for (int i = 0; i < 5; i++) t.data[i] = (float) rng.nextDouble();
        GradCheck.check("time embedding", te, t, rng);
    }
}
