package io.dmpo.nn;

import java.util.ArrayList;
import java.util.List;

/** Builders for the network shapes of docs/algorithms.md, "Networks". */
public final class Nets {
    private Nets() {}

    /** Plain MLP: Linear → act → ... → Linear (no activation after the last layer). Dims: [in, h1, ..., out]. */
    public static Sequential mlp(String name, Pointwise act, int... dims) {
        List<Layer> ls = new ArrayList<>();
        for (int i = 0; i + 1 < dims.length; i++) {
            if (i > 0) ls.add(new Activation(act));
            ls.add(new Linear(name + ".fc" + (i + 1), dims[i], dims[i + 1]));
        }
        return new Sequential(ls);
    }

    /**
     * ResidualMLP (DPPO/DMPO release shape): Linear(in, hidden) → {@code blocks} pre-activation residual blocks
     * {@code x + L2(act(L1(act(x))))} → Linear(hidden, out). Names: {@code name.inp}, {@code name.block<i>.l1/l2},
     * {@code name.out}.
     */
    public static Sequential residualMlp(String name, int in, int hidden, int blocks, int out, Pointwise act) {
        List<Layer> ls = new ArrayList<>();
        ls.add(new Linear(name + ".inp", in, hidden));
        for (int i = 0; i < blocks; i++) ls.add(Residual.preActivation(name + ".block" + i, hidden, act));
        ls.add(new Linear(name + ".out", hidden, out));
        return new Sequential(ls);
    }

    /** Time embedding of docs/algorithms.md, "MeanFlow loss": sinusoid(dim) → Linear(dim, 2·dim) → Mish → Linear(2·dim, dim). */
    public static Sequential timeEmbedding(String name, int dim) {
        return new Sequential(new SinusoidalEmbedding(dim), new Linear(name + ".fc1", dim, 2 * dim),
                Activation.mish(), new Linear(name + ".fc2", 2 * dim, dim));
    }

    /** The value critic of docs/algorithms.md, "Networks": ResidualMLP [obs → 256 → one residual block → 1], Mish; names {@code critic.*}. */
    public static Sequential critic(int obsDim) {
        return residualMlp("critic", obsDim, 256, 1, 1, Pointwise.MISH);
    }

    public static int paramCount(List<Param> ps) {
        int n = 0;
        for (Param p : ps) n += p.size();
        return n;
    }
}
