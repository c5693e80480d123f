package io.dmpo.eval;

import io.dmpo.nn.Tensor;

/**
 * Diagnostics of the conditional embedding H = enc(obs) [N, D] (the paper's argument for dispersion: without it the
 * embedding collapses onto few directions).
 */
public final class Representation {
    private Representation() {}

    /**
     * Effective rank (Roy &amp; Vetterli 2007) of the centered embedding: exp(−Σ p_k log p_k) with p_k = σ_k / Σσ over
     * its singular values σ_k. 1 when all rows lie on a line, D when the spread is isotropic; 0 for identical rows.
     */
    public static double effectiveRank(Tensor h) {
        int n = h.rows, d = h.cols;
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) mean[k] += h.get(i, k) / (double) n;
        double[][] gram = new double[d][d]; // (H − mean)ᵀ(H − mean): its eigenvalues are σ_k²
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double a = h.get(i, k) - mean[k];
                for (int l = k; l < d; l++) gram[k][l] += a * (h.get(i, l) - mean[l]);
            }
        }
        for (int k = 0; k < d; k++) for (int l = 0; l < k; l++) gram[k][l] = gram[l][k];
        double[] eig = symmetricEigenvalues(gram);
        double scale = 0; // singular values at round-off level of the data are zeros (identical rows → rank 0)
        for (int i = 0; i < h.size(); i++) scale = Math.max(scale, Math.abs(h.data[h.offset + i]));
        double floor = 1e-6 * scale * Math.sqrt(n);
        double total = 0;
        double[] sigma = new double[d];
        for (int k = 0; k < d; k++) {
            double sv = Math.sqrt(Math.max(0, eig[k]));
            sigma[k] = sv > floor ? sv : 0;
            total += sigma[k];
        }
        if (total == 0) return 0;
        double entropy = 0;
        for (double s : sigma) {
            double p = s / total;
            if (p > 0) entropy -= p * Math.log(p);
        }
        return Math.exp(entropy);
    }

    /** Mean Euclidean distance over all pairs i ≠ j of rows. */
    public static double meanPairwiseDistance(Tensor h) {
        int n = h.rows;
        if (n < 2) return 0;
        double s = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double d2 = 0;
                for (int k = 0; k < h.cols; k++) {
                    double diff = h.get(i, k) - h.get(j, k);
                    d2 += diff * diff;
                }
                s += Math.sqrt(d2);
            }
        }
        return s / ((double) n * (n - 1) / 2);
    }

    /** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (small D: the embedding width). */
    static double[] symmetricEigenvalues(double[][] m) {
        int d = m.length;
        double[][] a = new double[d][];
        for (int i = 0; i < d; i++) a[i] = m[i].clone();
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < d; p++) for (int q = p + 1; q < d; q++) off += a[p][q] * a[p][q];
            if (off < 1e-30) break;
            for (int p = 0; p < d; p++) {
                for (int q = p + 1; q < d; q++) {
                    if (a[p][q] == 0) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < d; k++) { // A ← Jᵀ A J
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++) {
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                }
            }
        }
        double[] out = new double[d];
        for (int i = 0; i < d; i++) out[i] = a[i][i];
        return out;
    }
}
