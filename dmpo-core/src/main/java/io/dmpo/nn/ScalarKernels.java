package io.dmpo.nn;

/** Plain-loop reference kernels: the fallback when the Vector API is absent, and the comparison target in tests. */
public final class ScalarKernels {
    private ScalarKernels() {}

    public static void gemmNT(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                int ar = ao + i * lda, br = bo + j * ldb;
                for (int p = 0; p < k; p++) s = Math.fma(a[ar + p], b[br + p], s);
                int ci = co + i * ldc + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    /** C (+)= A·B where A(i, p) = a[ao + i·ai + p·ap]. */
    public static void gemmBroadcastA(int m, int n, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb,
                                      float[] c, int co, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int cr = co + i * ldc;
            if (!accumulate) java.util.Arrays.fill(c, cr, cr + n, 0f);
            for (int p = 0; p < k; p++) {
                float av = a[ao + i * ai + p * ap];
                int br = bo + p * ldb;
                for (int j = 0; j < n; j++) c[cr + j] = Math.fma(av, b[br + j], c[cr + j]);
            }
        }
    }

    public static void pointwise(Pointwise f, float[] x, int xo, float[] y, int yo, float[] deriv, int dOff, int n) {
        for (int i = 0; i < n; i++) {
            double v = x[xo + i];
            if (deriv != null) deriv[dOff + i] = (float) f.derivative(v);
            y[yo + i] = (float) f.value(v);
        }
    }

    public static void multiply(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n, boolean accumulate) {
        for (int i = 0; i < n; i++) {
            float p = a[ao + i] * b[bo + i];
            y[yo + i] = accumulate ? y[yo + i] + p : p;
        }
    }
}
