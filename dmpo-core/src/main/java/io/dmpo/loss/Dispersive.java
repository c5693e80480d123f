package io.dmpo.loss;

import io.dmpo.nn.Tensor;

import java.util.Locale;

/**
 * Dispersive regularizers on the conditional embedding h = enc(obs) (docs/algorithms.md, "Dispersive regularization"; paper Eq. 4–5, 22–26; Wang & He
 * 2025): they push the embeddings of a batch apart so the encoder does not collapse. Each form returns its value and its
 * exact gradient dL/dh, which the trainer scales by λ and feeds to {@code MeanFlowActor.Pass.backward(gradU, gradCond)}.
 * Computed in double precision; the InfoNCE forms use log-sum-exp, so large norms do not overflow. A batch of one
 * has nothing to disperse: every form gives 0 with a zero gradient.
 */
public final class Dispersive {
    private Dispersive() {}

    /** The published forms (not the release's InfoNCE-L2, which uses non-squared distances and a clamped diagonal). */
    public enum Kind {
        NONE, INFONCE_L2, INFONCE_COSINE, HINGE, COVARIANCE;

        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown dispersive loss '" + s
                        + "' (none, infonce_l2, infonce_cosine, hinge, covariance)");
            }
        }
    }

    /**
     * {@code weight} λ (total L = L_flow + λ·L_disp), {@code temperature} τ (InfoNCE), {@code margin} m (hinge),
     * {@code divideByDim}: InfoNCE-L2 divides squared distances by D·τ (published) instead of τ.
     */
    public record Options(Kind kind, double weight, double temperature, double margin, boolean divideByDim) {
        public static final Options OFF = new Options(Kind.NONE, 0, 0.5, 1, true);

        public Options {
            if (!(weight >= 0 && Double.isFinite(weight))) throw new IllegalArgumentException("dispersive weight must be >= 0, got " + weight);
            if (!(temperature > 0 && Double.isFinite(temperature))) {
                throw new IllegalArgumentException("dispersive temperature must be > 0, got " + temperature);
            }
            if (!(margin > 0 && Double.isFinite(margin))) throw new IllegalArgumentException("hinge margin must be > 0, got " + margin);
        }

        public boolean active() {
            return kind != Kind.NONE && weight > 0;
        }

        /** The configs' reference setting (docs/algorithms.md, "Stage 1 losses"): InfoNCE-L2, λ 0.5, τ 0.5, distances / D. */
        public boolean isReference() {
            return kind == Kind.INFONCE_L2 && weight == 0.5 && temperature == 0.5 && divideByDim;
        }

        /**
         * The form and the parameters it uses, for report rows ({@code InfoNCE-L2 λ0.1 τ0.5}, {@code hinge λ0.9 m1},
         * {@code covariance λ0.5}); InfoNCE-L2 without the division by D ends in {@code /τ}.
         */
        public String describe() {
            String w = " λ" + compact(weight);
            return switch (kind) {
                case NONE -> "none";
                case INFONCE_L2 -> "InfoNCE-L2" + w + " τ" + compact(temperature) + (divideByDim ? "" : " /τ");
                case INFONCE_COSINE -> "InfoNCE-cosine" + w + " τ" + compact(temperature);
                case HINGE -> "hinge" + w + " m" + compact(margin);
                case COVARIANCE -> "covariance" + w;
            };
        }

        private static String compact(double v) {
            return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        }
    }

    /** The loss value and dL/dh ([B, D], unweighted by λ). */
    public record Result(double value, Tensor grad) {}

    /** Evaluates the form {@code o.kind()} on embeddings {@code h} [B, D]. */
    public static Result evaluate(Tensor h, Options o) {
        if (h.rows < 2) return new Result(0, Tensor.zeros(h.rows, h.cols)); // (InfoNCE-cosine would give 1/τ)
        return switch (o.kind()) {
            case NONE -> new Result(0, Tensor.zeros(h.rows, h.cols));
            case INFONCE_L2 -> infoNceL2(h, o.temperature(), o.divideByDim());
            case INFONCE_COSINE -> infoNceCosine(h, o.temperature());
            case HINGE -> hinge(h, o.margin());
            case COVARIANCE -> covariance(h);
        };
    }

    /**
     * InfoNCE-L2: L = log((1/B²) Σ_{i,j} exp(−‖h_i − h_j‖² / s)), s = D·τ (or τ). With p = softmax over all (i, j) of
     * the exponents (symmetric), dL/dh_i = −(4/s) Σ_j p_ij (h_i − h_j).
     */
    public static Result infoNceL2(Tensor h, double tau, boolean divideByDim) {
        int b = h.rows, d = h.cols;
        double s = divideByDim ? d * tau : tau;
        double[][] x = rows(h);
        double[][] a = new double[b][b];
        for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) a[i][j] = -squaredDistance(x[i], x[j]) / s;
        double lse = logSumExp(a);
        double[][] g = new double[b][d];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                double p = Math.exp(a[i][j] - lse);
                for (int k = 0; k < d; k++) g[i][k] -= 4 / s * p * (x[i][k] - x[j][k]);
            }
        }
        return new Result(lse - Math.log((double) b * b), tensor(g, b, d));
    }

    /**
     * InfoNCE-cosine: L = log((1/B²) Σ_{i,j} exp(cos(h_i, h_j)/τ)). With n_i = h_i/‖h_i‖ and p the softmax,
     * dL/dn_i = (2/τ) Σ_j p_ij n_j, projected onto the tangent of the sphere: dL/dh_i = (g − (g·n_i) n_i)/‖h_i‖.
     * A zero embedding has no direction: its norm is floored at 1e−12 and it gets no gradient.
     */
    public static Result infoNceCosine(Tensor h, double tau) {
        int b = h.rows, d = h.cols;
        double[][] x = rows(h), n = new double[b][d];
        double[] norm = new double[b];
        for (int i = 0; i < b; i++) {
            norm[i] = Math.sqrt(dot(x[i], x[i]));
            for (int k = 0; k < d; k++) n[i][k] = x[i][k] / Math.max(norm[i], 1e-12);
        }
        double[][] a = new double[b][b];
        for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) a[i][j] = dot(n[i], n[j]) / tau;
        double lse = logSumExp(a);
        double[][] g = new double[b][d];
        for (int i = 0; i < b; i++) {
            if (norm[i] < 1e-12) continue;
            double[] gn = new double[d];
            for (int j = 0; j < b; j++) {
                double p = Math.exp(a[i][j] - lse);
                for (int k = 0; k < d; k++) gn[k] += 2 / tau * p * n[j][k];
            }
            double radial = dot(gn, n[i]);
            for (int k = 0; k < d; k++) g[i][k] = (gn[k] - radial * n[i][k]) / norm[i];
        }
        return new Result(lse - Math.log((double) b * b), tensor(g, b, d));
    }

    /**
     * Hinge: L = (1/(B(B−1))) Σ_{i≠j} max(0, m − ‖h_i − h_j‖²)²; dL/dh_i = −(8/(B(B−1))) Σ_j max(0, m − d_ij)(h_i − h_j).
     */
    public static Result hinge(Tensor h, double margin) {
        int b = h.rows, d = h.cols;
        if (b < 2) return new Result(0, Tensor.zeros(b, d));
        double[][] x = rows(h), g = new double[b][d];
        double pairs = (double) b * (b - 1), total = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (i == j) continue;
                double gap = Math.max(0, margin - squaredDistance(x[i], x[j]));
                total += gap * gap;
                for (int k = 0; k < d; k++) g[i][k] -= 8 / pairs * gap * (x[i][k] - x[j][k]);
            }
        }
        return new Result(total / pairs, tensor(g, b, d));
    }

    /**
     * Covariance: C = (H − mean)ᵀ(H − mean)/(B − 1), L = (1/D) Σ_{k≠l} C_kl². With G = (2/D)·offdiag(C) (symmetric),
     * dL/dH = 2 (H − mean) G / (B − 1) (the centering adds nothing: the centered rows sum to 0).
     */
    public static Result covariance(Tensor h) {
        int b = h.rows, d = h.cols;
        if (b < 2) return new Result(0, Tensor.zeros(b, d));
        double[][] x = rows(h);
        double[] mean = new double[d];
        for (double[] r : x) for (int k = 0; k < d; k++) mean[k] += r[k] / b;
        for (double[] r : x) for (int k = 0; k < d; k++) r[k] -= mean[k];
        double[][] c = new double[d][d];
        for (double[] r : x) for (int k = 0; k < d; k++) for (int l = 0; l < d; l++) c[k][l] += r[k] * r[l] / (b - 1);
        double total = 0;
        double[][] gc = new double[d][d];
        for (int k = 0; k < d; k++) {
            for (int l = 0; l < d; l++) {
                if (k == l) continue;
                total += c[k][l] * c[k][l];
                gc[k][l] = 2.0 / d * c[k][l];
            }
        }
        double[][] g = new double[b][d];
        for (int i = 0; i < b; i++) {
            for (int l = 0; l < d; l++) {
                double acc = 0;
                for (int k = 0; k < d; k++) acc += x[i][k] * gc[k][l];
                g[i][l] = 2 * acc / (b - 1);
            }
        }
        return new Result(total / d, tensor(g, b, d));
    }

    private static double[][] rows(Tensor h) {
        double[][] x = new double[h.rows][h.cols];
        for (int i = 0; i < h.rows; i++) for (int k = 0; k < h.cols; k++) x[i][k] = h.get(i, k);
        return x;
    }

    private static Tensor tensor(double[][] g, int b, int d) {
        Tensor t = Tensor.zeros(b, d);
        for (int i = 0; i < b; i++) for (int k = 0; k < d; k++) t.set(i, k, (float) g[i][k]);
        return t;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) s += a[k] * b[k];
        return s;
    }

    private static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            double diff = a[k] - b[k];
            s += diff * diff;
        }
        return s;
    }

    private static double logSumExp(double[][] a) {
        double max = Double.NEGATIVE_INFINITY;
        for (double[] r : a) for (double v : r) max = Math.max(max, v);
        double s = 0;
        for (double[] r : a) for (double v : r) s += Math.exp(v - max);
        return max + Math.log(s);
    }
}
