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

    public static void softmaxRows(int rows, int n, float scale, float[] x, int xo, int ld) {
        for (int r = 0; r < rows; r++) {
            int base = xo + r * ld;
            float mx = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) mx = Math.max(mx, x[base + j] * scale);
            float sum = 0f;
            for (int j = 0; j < n; j++) {
                float e = (float) Math.exp(x[base + j] * scale - mx);
                x[base + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int j = 0; j < n; j++) x[base + j] *= inv;
        }
    }

    /** Rows [from, to) of {@link Kernels#layerNormRows}. */
    public static void layerNormRows(int from, int to, int n, float eps, float[] x, int xo, float[] w, float[] b,
                                     float[] y, int yo, float[] xhat, float[] rstd) {
        for (int r = from; r < to; r++) {
            int xr = xo + r * n, yr = yo + r * n;
            float s = 0f;
            for (int j = 0; j < n; j++) s += x[xr + j];
            float mean = s / n;
            float q = 0f;
            for (int j = 0; j < n; j++) {
                float d = x[xr + j] - mean;
                q = Math.fma(d, d, q);
            }
            float rs = (float) (1.0 / Math.sqrt(q / n + eps));
            if (rstd != null) rstd[r] = rs;
            for (int j = 0; j < n; j++) {
                float h = (x[xr + j] - mean) * rs;
                if (xhat != null) xhat[r * n + j] = h;
                y[yr + j] = Math.fma(h, w[j], b[j]);
            }
        }
    }
}
