package io.dmpo.nn;

import java.util.List;

/**
 * A differentiable function of one row-batched input with three rules: value, tangent (JVP w.r.t. the input; parameters
 * have zero tangent) and backward (vector-Jacobian product, accumulating parameter gradients).
 *
 * <p>{@link #forward} keeps nothing, so one layer may serve many threads at inference. {@link #trace} keeps what
 * backward needs in the returned {@link Trace}; call its {@code backward} at most once.
 */
public interface Layer {
    /** Value (and tangent, when {@code x} has one). */
    Dual forward(Dual x);

    /** Like {@link #forward} but remembers what {@link Trace#backward} needs. */
    Trace trace(Dual x);

    /**
     * {@link #trace} for an input that is data (observations, images): backward accumulates the parameter gradients
     * and returns null, as nothing upstream needs dL/d(input). A layer whose input gradient is costly (a convolution
     * on pixels: as many multiply-adds as its weight gradient) skips computing it; the default computes and drops it.
     */
    default Trace traceFromData(Dual x) {
        Trace t = trace(x);
        return Trace.of(t.output(), g -> {
            t.backward(g);
            return null;
        });
    }

    /** Parameters in a stable order, with their full checkpoint names ("head.l1.weight", ...). */
    List<Param> params();

    /** One recorded application of a layer. */
    interface Trace {
        Dual output();

        /** Given dL/d(output value), accumulates parameter gradients and returns dL/d(input value). */
        Tensor backward(Tensor gradOutput);

        /** A trace from its output and its backward rule. */
        static Trace of(Dual output, java.util.function.UnaryOperator<Tensor> backward) {
            return new Trace() {
                @Override
                public Dual output() {
                    return output;
                }

                @Override
                public Tensor backward(Tensor gradOutput) {
                    return backward.apply(gradOutput);
                }
            };
        }
    }

    default Dual forward(Tensor x) {
        return forward(Dual.of(x));
    }

    default int paramCount() {
        int n = 0;
        for (Param p : params()) n += p.size();
        return n;
    }
}
