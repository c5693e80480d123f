package io.dmpo.bench;

import ai.djl.ndarray.NDArray;
import io.dmpo.policy.FlowChain;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.dmpo.nn.Param;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A MeanFlow actor (state or pixel) in PyTorch 2.7.1 (CPU, through DJL 0.36), with the SAME weights and inputs as our engine, for
 * same-process latency ratios. PyTorch has no public forward-mode AD from Java, so the MeanFlow training step uses the
 * double-backward trick through DJL's JNI: backward(u, w, create_graph) gives Jᵀw as a function of w, and
 * backward((Jᵀw)·(v, 1)) w.r.t. w gives the JVP J·(v, 1) = du/dt; then a second forward for the loss's backward.
 */
final class PyTorchAnchor implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> w = new LinkedHashMap<>();
    private final MeanFlowActor actor;
    private final NDArray freqs;

    PyTorchAnchor(MeanFlowActor actor) {
        this.actor = actor;
        this.manager = NDManager.newBaseManager("PyTorch");
        for (Param p : actor.params()) {
            long[] shape = new long[p.shape.length];
            for (int i = 0; i < shape.length; i++) shape[i] = p.shape[i];
            w.put(p.name, manager.create(p.value.clone(), new Shape(shape)));
        }
        int half = actor.timeDim / 2;
        float[] f = new float[half];
        for (int k = 0; k < half; k++) f[k] = (float) Math.exp(-k * Math.log(10000.0) / (half - 1));
        freqs = manager.create(f, new Shape(1, half));
    }

    private boolean pixel() {
        return w.containsKey("cond.vit.conv1.weight");
    }

    /**
     * Mish = x·tanh(softplus(x)), spelled out: DJL 0.36's {@code Activation.mish} does not compute it (it returns
     * −0.362 at x = −2, where Mish is −0.2525).
     */
    private static NDArray mish(NDArray x) {
        return x.mul(x.exp().add(1f).log().tanh());
    }

    /** The loss of the last training step (before its update), to check the anchor computes our objective. */
    double lastLoss = Double.NaN;

    /** When set, layers use stop-gradient copies of the weights (see {@link #trainStep}). */
    private boolean detached;

    private NDArray weight(String name) {
        NDArray p = w.get(name);
        return detached ? p.stopGradient() : p;
    }

    private NDArray linear(NDArray x, String name) {
        return ai.djl.nn.core.Linear.linear(x, weight(name + ".weight"), weight(name + ".bias")).singletonOrThrow();
    }

    private NDArray encodeWith(NDArray obs, boolean detach) {
        detached = detach;
        try {
            return encode(obs);
        } finally {
            detached = false;
        }
    }

    private NDArray velocityWith(NDArray z, NDArray r, NDArray t, NDArray cond, boolean detach) {
        detached = detach;
        try {
            return velocity(z, r, t, cond);
        } finally {
            detached = false;
        }
    }

    private NDArray timeEmbedding(NDArray t, String name) {
        NDArray arg = t.matMul(freqs);
        NDArray sincos = arg.sin().concat(arg.cos(), 1);
        return linear(mish(linear(sincos, name + ".fc1")), name + ".fc2");
    }

    private NDArray encode(NDArray obs) {
        if (pixel()) return encodePixels(obs);
        return linear(mish(linear(obs, "cond.fc1")), "cond.fc2");
    }

    private NDArray layerNorm(NDArray x, String name) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)),
                weight(name + ".weight"), weight(name + ".bias"), 1e-5f).singletonOrThrow();
    }

    /**
     * The light ViT + SpatialEmb encoder of docs/algorithms.md, "Networks", written from the spec with PyTorch ops (as in
     * make_golden.py's ViT / Block / SpatialEmb): observation row = [image 3·96·96 in 0..255, proprio 9].
     */
    private NDArray encodePixels(NDArray obs) {
        long b = obs.getShape().get(0);
        long chw = 3 * 96 * 96, prop = obs.getShape().get(1) - chw;
        NDArray img = obs.get(":, :" + chw).reshape(b, 3, 96, 96).div(255f).sub(0.5f);
        NDArray pr = obs.get(":, " + chw + ":");
        NDArray x = ai.djl.nn.convolutional.Conv2d.conv2d(img, weight("cond.vit.conv1.weight"), weight("cond.vit.conv1.bias"),
                new Shape(4, 4)).singletonOrThrow();
        x = ai.djl.nn.convolutional.Conv2d.conv2d(Activation.relu(x), weight("cond.vit.conv2.weight"), weight("cond.vit.conv2.bias"),
                new Shape(2, 2)).singletonOrThrow();
        long d = x.getShape().get(1), n = x.getShape().get(2) * x.getShape().get(3), heads = 4, hd = d / heads;
        x = x.reshape(b, d, n).transpose(0, 2, 1).add(weight("cond.vit.pos"));
        NDArray qkv = linear(layerNorm(x, "cond.vit.block.ln1"), "cond.vit.block.qkv").reshape(b, n, 3, heads, hd).transpose(2, 0, 3, 1, 4);
        NDArray q = qkv.get(0), k = qkv.get(1), v = qkv.get(2);
        NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).div((float) Math.sqrt(hd)).softmax(-1);
        NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, d);
        x = x.add(linear(y, "cond.vit.block.proj"));
        x = x.add(linear(Activation.gelu(linear(layerNorm(x, "cond.vit.block.ln2"), "cond.vit.block.fc1")), "cond.vit.block.fc2"));
        x = layerNorm(x, "cond.vit.ln");
        NDArray f = x.transpose(0, 2, 1); // [b, d, n]
        f = f.concat(pr.reshape(b, 1, prop).broadcast(b, d, prop), 2);
        NDArray s = Activation.relu(layerNorm(linear(f, "cond.spatial.fc"), "cond.spatial.ln"));
        NDArray spatial = s.mul(weight("cond.spatial.weight")).sum(new int[] {1});
        return spatial.concat(pr, 1);
    }

    private NDArray velocity(NDArray z, NDArray r, NDArray t, NDArray cond) {
        NDArray h = NDArrays.concat(new NDList(z, timeEmbedding(t, "temb"), timeEmbedding(r, "remb"), cond), 1);
        h = linear(h, "head.inp");
        h = h.add(linear(mish(linear(mish(h), "head.block0.l1")), "head.block0.l2"));
        return linear(h, "head.out");
    }

    /** Returns a runnable that computes one one-step action a = clip(ε − u(ε, 0, 1 | enc(obs)), −1, 1) at batch 1. */
    Runnable batch1Action(Tensor obs, Tensor eps) {
        NDArray o = manager.create(obs.toArray(), new Shape(1, obs.cols));
        NDArray e = manager.create(eps.toArray(), new Shape(1, eps.cols));
        NDArray zero = manager.zeros(new Shape(1, 1)), one = manager.ones(new Shape(1, 1));
        return () -> {
            try (NDManager sub = manager.newSubManager()) {
                sub.tempAttachAll(o, e, zero, one); // every op result lands in (and is freed with) the sub-manager
                NDArray cond = encode(o);
                NDArray a = e.sub(velocity(e, zero, one, cond)).clip(-1, 1);
                a.toFloatArray();
            }
        };
    }

    /**
     * Returns a runnable that computes one K-step action at batch 1 ({@link FlowChain}, as MeanFlowSampler): the encoder
     * once, then x ← x − (t_k − t_{k+1})·u(x, t_{k+1}, t_k | s) for k &lt; K from x = ε, clipped to [−1, 1]. The time
     * grids are made once; {@code sink} receives the action (for parity checks).
     */
    Runnable batch1Sample(Tensor obs, Tensor eps, int steps, float[] sink) {
        NDArray o = manager.create(obs.toArray(), new Shape(1, obs.cols));
        NDArray e = manager.create(eps.toArray(), new Shape(1, eps.cols));
        FlowChain chain = new FlowChain(steps); // the same grid and steps as our samplers
        NDArray[] r = new NDArray[steps], t = new NDArray[steps];
        for (int k = 0; k < steps; k++) {
            t[k] = manager.full(new Shape(1, 1), chain.t(k));
            r[k] = manager.full(new Shape(1, 1), chain.r(k));
        }
        return () -> {
            try (NDManager sub = manager.newSubManager()) {
                sub.tempAttachAll(o, e);
                for (int k = 0; k < steps; k++) sub.tempAttachAll(r[k], t[k]);
                NDArray cond = encode(o);
                NDArray x = e;
                for (int k = 0; k < steps; k++) {
                    x = x.sub(velocity(x, r[k], t[k], cond).mul(chain.dt(k)));
                }
                float[] a = x.clip(-1, 1).toFloatArray();
                System.arraycopy(a, 0, sink, 0, Math.min(a.length, sink.length));
            }
        };
    }

    /** The batch-1 one-step action as PyTorch computes it (for parity checks). */
    float[] action(Tensor obs, Tensor eps) {
        return action(obs, eps, true);
    }

    /** The one-step action ε − u(ε, 0, 1 | enc(obs)), clipped to [−1, 1] or not (parity checks compare it unclipped). */
    float[] action(Tensor obs, Tensor eps, boolean clip) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray o = sub.create(obs.toArray(), new Shape(obs.rows, obs.cols));
            NDArray e = sub.create(eps.toArray(), new Shape(eps.rows, eps.cols));
            NDArray zero = sub.zeros(new Shape(obs.rows, 1)), one = sub.ones(new Shape(obs.rows, 1));
            NDArray a = e.sub(velocity(e, zero, one, encode(o)));
            return (clip ? a.clip(-1, 1) : a).toFloatArray();
        }
    }

    /**
     * One MeanFlow training step at the given batch (same math as io.dmpo.train.MeanFlowStep; fixed t, r, ε so that
     * only the network work is timed): u and du/dt by double backward, target, loss backward, AdamW update.
     */
    Runnable trainStep(Tensor obs, Tensor actions, Tensor eps, Tensor t, Tensor r) {
        int b = actions.rows;
        NDArray o = manager.create(obs.toArray(), new Shape(b, obs.cols));
        NDArray a = manager.create(actions.toArray(), new Shape(b, actions.cols));
        NDArray e = manager.create(eps.toArray(), new Shape(b, eps.cols));
        NDArray tt = manager.create(t.toArray(), new Shape(b, 1));
        NDArray rr = manager.create(r.toArray(), new Shape(b, 1));
        Optimizer adamW = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-5f)).optWeightDecays(1e-6f).build();
        List<String> names = List.copyOf(w.keySet());
        for (NDArray p : w.values()) p.setRequiresGradient(true);
        return () -> {
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(true); // DJL records autograd graphs only in grad mode
            try (NDManager sub = manager.newSubManager()) {
                sub.tempAttachAll(o, a, e, tt, rr);
                NDArray tLeaf = tt.duplicate();
                tLeaf.setRequiresGradient(true);
                NDArray z = tLeaf.mul(e).add(tLeaf.neg().add(1).mul(a)).stopGradient();
                NDArray v = e.sub(a);
                z.setRequiresGradient(true);
                // JVP by double backward on a parameter-detached copy: DJL exposes neither forward mode nor
                // autograd.grad(inputs=...), and a create_graph backward through the parameters would leave graph
                // cycles in their .grad (a leak that slows every later step)
                NDArray condD = encodeWith(o, true);
                NDArray uD = velocityWith(z, rr, tLeaf, condD, true);
                NDArray probe = uD.zerosLike();
                probe.setRequiresGradient(true);
                JniUtils.backward((PtNDArray) uD, (PtNDArray) probe, true, true);
                NDArray jtw = z.getGradient().mul(v).sum().add(tLeaf.getGradient().sum());
                JniUtils.backward((PtNDArray) jtw, (PtNDArray) jtw.onesLike(), false, false);
                NDArray dudt = probe.getGradient().duplicate().stopGradient();
                for (NDArray p : w.values()) JniUtils.zeroGrad((PtNDArray) p);
                NDArray u = velocity(z.stopGradient(), rr, tLeaf.stopGradient(), encode(o));
                NDArray target = v.sub(tLeaf.stopGradient().sub(rr).mul(dudt)).stopGradient();
                NDArray loss = u.sub(target).square().mean();
                JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
                lastLoss = loss.toFloatArray()[0];
                for (String n : names) adamW.update(n, w.get(n), w.get(n).getGradient());
            } finally {
                JniUtils.setGradMode(gradMode);
            }
        };
    }

    @Override
    public void close() {
        manager.close();
    }
}
