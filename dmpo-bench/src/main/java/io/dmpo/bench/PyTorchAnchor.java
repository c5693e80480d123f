package io.dmpo.bench;

import ai.djl.ndarray.NDArray;
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
 * The Hopper actor in PyTorch 2.7.1 (CPU, through DJL 0.36), with the SAME weights and inputs as our engine, for
 * same-process latency ratios. PyTorch has no public forward-mode AD from Java, so the MeanFlow training step uses the
 * double-backward trick through DJL's JNI: backward(u, w, create_graph) gives Jᵀw as a function of w, and
 * backward((Jᵀw)·(v, 1)) w.r.t. w gives the JVP J·(v, 1) = du/dt.
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

    static boolean isStateActor(MeanFlowActor a) {
        return a.params().get(0).name.equals("cond.fc1.weight") && a.params().get(2).name.equals("cond.fc2.weight");
    }

    private NDArray linear(NDArray x, String name) {
        return ai.djl.nn.core.Linear.linear(x, w.get(name + ".weight"), w.get(name + ".bias")).singletonOrThrow();
    }

    private NDArray timeEmbedding(NDArray t, String name) {
        NDArray arg = t.matMul(freqs);
        NDArray sincos = arg.sin().concat(arg.cos(), 1);
        return linear(Activation.mish(linear(sincos, name + ".fc1")), name + ".fc2");
    }

    private NDArray encode(NDArray obs) {
        return linear(Activation.mish(linear(obs, "cond.fc1")), "cond.fc2");
    }

    private NDArray velocity(NDArray z, NDArray r, NDArray t, NDArray cond) {
        NDArray h = NDArrays.concat(new NDList(z, timeEmbedding(t, "temb"), timeEmbedding(r, "remb"), cond), 1);
        h = linear(h, "head.inp");
        h = h.add(linear(Activation.mish(linear(Activation.mish(h), "head.block0.l1")), "head.block0.l2"));
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
                NDArray cond = encode(o);
                NDArray u = velocity(z, rr, tLeaf, cond);
                NDArray probe = u.zerosLike();
                probe.setRequiresGradient(true);
                JniUtils.backward((PtNDArray) u, (PtNDArray) probe, true, true);
                NDArray jtw = z.getGradient().mul(v).sum().add(tLeaf.getGradient().sum());
                JniUtils.backward((PtNDArray) jtw, (PtNDArray) jtw.onesLike(), true, false);
                NDArray dudt = probe.getGradient().duplicate();
                for (NDArray p : w.values()) JniUtils.zeroGrad((PtNDArray) p);
                NDArray target = v.sub(tLeaf.stopGradient().sub(rr).mul(dudt)).stopGradient();
                NDArray loss = u.sub(target).square().mean();
                JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
                for (String n : names) adamW.update(n, w.get(n), w.get(n).getGradient());
                loss.toFloatArray();
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
