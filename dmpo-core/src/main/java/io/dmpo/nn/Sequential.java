package io.dmpo.nn;

import java.util.ArrayList;
import java.util.List;

/** Layers applied in order. */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(List<? extends Layer> layers) {
        this.layers = List.copyOf(layers);
    }

    public Sequential(Layer... layers) {
        this(List.of(layers));
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public Dual forward(Dual x) {
        for (Layer l : layers) x = l.forward(x);
        return x;
    }

    @Override
    public Trace trace(Dual x) {
        return trace(x, false);
    }

    /** The first layer traced from data: the backward ends there, returning null. */
    @Override
    public Trace traceFromData(Dual x) {
        return trace(x, true);
    }

    private Trace trace(Dual x, boolean fromData) {
        List<Trace> traces = new ArrayList<>(layers.size());
        for (Layer l : layers) {
            Trace t = fromData && traces.isEmpty() ? l.traceFromData(x) : l.trace(x);
            traces.add(t);
            x = t.output();
        }
        Dual y = x;
        return Trace.of(y, g -> {
            for (int i = traces.size() - 1; i >= 0; i--) g = traces.get(i).backward(g);
            return g;
        });
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        for (Layer l : layers) ps.addAll(l.params());
        return ps;
    }
}
