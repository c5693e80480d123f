package io.dmpo.nn;

/** Elementwise nonlinearities the kernels implement, each with its derivative. */
public enum Pointwise {
    RELU, MISH, GELU, SILU, TANH;

    /** Double-precision reference value (used by the scalar kernels and by tests). */
    public double value(double x) {
        return switch (this) {
            case RELU -> x > 0 ? x : 0;
            case MISH -> x * Math.tanh(Math.log1p(Math.exp(x)) );
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case SILU -> x / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
        };
    }

    /** Double-precision reference derivative. */
    public double derivative(double x) {
        return switch (this) {
            case RELU -> x > 0 ? 1 : 0;
            case MISH -> {
                double sp = x > 30 ? x : Math.log1p(Math.exp(x));
                double tsp = Math.tanh(sp);
                double sig = 1 / (1 + Math.exp(-x));
                yield tsp + x * (1 - tsp * tsp) * sig;
            }
            case GELU -> 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
            case TANH -> {
                double y = Math.tanh(x);
                yield 1 - y * y;
            }
        };
    }

    /**
     * erf via the complementary error function's Chebyshev fit (Numerical Recipes, fractional error below 1.2e-7
     * everywhere) — accurate beyond float32, and built from exp so the vector kernel can use the same formula.
     */
    public static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc : erfc - 1;
    }
}
