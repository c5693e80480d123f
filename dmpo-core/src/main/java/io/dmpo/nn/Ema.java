package io.dmpo.nn;

import java.util.List;

/** Exponential moving average of weights: ema ← decay·ema + (1 − decay)·θ. The averaged copy is what gets evaluated. */
public final class Ema {
    private final List<Param> source;
    private final float[][] shadow;
    public final double decay;

    public Ema(List<Param> source, double decay) {
        if (decay < 0 || decay > 1) throw new IllegalArgumentException("EMA decay must be in [0, 1], got " + decay);
        this.source = List.copyOf(source);
        this.decay = decay;
        this.shadow = new float[source.size()][];
        for (int i = 0; i < source.size(); i++) shadow[i] = source.get(i).value.clone();
    }

    public void update() {
        float d = (float) decay, od = (float) (1 - decay);
        for (int i = 0; i < shadow.length; i++) {
            float[] s = shadow[i], p = source.get(i).value;
            for (int j = 0; j < s.length; j++) s[j] = d * s[j] + od * p[j];
        }
    }

    /** Copies the averaged weights into {@code target} (same architecture, same parameter order). */
    public void copyTo(List<Param> target) {
        if (target.size() != shadow.length) throw new IllegalArgumentException("EMA target has " + target.size() + " parameters, expected " + shadow.length);
        for (int i = 0; i < shadow.length; i++) System.arraycopy(shadow[i], 0, target.get(i).value, 0, shadow[i].length);
    }

    public float[][] shadow() {
        return shadow;
    }
}
