package io.dmpo.nn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API kernels against the scalar reference, and thread-count independence of the split products. */
class KernelsTest {
    @AfterEach
    void oneThread() {
        Parallel.setThreads(1);
    }

    static float[] randomArray(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) Init.gaussian(rng);
        return a;
    }

    static void assertNear(float[] expected, float[] actual, double relTol, String what) {
        double maxRef = 1e-6, maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxErr <= relTol * maxRef, what + ": max error " + maxErr + " vs max |ref| " + maxRef);
    }

    @Test
    void vectorGemmsMatchScalar() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int trial = 0; trial < 60; trial++) {
            int m = 1 + rng.nextInt(13), n = 1 + rng.nextInt(70), k = 1 + rng.nextInt(90);
            boolean acc = rng.nextBoolean();
            int pad = rng.nextInt(3); // leading dimensions larger than the logical width, and offsets
            int lda = k + pad, ldb = k + pad, ldc = n + pad;
            float[] a = randomArray(rng, 3 + m * lda), b = randomArray(rng, 3 + n * ldb);
            float[] c0 = randomArray(rng, 2 + m * ldc);
            float[] cs = c0.clone(), cv = c0.clone();
            ScalarKernels.gemmNT(m, n, k, a, 3, lda, b, 3, ldb, cs, 2, ldc, acc);
            VectorKernels.gemmNT(m, n, k, a, 3, lda, b, 3, ldb, cv, 2, ldc, acc);
            assertNear(cs, cv, 1e-5, "gemmNT " + m + "x" + n + "x" + k);

            // A(i, p) at a[i·lda + p] (NN) and at a[p·ldaT + i] (TN)
            int ldbn = n + pad, ldaT = m + pad;
            float[] bn = randomArray(rng, 3 + k * ldbn), aT = randomArray(rng, 3 + k * ldaT);
            cs = c0.clone();
            cv = c0.clone();
            ScalarKernels.gemmBroadcastA(m, n, k, a, 3, lda, 1, bn, 3, ldbn, cs, 2, ldc, acc);
            VectorKernels.gemmBroadcastA(m, n, k, a, 3, lda, 1, bn, 3, ldbn, cv, 2, ldc, acc);
            assertNear(cs, cv, 1e-5, "gemmNN " + m + "x" + n + "x" + k);
            cs = c0.clone();
            cv = c0.clone();
            ScalarKernels.gemmBroadcastA(m, n, k, aT, 3, 1, ldaT, bn, 3, ldbn, cs, 2, ldc, acc);
            VectorKernels.gemmBroadcastA(m, n, k, aT, 3, 1, ldaT, bn, 3, ldbn, cv, 2, ldc, acc);
            assertNear(cs, cv, 1e-5, "gemmTN " + m + "x" + n + "x" + k);
        }
    }

    /**
     * The broadcast kernel's rows are bitwise the same whether computed in a block of four (whose tail columns read a
     * zero-padded copy of B) or alone (masked tail loads), for any width, with and without accumulation.
     */
    @Test
    void broadcastRowsDoNotDependOnRowBlocking() {
        SplittableRandom rng = new SplittableRandom(17);
        for (int trial = 0; trial < 40; trial++) {
            int m = 4 + rng.nextInt(9), n = 1 + rng.nextInt(70), k = 1 + rng.nextInt(200);
            boolean acc = rng.nextBoolean();
            float[] a = randomArray(rng, m * k), b = randomArray(rng, k * n), c0 = randomArray(rng, m * n);
            float[] block = c0.clone();
            VectorKernels.gemmBroadcastA(m, n, k, a, 0, k, 1, b, 0, n, block, 0, n, acc);
            for (int i = 0; i < m; i++) {
                float[] row = java.util.Arrays.copyOfRange(c0, i * n, (i + 1) * n);
                VectorKernels.gemmBroadcastA(1, n, k, a, i * k, k, 1, b, 0, n, row, 0, n, acc);
                assertArrayEquals(row, java.util.Arrays.copyOfRange(block, i * n, (i + 1) * n), "row " + i + " of " + m + "x" + n + "x" + k);
            }
        }
    }

    /**
     * Each output is bitwise independent of where it falls in a register block (4-column folds vs single columns,
     * 2-row vs 1-row blocks), and of masked tails that end exactly at the array's end.
     */
    @Test
    void dotKernelOutputsDoNotDependOnBlocking() {
        SplittableRandom rng = new SplittableRandom(15);
        for (int k : new int[] {5, 16, 60, 64, 100}) {
            int m = 3, n = 9;
            float[] a = randomArray(rng, m * k), b = randomArray(rng, n * k); // exact sizes: tails touch the end
            float[] whole = new float[m * n];
            VectorKernels.gemmNT(m, n, k, a, 0, k, b, 0, k, whole, 0, n, false);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float[] one = new float[1];
                    VectorKernels.gemmNT(1, 1, k, a, i * k, k, b, j * k, k, one, 0, 1, false);
                    assertEquals(Float.floatToIntBits(one[0]), Float.floatToIntBits(whole[i * n + j]), "k=" + k + " (" + i + "," + j + ")");
                }
            }
        }
    }

    @Test
    void sumOfSquaresMatchesDouble() {
        SplittableRandom rng = new SplittableRandom(16);
        for (int n : new int[] {0, 1, 31, 4096, 4097, 100_003}) {
            float[] a = randomArray(rng, n + 2);
            double ref = 0;
            for (int i = 0; i < n; i++) ref += (double) a[i + 2] * a[i + 2];
            assertEquals(ref, Kernels.sumOfSquares(a, 2, n), 1e-5 * Math.max(1, ref), "n=" + n);
        }
    }

    @Test
    void gemmAgainstNaiveDoubleProduct() {
        SplittableRandom rng = new SplittableRandom(12);
        int m = 5, n = 7, k = 33;
        float[] a = randomArray(rng, m * k), b = randomArray(rng, n * k), c = new float[m * n];
        Kernels.gemmNT(m, n, k, a, 0, k, b, 0, k, c, 0, n, false);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[j * k + p];
                assertEquals(s, c[i * n + j], 1e-4 * Math.max(1, Math.abs(s)));
            }
        }
    }

    @Test
    void vectorPointwiseMatchesDoubleReference() {
        SplittableRandom rng = new SplittableRandom(13);
        int n = 1000 + rng.nextInt(37);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((rng.nextDouble() * 2 - 1) * (i < n / 2 ? 6 : 40));
        x[0] = 0f;
        x[1] = -100f;
        x[2] = 100f;
        for (Pointwise f : Pointwise.values()) {
            float[] ys = new float[n], ds = new float[n], yv = new float[n], dv = new float[n];
            ScalarKernels.pointwise(f, x, 0, ys, 0, ds, 0, n);
            VectorKernels.pointwise(f, x, 0, yv, 0, dv, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(ys[i], yv[i], 2e-6 * Math.max(1, Math.abs(ys[i])), f + " value at x=" + x[i]);
                assertEquals(ds[i], dv[i], 2e-6 * Math.max(1, Math.abs(ds[i])), f + " derivative at x=" + x[i]);
            }
            // in place and without the derivative (the e^x functions run in blocks through a scratch buffer): the
            // same bits as above
            float[] inPlace = x.clone();
            VectorKernels.pointwise(f, inPlace, 0, inPlace, 0, null, 0, n);
            assertArrayEquals(yv, inPlace, f + " in place, no derivative");
            // the double reference itself against central differences
            for (int i = 3; i < 40; i++) {
                double h = 1e-5, xi = x[i];
                if (f == Pointwise.RELU && Math.abs(xi) < 1e-3) continue;
                double fd = (f.value(xi + h) - f.value(xi - h)) / (2 * h);
                assertEquals(fd, f.derivative(xi), 1e-5 * Math.max(1, Math.abs(fd)), f + " reference derivative at " + xi);
            }
        }
        assertEquals(0.8413447460685429 * 1.0, Pointwise.GELU.value(1.0), 1e-7, "GELU(1) = Φ(1)");
    }

    @Test
    void fusedBiasGeluEpilogueIsPointwiseGeluBitForBit() {
        SplittableRandom rng = new SplittableRandom(17);
        int vl = VectorKernels.VL, rows = 5, c0 = vl, c1 = vl + 40 * vl, ld = c1 + 3;
        float[] y = new float[rows * ld], res = new float[rows * ld], bias = new float[rows];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian() * 4;
            res[i] = (float) rng.nextGaussian();
        }
        for (int r = 0; r < rows; r++) bias[r] = (float) rng.nextGaussian();
        float[] fused = y.clone();
        VectorKernels.biasActColumns(rows, c0, c1, fused, 0, ld, bias, 0, 2, res, 0);
        for (int r = 0; r < rows; r++) {
            float[] pre = new float[c1 - c0], act = new float[c1 - c0];
            for (int j = c0; j < c1; j++) pre[j - c0] = y[r * ld + j] + bias[r];
            VectorKernels.pointwise(Pointwise.GELU, pre, 0, act, 0, null, 0, pre.length);
            for (int j = c0; j < c1; j++) assertEquals(res[r * ld + j] + act[j - c0], fused[r * ld + j], 0f, "row " + r + " column " + j);
            for (int j = 0; j < c0; j++) assertEquals(y[r * ld + j], fused[r * ld + j], 0f, "outside the columns");
        }
    }

    @Test
    void splitProductsAreBitwiseIndependentOfThreadCount() {
        SplittableRandom rng = new SplittableRandom(14);
        int m = 130, n = 96, k = 200;
        float[] a = randomArray(rng, m * k), b = randomArray(rng, n * k), bn = randomArray(rng, k * n);
        float[][] results = new float[3][];
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            float[] c1 = new float[m * n], c2 = new float[m * n], c3 = new float[k * n];
            Kernels.gemmNT(m, n, k, a, 0, k, b, 0, k, c1, 0, n, false);
            Kernels.gemmNN(m, n, k, a, 0, k, bn, 0, n, c2, 0, n, false);
            Kernels.gemmTN(k, n, m, a, 0, k, c1, 0, n, c3, 0, n, false);
            if (threads == 1) {
                results = new float[][] {c1, c2, c3};
            } else {
                assertArrayEquals(results[0], c1, "gemmNT 1 vs 2 threads");
                assertArrayEquals(results[1], c2, "gemmNN 1 vs 2 threads");
                assertArrayEquals(results[2], c3, "gemmTN 1 vs 2 threads");
            }
        }
    }
}
