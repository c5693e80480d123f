package io.dmpo.policy;

import io.dmpo.nn.Activation;
import io.dmpo.nn.Kernels;
import io.dmpo.nn.Layer;
import io.dmpo.nn.Linear;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.PixelEncoder;
import io.dmpo.nn.PixelEncoderSession;
import io.dmpo.nn.Team;
import io.dmpo.nn.Residual;
import io.dmpo.nn.Sequential;

import java.util.ArrayList;
import java.util.List;

/**
 * An actor's K-step sampler for ONE observation with every buffer allocated up front: a robot's control loop
 * calls {@link #sample} at kHz without feeding the garbage collector. The time embeddings of the K-step grid are
 * computed once per K (they do not depend on the observation); each Linear is one dot-product pass over its weights
 * (the layer path's batch-1 kernel, so results equal {@link MeanFlowSampler} bit for bit), split by output rows over
 * the sampler's {@link Team} when large. A state actor's MLP encoder runs as a flattened plan like the head; a pixel
 * actor's encoder through a {@link PixelEncoderSession} (the fused ViT on the same team), equal to the layer path's
 * value-only forward. The team has engine threads − 1 helpers, parked between actions: close the sampler to stop
 * them. Not thread-safe: one instance per control thread. The sampler
 * holds a copy of the weights taken at construction; every array it hands a kernel comes from {@link Kernels#buffer}
 * (one vector of slack), so the kernels' tail loads never cross an array's end.
 */
public final class BatchOneSampler implements AutoCloseable {
    private final MeanFlowActor actor;
    private final Plan head;
    private final Encoder encoder;
    private final Team team;
    private final float[] headIn, obsIn;
    private final int steps;
    private final FlowChain chain;
    private final float[][] timeRows; // per step: [temb(t_k), remb(t_{k+1})]

    public BatchOneSampler(MeanFlowActor actor, int steps) {
        if (steps < 1) throw new IllegalArgumentException("sampling steps must be >= 1, got " + steps);
        this.actor = actor;
        this.steps = steps;
        this.team = new Team(Parallel.threads());
        this.obsIn = Kernels.buffer(actor.obsDim);
        if (actor.encoder instanceof PixelEncoder pe) {
            this.encoder = new PixelEncoderSession(pe, team)::run;
        } else {
            Plan plan = new Plan(actor.encoder, actor.obsDim, team);
            if (plan.width != actor.condDim) throw new IllegalArgumentException("not a state actor of the expected shape");
            this.encoder = obs -> { // through a padded copy: the first product's tail load must not cross the array's end
                System.arraycopy(obs, 0, obsIn, 0, actor.obsDim);
                return plan.run(obsIn);
            };
        }
        this.head = new Plan(actor.head, actor.actionDim + 2 * actor.timeDim + actor.condDim, team);
        if (head.width != actor.actionDim) throw new IllegalArgumentException("not an actor of the expected shape");
        this.headIn = Kernels.buffer(actor.actionDim + 2 * actor.timeDim + actor.condDim);
        this.chain = new FlowChain(steps);
        this.timeRows = new float[steps][];
        for (int k = 0; k < steps; k++) {
            float[] te = actor.timeEmb.forward(io.dmpo.nn.Dual.of(Ops.full(1, 1, chain.t(k)))).value().toArray();
            float[] re = actor.rEmb.forward(io.dmpo.nn.Dual.of(Ops.full(1, 1, chain.r(k)))).value().toArray();
            float[] row = new float[2 * actor.timeDim];
            System.arraycopy(te, 0, row, 0, actor.timeDim);
            System.arraycopy(re, 0, row, actor.timeDim, actor.timeDim);
            timeRows[k] = row;
        }
    }

    public int steps() {
        return steps;
    }

    /** The observation encoder of either kind, one call per action. */
    private interface Encoder {
        float[] run(float[] obs);
    }

    /** Stops the helper threads (engine threads − 1). */
    @Override
    public void close() {
        team.close();
    }

    /**
     * x_K for normalized observation {@code obs} (obsDim values) and noise {@code eps} (actionDim values), clipped to
     * [−1, 1] into {@code out}; allocates nothing.
     */
    public void sample(float[] obs, float[] eps, float[] out) {
        int d = actor.actionDim, td = 2 * actor.timeDim;
        float[] cond = encoder.run(obs);
        System.arraycopy(eps, 0, out, 0, d);
        System.arraycopy(cond, 0, headIn, d + td, actor.condDim);
        for (int k = 0; k < steps; k++) {
            System.arraycopy(out, 0, headIn, 0, d);
            System.arraycopy(timeRows[k], 0, headIn, d, td);
            FlowChain.step(out, 0, head.run(headIn), 0, chain.dt(k), d);
        }
        FlowChain.clip(out, 0, d);
    }

    /** Products of at least this many multiply-adds are split over the team (below it a hand-off costs more). */
    static final long SPLIT_WORK = 1L << 16;

    /**
     * y = W·x split by output rows in blocks of {@link #BLOCK}, claimed by the team's members in turn. Each output is
     * the dot kernel's value whatever block or member computes it, so the split never changes a bit.
     */
    private static final class SplitProduct implements Team.Job {
        static final int BLOCK = 64;
        final int in, out, blocks;
        final float[] w, y;
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        float[] x;

        SplitProduct(int in, int out, float[] w, float[] y) {
            this.in = in;
            this.out = out;
            this.w = w;
            this.y = y;
            this.blocks = (out + BLOCK - 1) / BLOCK;
        }

        @Override
        public void work(int member) {
            int b;
            while ((b = next.getAndIncrement()) < blocks) {
                int r0 = b * BLOCK, r1 = Math.min(out, r0 + BLOCK);
                Kernels.gemmNTSerial(1, r1 - r0, in, x, 0, in, w, r0 * in, in, y, r0, out, false);
            }
        }
    }

    /** A Sequential of Linear / Activation / Residual layers flattened into steps over preallocated rows. */
    private static final class Plan {
        private final List<Step> build = new ArrayList<>();
        private final Step[] steps;
        final int width;

        private interface Step {
            float[] apply(float[] x);
        }

        private final Team team;

        Plan(Layer layer, int in, Team team) {
            this.team = team;
            width = add(layer, in);
            steps = build.toArray(new Step[0]);
        }

        private int add(Layer layer, int in) {
            if (layer instanceof Sequential s) {
                for (Layer l : s.layers()) in = add(l, in);
                return in;
            }
            if (layer instanceof Linear lin) {
                if (lin.in != in) throw new IllegalArgumentException(lin.weight.name + " expects " + lin.in + " inputs, got " + in);
                float[] y = Kernels.buffer(lin.out);
                float[] w = Kernels.padded(lin.weight.value);
                float[] bias = Kernels.padded(lin.bias.value);
                if (team.size() > 1 && (long) lin.in * lin.out >= SPLIT_WORK) {
                    SplitProduct split = new SplitProduct(lin.in, lin.out, w, y);
                    build.add(x -> {
                        split.x = x;
                        split.next.set(0);
                        team.run(split);
                        Kernels.addRowVector(y, 0, 1, lin.out, bias, 0);
                        return y;
                    });
                } else {
                    build.add(x -> {
                        Kernels.gemmNTSerial(1, lin.out, lin.in, x, 0, lin.in, w, 0, lin.in, y, 0, lin.out, false);
                        Kernels.addRowVector(y, 0, 1, lin.out, bias, 0);
                        return y;
                    });
                }
                return lin.out;
            }
            if (layer instanceof Activation a) {
                float[] y = Kernels.buffer(in);
                int n = in;
                build.add(x -> {
                    Kernels.pointwise(a.fn, x, 0, y, 0, null, 0, n);
                    return y;
                });
                return in;
            }
            if (layer instanceof Residual r) {
                Plan inner = new Plan(r.inner(), in, team);
                if (inner.width != in) throw new IllegalArgumentException("a residual block must keep its width");
                float[] y = Kernels.buffer(in);
                int n = in;
                build.add(x -> {
                    float[] t = inner.run(x);
                    for (int i = 0; i < n; i++) y[i] = x[i] + t[i];
                    return y;
                });
                return in;
            }
            throw new IllegalArgumentException("batch-1 sampling does not support layer " + layer.getClass().getSimpleName());
        }

        float[] run(float[] x) {
            for (int i = 0; i < steps.length; i++) x = steps[i].apply(x); // indexed: no iterator per call
            return x;
        }
    }
}
