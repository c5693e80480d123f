package io.dmpo.nn;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of a layer's tangent and backward rules, in float32 with central differences.
 *
 * <p>All checks are directional: pick a random input direction d, a random output weighting w (and a random parameter
 * direction), and compare scalars. The difference quotient is Richardson-extrapolated central differences
 * (4·D(h/2) − D(h))/3, error O(h⁴) + O(ε_float/h); with h = 1e-2 and inputs of order 1 that is ~1e-5 of the scale.
 * The scale is the typical size of the compared scalar (‖J·d‖ for a random unit-variance w), so the tolerance
 * {@link #TOL} = 1e-3 passes every correct rule and fails any wrong one (a missing factor, a transposed weight or a
 * dropped term is an error of the order of the scale).
 */
public final class GradCheck {
    public static final double TOL = 1e-3;
    public static final float H = 1e-2f;

    private GradCheck() {}

    /** Random N(0, 1)·scale values, or values drawn by {@code sampler} if given. */
    public static Tensor random(SplittableRandom rng, int rows, int cols, double scale) {
        Tensor t = Tensor.zeros(rows, cols);
        for (int i = 0; i < t.size(); i++) t.data[i] = (float) (Init.gaussian(rng) * scale);
        return t;
    }

    /** Moves values closer than {@code gap} to any of {@code kinks} away from it (for ReLU-like rules). */
    public static void avoid(Tensor t, double gap, double... kinks) {
        for (int i = 0; i < t.size(); i++) {
            for (double k : kinks) {
                double d = t.data[i] - k;
                if (Math.abs(d) < gap) t.data[i] = (float) (k + Math.copySign(gap, d == 0 ? 1 : d));
            }
        }
    }

    static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) s += (double) a.data[a.offset + i] * b.data[b.offset + i];
        return s;
    }

    static Tensor axpy(Tensor x, float h, Tensor d) {
        Tensor out = x.copy();
        for (int i = 0; i < out.size(); i++) out.data[i] += h * d.data[d.offset + i];
        return out;
    }

    static double richardson(DoubleUnaryOperator f) {
        return richardson(f, H);
    }

    static double richardson(DoubleUnaryOperator f, double h) {
        double d1 = (f.applyAsDouble(h) - f.applyAsDouble(-h)) / (2 * h);
        double d2 = (f.applyAsDouble(h / 2) - f.applyAsDouble(-h / 2)) / h;
        return (4 * d2 - d1) / 3;
    }

    /** Asserts |a − b| ≤ TOL·max(|a|, |b|, floor). */
    public static void assertClose(String what, double expected, double actual, double floor) {
        double scale = Math.max(Math.max(Math.abs(expected), Math.abs(actual)), floor);
        assertTrue(Math.abs(expected - actual) <= TOL * scale,
                what + ": expected " + expected + " got " + actual + " (rel " + Math.abs(expected - actual) / scale + ")");
    }

    /**
     * Checks tangent (w·J·d against the central difference of w·f along d), input backward (d·Jᵀw) and each parameter's
     * gradient (against the central difference along a random parameter direction) at input {@code x}.
     */
    public static void check(String name, Layer layer, Tensor x, SplittableRandom rng) {
        Tensor d = random(rng, x.rows, x.cols, 1.0);
        Dual y0 = layer.forward(Dual.of(x));
        Tensor w = random(rng, y0.rows(), y0.cols(), 1.0);
        DoubleUnaryOperator along = h -> dot(w, layer.forward(Dual.of(axpy(x, (float) h, d))).value());
        double fd = richardson(along);

        Dual withTangent = layer.forward(new Dual(x, d));
        double floor = Math.sqrt(dot(withTangent.tangent(), withTangent.tangent())) + 1e-6;
        assertClose(name + " tangent (w·J·d)", fd, dot(w, withTangent.tangent()), floor);
        Tensor yTan = withTangent.value();
        for (int i = 0; i < yTan.size(); i++) {
            assertTrue(yTan.data[yTan.offset + i] == y0.value().data[y0.value().offset + i],
                    name + ": value with tangent differs from value without");
        }

        List<Param> params = layer.params();
        for (Param p : params) p.zeroGrad();
        Layer.Trace tr = layer.trace(Dual.of(x));
        Tensor gx = tr.backward(w);
        assertClose(name + " input gradient (d·Jᵀw)", fd, dot(gx, d), floor);

        for (Param p : params) {
            float[] dir = new float[p.size()];
            float unit = (float) (1 / Math.sqrt(dir.length));
            for (int i = 0; i < dir.length; i++) dir[i] = (float) Init.gaussian(rng) * unit;
            float[] saved = p.value.clone();
            DoubleUnaryOperator alongP = h -> {
                for (int i = 0; i < dir.length; i++) p.value[i] = saved[i] + (float) h * dir[i];
                double v = dot(w, layer.forward(Dual.of(x)).value());
                System.arraycopy(saved, 0, p.value, 0, saved.length);
                return v;
            };
            // a unit-norm direction over n entries moves each by ~h/√n, so the signal shrinks with n while float
            // round-off does not: widen the step as n^(1/4) (Richardson keeps the truncation error small)
            double hp = Math.min(0.2, H * Math.sqrt(Math.sqrt(dir.length)));
            double fdp = richardson(alongP, hp);
            double an = 0, gg = 0;
            for (int i = 0; i < dir.length; i++) {
                an += (double) p.grad[i] * dir[i];
                gg += (double) p.grad[i] * p.grad[i];
            }
            assertClose(name + " gradient of " + p.name, fdp, an, Math.sqrt(gg / dir.length) + 1e-6);
        }
    }
}
