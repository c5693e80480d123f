package io.dmpo.nn;

/**
 * Entry point for the engine's numeric kernels. Dispatches to {@link VectorKernels} (the only class that touches
 * {@code jdk.incubator.vector}) or to {@link ScalarKernels} (plain loops; set {@code -Ddmpo.kernels=scalar}), and splits
 * large products over {@link Parallel}'s threads by output rows.
 *
 * <p>Matrix arguments are (array, offset, leading dimension) triples in row-major order.
 */
public final class Kernels {
    private Kernels() {}

    /** True when the Vector API kernels are in use. */
    public static final boolean VECTOR = !"scalar".equals(System.getProperty("dmpo.kernels"))
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** C[m×n] (+)= A[m×k] · B[n×k]ᵀ (each output a dot product of two contiguous rows). */
    public static void gemmNT(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        Parallel.forRange(m, 4, (long) m * n * k, (from, to) -> {
            if (VECTOR) {
                VectorKernels.gemmNT(to - from, n, k, a, ao + from * lda, lda, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
            } else {
                ScalarKernels.gemmNT(to - from, n, k, a, ao + from * lda, lda, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
            }
        });
    }

    /** C[m×n] (+)= A[m×k] · B[k×n]. */
    public static void gemmNN(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        Parallel.forRange(m, 4, (long) m * n * k, (from, to) -> {
            if (VECTOR) {
                VectorKernels.gemmBroadcastA(to - from, n, k, a, ao + from * lda, lda, 1, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
            } else {
                ScalarKernels.gemmBroadcastA(to - from, n, k, a, ao + from * lda, lda, 1, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
            }
        });
    }

    /** C[m×n] (+)= A[k×m]ᵀ · B[k×n] (weight gradients: dW = dYᵀ·X). */
    public static void gemmTN(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        Parallel.forRange(m, 4, (long) m * n * k, (from, to) -> {
            if (VECTOR) {
                VectorKernels.gemmBroadcastA(to - from, n, k, a, ao + from, 1, lda, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
            } else {
                ScalarKernels.gemmBroadcastA(to - from, n, k, a, ao + from, 1, lda, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
            }
        });
    }

    /** y[i] = f(x[i]); when {@code deriv != null} also deriv[i] = f'(x[i]). In-place (y == x) is allowed. */
    public static void pointwise(Pointwise f, float[] x, int xo, float[] y, int yo, float[] deriv, int dOff, int n) {
        if (VECTOR) {
            VectorKernels.pointwise(f, x, xo, y, yo, deriv, dOff, n);
        } else {
            ScalarKernels.pointwise(f, x, xo, y, yo, deriv, dOff, n);
        }
    }

    /** y[i] (+)= a[i]·b[i]. */
    public static void multiply(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n, boolean accumulate) {
        if (VECTOR) {
            VectorKernels.multiply(a, ao, b, bo, y, yo, n, accumulate);
        } else {
            ScalarKernels.multiply(a, ao, b, bo, y, yo, n, accumulate);
        }
    }

    /** Adds {@code bias[0..n)} to each of {@code rows} rows of length n. */
    public static void addRowVector(float[] y, int yo, int rows, int n, float[] bias, int bo) {
        for (int r = 0; r < rows; r++) {
            int base = yo + r * n;
            for (int j = 0; j < n; j++) y[base + j] += bias[bo + j];
        }
    }

    /** out[j] += Σ_r y[r, j] (bias gradients). */
    public static void sumRows(float[] y, int yo, int rows, int n, float[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            int base = yo + r * n;
            for (int j = 0; j < n; j++) out[oo + j] += y[base + j];
        }
    }
}
