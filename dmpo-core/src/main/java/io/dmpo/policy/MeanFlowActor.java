package io.dmpo.policy;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Layer;
import io.dmpo.nn.Nets;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Param;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Sequential;
import io.dmpo.nn.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The average-velocity network u_θ(z, r, t | s) of docs/algorithms.md ("Flow conventions", "Networks"): an observation encoder s = enc(obs), two time
 * embeddings (for t and r) and a ResidualMLP head over concat[z, emb(t), emb(r), s].
 *
 * <p>State and pixel policies differ only by the encoder: an observation row is always a flat float vector (a pixel
 * encoder splits its row into image and proprioception itself).
 *
 * <p>Parameter names (stable, used in checkpoints): {@code cond.*} (encoder), {@code temb.fc1/fc2}, {@code remb.fc1/fc2},
 * {@code head.inp}, {@code head.block<i>.l1/l2}, {@code head.out}; PyTorch layouts.
 */
public final class MeanFlowActor {
    public final Layer encoder;
    public final Sequential timeEmb;
    public final Sequential rEmb;
    public final Sequential head;
    public final int obsDim;
    public final int condDim;
    public final int actionDim;
    public final int timeDim;

    /** The encoder's dropout (pixel encoders), null when the network has no stochastic layer. */
    private final io.dmpo.nn.Dropout dropout;

    public MeanFlowActor(Layer encoder, int obsDim, int condDim, int actionDim, int timeDim, int hidden, int blocks) {
        this.encoder = encoder;
        this.dropout = encoder instanceof io.dmpo.nn.PixelEncoder pe ? pe.dropout() : null;
        this.obsDim = obsDim;
        this.condDim = condDim;
        this.actionDim = actionDim;
        this.timeDim = timeDim;
        this.timeEmb = Nets.timeEmbedding("temb", timeDim);
        this.rEmb = Nets.timeEmbedding("remb", timeDim);
        this.head = Nets.residualMlp("head", actionDim + 2 * timeDim + condDim, hidden, blocks, actionDim, Pointwise.MISH);
    }

    /**
     * Pre-training mode: stochastic layers (the pixel encoder's dropout) draw masks, from a stream seeded by
     * {@code seed}. A network without such layers is unchanged.
     */
    public void trainingMode(long seed) {
        if (dropout == null) return;
        dropout.training(true);
        dropout.reseed(seed);
    }

    /** Inference mode (the default): a deterministic function of parameters and inputs, as PPO's re-evaluation needs. */
    public void inferenceMode() {
        if (dropout != null) dropout.training(false);
    }

    /** Whether the network is in training mode (draws dropout masks). */
    public boolean inTrainingMode() {
        return dropout != null && dropout.isTraining();
    }

    /**
     * The state actor of docs/algorithms.md, "Networks": encoder MLP [obs·condSteps → 64 → 16] (Mish), time embeddings 16, head
     * ResidualMLP with one 512-wide block. Hopper (obs 11, Ta·Da = 12): 566,652 parameters.
     */
    public static MeanFlowActor state(int obsDim, int actionDim) {
        return state(obsDim, actionDim, 64, 16, 16, 512, 1);
    }

    /**
     * A state actor of any size: encoder MLP [obs → condHidden → condDim] (Mish), time embeddings {@code timeDim},
     * ResidualMLP head of width {@code hidden} with {@code blocks} residual blocks.
     */
    public static MeanFlowActor state(int obsDim, int actionDim, int condHidden, int condDim, int timeDim, int hidden, int blocks) {
        if (obsDim < 1 || actionDim < 1 || condHidden < 1 || condDim < 1 || timeDim < 2 || timeDim % 2 != 0 || hidden < 1 || blocks < 0) {
            throw new IllegalArgumentException("state actor sizes: obs " + obsDim + ", action " + actionDim + ", cond_hidden "
                    + condHidden + ", cond_dim " + condDim + ", time_dim " + timeDim + " (even), hidden " + hidden + ", blocks " + blocks);
        }
        return new MeanFlowActor(Nets.mlp("cond", Pointwise.MISH, obsDim, condHidden, condDim), obsDim, condDim, actionDim,
                timeDim, hidden, blocks);
    }

    /**
     * The pixel actor of docs/algorithms.md, "Networks": {@link io.dmpo.nn.PixelEncoder} (light ViT + SpatialEmb, cond = [spatial 128,
     * proprio]), time embeddings 16, head ResidualMLP with one 768-wide block. Observation row: [image C·H·W in
     * [0, 255], proprio]. RoboMimic (3×96×96, prop 9, Ta·Da = 4·7 = 28): 1,776,636 parameters.
     */
    public static MeanFlowActor pixel(int channels, int height, int width, int propDim, int actionDim, long dropoutSeed) {
        io.dmpo.nn.PixelEncoder enc = new io.dmpo.nn.PixelEncoder("cond", channels, height, width, propDim, dropoutSeed);
        return new MeanFlowActor(enc, enc.inputSize(), enc.outputSize(), actionDim, 16, 768, 1);
    }

    public List<Param> params() {
        List<Param> ps = new ArrayList<>(encoder.params());
        ps.addAll(timeEmb.params());
        ps.addAll(rEmb.params());
        ps.addAll(head.params());
        return ps;
    }

    public int paramCount() {
        return Nets.paramCount(params());
    }

    /** s = enc(obs), [B, condDim]. Runs once per action, not once per denoising step. */
    public Tensor encode(Tensor obs) {
        Tensor.requireCols(obs, obsDim, "observation");
        return encoder.forward(Dual.of(obs)).value();
    }

    /** u(z, r, t | s) with optional tangents on z, r and t ([B, 1] columns for r and t); s carries no tangent. */
    public Dual velocity(Dual z, Dual r, Dual t, Tensor cond) {
        return head.forward(headInput(z, timeEmb.forward(t), rEmb.forward(r), cond));
    }

    private Dual headInput(Dual z, Dual tEmb, Dual rEmbOut, Tensor cond) {
        Tensor.requireCols(z.value(), actionDim, "action chunk z");
        Tensor.requireCols(cond, condDim, "conditioning");
        return Ops.concatCols(z, tEmb, rEmbOut, Dual.of(cond));
    }

    /**
     * One recorded pass from observations: encoder, time embeddings and head, carrying the tangents of z, r, t so that
     * {@code output()} holds u and du/dt together. {@link Pass#backward} propagates into every parameter.
     */
    public Pass trace(Tensor obs, Dual z, Dual r, Dual t) {
        EncoderPass e = traceEncoder(obs);
        return new Pass(e, true, z, r, t);
    }

    /**
     * The encoder traced ONCE for several head passes (a K-step chain: {@link #traceHead} per step). The heads'
     * embedding gradients accumulate here; {@link EncoderPass#backward} then runs the encoder's backward once.
     */
    public EncoderPass traceEncoder(Tensor obs) {
        Tensor.requireCols(obs, obsDim, "observation");
        return new EncoderPass(encoder.traceFromData(Dual.of(obs))); // observations are data: no input gradient
    }

    /** A head pass on an already traced embedding (see {@link #traceEncoder}). */
    public Pass traceHead(EncoderPass e, Dual z, Dual r, Dual t) {
        return new Pass(e, false, z, r, t);
    }

    /** A traced encoder and the embedding gradient accumulated by its head passes. */
    public final class EncoderPass {
        private final Layer.Trace enc;
        public final Tensor cond;
        private Tensor gradCond;

        private EncoderPass(Layer.Trace enc) {
            this.enc = enc;
            this.cond = enc.output().value();
        }

        /** Adds dL/ds (e.g. a dispersive gradient) to what the head passes accumulated. */
        public void accumulate(Tensor g) {
            if (g == null) return;
            if (gradCond == null) gradCond = g.copy();
            else Ops.addInPlace(gradCond, g);
        }

        /** Runs the encoder's backward once with the accumulated embedding gradient (nothing if none). */
        public void backward() {
            if (gradCond != null) enc.backward(gradCond);
            gradCond = null;
        }
    }

    /** A recorded forward pass; see {@link #trace} and {@link #traceHead}. */
    public final class Pass {
        private final EncoderPass encoderPass;
        private final boolean ownsEncoder;
        private final Layer.Trace te, re, h;
        public final Tensor cond;

        private Pass(EncoderPass e, boolean ownsEncoder, Dual z, Dual r, Dual t) {
            this.encoderPass = e;
            this.ownsEncoder = ownsEncoder;
            this.cond = e.cond;
            this.te = timeEmb.trace(t);
            this.re = rEmb.trace(r);
            this.h = head.trace(headInput(z, te.output(), re.output(), cond));
        }

        public Tensor u() {
            return h.output().value();
        }

        /** du along the input tangents (du/dt for tangents (v, 0, 1)); null when no tangent was given. */
        public Tensor du() {
            return h.output().tangent();
        }

        /**
         * Accumulates parameter gradients for dL/du = {@code gradU} plus an optional extra gradient on the conditioning
         * embedding (e.g. from a dispersive loss on s); either may be null. Time inputs are treated as data. Returns
         * dL/dz (null without {@code gradU}), so a loss through a deterministic K-step chain can flow back through z.
         * A pass from {@link #traceHead} adds its embedding gradient to its {@link EncoderPass} instead of running the
         * encoder's backward.
         */
        public Tensor backward(Tensor gradU, Tensor gradCond) {
            Tensor gCond = null, gz = null;
            if (gradU != null) {
                Tensor gIn = h.backward(gradU);
                gz = Ops.columns(gIn, 0, actionDim);
                int at = actionDim;
                te.backward(Ops.columns(gIn, at, timeDim));
                at += timeDim;
                re.backward(Ops.columns(gIn, at, timeDim));
                at += timeDim;
                gCond = Ops.columns(gIn, at, condDim);
            }
            if (gradCond != null) {
                if (gCond == null) gCond = gradCond.copy();
                else Ops.addInPlace(gCond, gradCond);
            }
            encoderPass.accumulate(gCond);
            if (ownsEncoder) encoderPass.backward();
            return gz;
        }
    }
}
