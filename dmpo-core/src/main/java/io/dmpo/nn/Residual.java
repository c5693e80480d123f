package io.dmpo.nn;

import java.util.List;

/** y = x + f(x). */
public final class Residual implements Layer {
    private final Layer inner;

    public Residual(Layer inner) {
        this.inner = inner;
    }

    /** The pre-activation block of docs/algorithms.md, "Networks": x + L2(act(L1(act(x)))). */
    public static Residual preActivation(String name, int width, Pointwise act) {
        return new Residual(new Sequential(new Activation(act), new Linear(name + ".l1", width, width),
                new Activation(act), new Linear(name + ".l2", width, width)));
    }

    /** The residual branch f. */
    public Layer inner() {
        return inner;
    }

    @Override
    public Dual forward(Dual x) {
        return Ops.add(x, inner.forward(x));
    }

    @Override
    public Trace trace(Dual x) {
        Trace t = inner.trace(x);
        Dual y = Ops.add(x, t.output());
        return Trace.of(y, gy -> {
            Tensor gx = t.backward(gy);
            Ops.addInPlace(gx, gy);
            return gx;
        });
    }

    @Override
    public List<Param> params() {
        return inner.params();
    }
}
