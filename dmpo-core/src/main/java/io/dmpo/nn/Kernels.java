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
    public static final boolean VECTOR = chooseVector();

    /**
     * Vector kernels unless {@code -Ddmpo.kernels=scalar} asks otherwise. A JVM started without
     * {@code --add-modules jdk.incubator.vector} still works, on the ~10–20× slower scalar kernels, and says so once on
     * stderr rather than degrading silently.
     */
    private static boolean chooseVector() {
        if ("scalar".equals(System.getProperty("dmpo.kernels"))) return false;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) return true;
        System.err.println("dmpo: warning: jdk.incubator.vector is not available (start the JVM with --add-modules "
                + "jdk.incubator.vector); using the scalar kernels");
        return false;
    }

    /** Floats per SIMD vector of the active kernels (1 for the scalar kernels). */
    public static final int LANES = VECTOR ? VectorKernels.VL : 1;

    /**
     * Floats of slack after every buffer the allocation-free sessions hand to a kernel: one vector of the widest kind
     * any host has (16 floats, AVX-512), whatever this host's width, so a tail load of a few lanes never crosses the
     * array's end on any machine (docs/engine.md, "Buffers and slack").
     */
    public static final int SLACK = 16;

    /** A zeroed buffer of {@code n} floats plus {@link #SLACK}: the one allocator of session buffers. */
    public static float[] buffer(int n) {
        if (n < 0) throw new IllegalArgumentException("buffer size must be >= 0, got " + n);
        return new float[Math.addExact(n, SLACK)];
    }

    /** A {@link #buffer} holding a copy of {@code src}. */
    public static float[] padded(float[] src) {
        float[] b = buffer(src.length);
        System.arraycopy(src, 0, b, 0, src.length);
        return b;
    }

    /**
     * Runs {@code iterations} rounds of {@link #FMA_PROBE_LANES} independent fused multiply-adds on the calling thread
     * (the throughput probe benchmarks compare the engine with); returns a value to keep the work alive.
     */
    public static float fmaProbe(long iterations) {
        if (!VECTOR) {
            float a = 0.1f, b = 0.2f, c = 0.3f, d = 0.4f;
            for (long i = 0; i < iterations; i++) {
                a = Math.fma(a, 0.999f, 1e-3f);
                b = Math.fma(b, 0.999f, 1e-3f);
                c = Math.fma(c, 0.999f, 1e-3f);
                d = Math.fma(d, 0.999f, 1e-3f);
            }
            return a + b + c + d;
        }
        return VectorKernels.fmaProbe(iterations);
    }

    /** Fused multiply-adds per round of {@link #fmaProbe}. */
    public static final int FMA_PROBE_LANES = VECTOR ? VectorKernels.FMA_PROBE_VECTORS * VectorKernels.VL : 4;

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
                VectorKernels.gemmBroadcastAWide(to - from, n, k, a, ao + from * lda, lda, 1, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
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
                VectorKernels.gemmBroadcastAWide(to - from, n, k, a, ao + from, 1, lda, b, bo, ldb, c, co + from * ldc, ldc, accumulate);
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
        long work = (long) rows * n;
        // the serial case is tested first so that batch-1 control allocates no lambda
        if (Parallel.serial(work)) addRowVector(y, yo, 0, rows, n, bias, bo);
        else Parallel.forRange(rows, 1, work, (from, to) -> addRowVector(y, yo, from, to, n, bias, bo));
    }

    private static void addRowVector(float[] y, int yo, int from, int to, int n, float[] bias, int bo) {
        for (int r = from; r < to; r++) {
            int base = yo + r * n;
            for (int j = 0; j < n; j++) y[base + j] += bias[bo + j];
        }
    }

    /** out[j] += Σ_r y[r, j] (bias gradients); split over columns, so each sum runs over r in order on one thread. */
    public static void sumRows(float[] y, int yo, int rows, int n, float[] out, int oo) {
        long work = (long) rows * n;
        if (Parallel.serial(work)) sumRows(y, yo, rows, 0, n, n, out, oo);
        else Parallel.forRange(n, LANES, work, (from, to) -> sumRows(y, yo, rows, from, to, n, out, oo));
    }

    private static void sumRows(float[] y, int yo, int rows, int from, int to, int n, float[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            int base = yo + r * n;
            for (int j = from; j < to; j++) out[oo + j] += y[base + j];
        }
    }

    // ---- single-thread variants (for callers that already split work over Parallel, e.g. attention heads) ----

    /** {@link #gemmNT} on the calling thread only. */
    public static void gemmNTSerial(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                    float[] c, int co, int ldc, boolean accumulate) {
        if (VECTOR) VectorKernels.gemmNT(m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
        else ScalarKernels.gemmNT(m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
    }

    /** {@link #gemmNN} on the calling thread only. */
    public static void gemmNNSerial(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                    float[] c, int co, int ldc, boolean accumulate) {
        if (VECTOR) VectorKernels.gemmBroadcastAWide(m, n, k, a, ao, lda, 1, b, bo, ldb, c, co, ldc, accumulate);
        else ScalarKernels.gemmBroadcastA(m, n, k, a, ao, lda, 1, b, bo, ldb, c, co, ldc, accumulate);
    }

    /** {@link #gemmTN} on the calling thread only. */
    public static void gemmTNSerial(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                    float[] c, int co, int ldc, boolean accumulate) {
        if (VECTOR) VectorKernels.gemmBroadcastAWide(m, n, k, a, ao, 1, lda, b, bo, ldb, c, co, ldc, accumulate);
        else ScalarKernels.gemmBroadcastA(m, n, k, a, ao, 1, lda, b, bo, ldb, c, co, ldc, accumulate);
    }

    /**
     * Row softmax in place on the calling thread: for each of {@code rows} rows of {@code n} entries (row stride
     * {@code ld}), x ← exp(scale·x − max_j scale·x) / Σ_j exp(...).
     */
    public static void softmaxRows(int rows, int n, float scale, float[] x, int xo, int ld) {
        if (VECTOR) VectorKernels.softmaxRows(rows, n, scale, x, xo, ld);
        else ScalarKernels.softmaxRows(rows, n, scale, x, xo, ld);
    }

    /**
     * LayerNorm over rows of n (biased variance, eps added inside the square root): y = (x − μ)·rstd·w + b. When
     * {@code xhat} is non-null the normalized values go there ([rows × n] from offset 0); when {@code rstd} is non-null
     * the per-row 1/σ goes there. Rows are split over {@link Parallel}'s threads.
     */
    public static void layerNormRows(int rows, int n, float eps, float[] x, int xo, float[] w, float[] b,
                                     float[] y, int yo, float[] xhat, float[] rstd) {
        Parallel.forRange(rows, 1, (long) rows * n * 8, (from, to) -> {
            if (VECTOR) VectorKernels.layerNormRows(from, to, n, eps, x, xo, w, b, y, yo, xhat, rstd);
            else ScalarKernels.layerNormRows(from, to, n, eps, x, xo, w, b, y, yo, xhat, rstd);
        });
    }

    /**
     * Σ a[i]² over [off, off + n), accumulated in float lanes in a fixed order and combined in double (relative error
     * ~1e-6 for a million terms — ample for gradient-norm clipping, which PyTorch also does in float32).
     */
    public static double sumOfSquares(float[] a, int off, int n) {
        if (VECTOR) return VectorKernels.sumOfSquares(a, off, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[off + i] * a[off + i];
        return s;
    }

    /** Σ a[i] over [off, off + n): a streaming read, used to measure memory bandwidth. */
    public static float sum(float[] a, int off, int n) {
        if (VECTOR) return VectorKernels.sum(a, off, n);
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[off + i];
        return s;
    }

    /** dst [cols × rows] = srcᵀ, src [rows × cols] with leading dimension lds; tiled, split over threads by dst rows. */
    public static void transpose(int rows, int cols, float[] src, int so, int lds, float[] dst, int dOff) {
        final int tile = 32;
        Parallel.forRange(cols, tile, (long) rows * cols * 4, (from, to) -> {
            for (int r0 = 0; r0 < rows; r0 += tile) {
                int r1 = Math.min(rows, r0 + tile);
                for (int c0 = from; c0 < to; c0 += tile) {
                    int c1 = Math.min(to, c0 + tile);
                    for (int r = r0; r < r1; r++) {
                        int sr = so + r * lds;
                        for (int c = c0; c < c1; c++) dst[dOff + c * rows + r] = src[sr + c];
                    }
                }
            }
        });
    }
}
