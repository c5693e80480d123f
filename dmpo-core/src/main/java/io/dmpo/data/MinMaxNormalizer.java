package io.dmpo.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-dimension min–max normalization to [−1, 1] (docs/environments.md, "Data layouts"): {@code y = 2·(x − min)/(max − min + 1e−6) − 1};
 * inverse {@code x = (y + 1)/2·(max − min + 1e−6) + min}. A constant dimension maps to −1.
 */
public final class MinMaxNormalizer {
    public static final double EPS = 1e-6;
    private final float[] min, max;

    public MinMaxNormalizer(float[] min, float[] max) {
        if (min.length != max.length) throw new IllegalArgumentException("min and max differ in length");
        this.min = min.clone();
        this.max = max.clone();
    }

    /** Statistics of the columns of a flat row-major {@code rows × dim} array. */
    public static MinMaxNormalizer fit(float[] x, int dim) {
        float[] lo = new float[dim], hi = new float[dim];
        java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < x.length; i++) {
            int j = i % dim;
            lo[j] = Math.min(lo[j], x[i]);
            hi[j] = Math.max(hi[j], x[i]);
        }
        return new MinMaxNormalizer(lo, hi);
    }

    public int dim() {
        return min.length;
    }

    public float[] min() {
        return min.clone();
    }

    public float[] max() {
        return max.clone();
    }

    /** Normalizes a flat array of rows of {@link #dim()} values in place; returns it. */
    public float[] normalize(float[] x) {
        int d = min.length;
        for (int i = 0; i < x.length; i++) {
            int j = i % d;
            x[i] = (float) (2 * (x[i] - (double) min[j]) / ((double) max[j] - min[j] + EPS) - 1);
        }
        return x;
    }

    /** Normalizes the {@link #dim()} values at {@code x[off ..]} in place (one row; allocates nothing). */
    public void normalizeRow(float[] x, int off) {
        for (int j = 0; j < min.length; j++) {
            x[off + j] = (float) (2 * (x[off + j] - (double) min[j]) / ((double) max[j] - min[j] + EPS) - 1);
        }
    }

    /** The inverse of {@link #normalize}, in place. */
    public float[] unnormalize(float[] y) {
        int d = min.length;
        for (int i = 0; i < y.length; i++) {
            int j = i % d;
            y[i] = (float) ((y[i] + 1) / 2 * ((double) max[j] - min[j] + EPS) + min[j]);
        }
        return y;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> lo = new ArrayList<>(), hi = new ArrayList<>();
        for (float v : min) lo.add((double) v);
        for (float v : max) hi.add((double) v);
        m.put("min", lo);
        m.put("max", hi);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static MinMaxNormalizer fromMap(Map<String, Object> m) {
        List<Object> lo = (List<Object>) m.get("min"), hi = (List<Object>) m.get("max");
        float[] a = new float[lo.size()], b = new float[hi.size()];
        for (int i = 0; i < a.length; i++) a[i] = ((Number) lo.get(i)).floatValue();
        for (int i = 0; i < b.length; i++) b[i] = ((Number) hi.get(i)).floatValue();
        return new MinMaxNormalizer(a, b);
    }
}
