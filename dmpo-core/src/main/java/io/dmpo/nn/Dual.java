package io.dmpo.nn;

/**
 * A value and, optionally, its tangent (forward-mode derivative along one input direction). A null tangent means "zero
 * tangent, not tracked", so plain inference pays nothing for forward mode.
 *
 * <p>Tangents are constants for the reverse pass: backward never differentiates through them. That is exactly what the
 * MeanFlow target needs, because {@code du/dt} sits under a stop-gradient (docs/algorithms.md, "MeanFlow loss"), so no second-order derivative
 * is ever formed.
 */
public record Dual(Tensor value, Tensor tangent) {
    public Dual {
        if (tangent != null) {
            Tensor.requireShape(tangent, value.rows, value.cols, "tangent");
        }
    }

    public static Dual of(Tensor value) {
        return new Dual(value, null);
    }

    public boolean hasTangent() {
        return tangent != null;
    }

    public int rows() {
        return value.rows;
    }

    public int cols() {
        return value.cols;
    }

    /**
     * Fresh storage for a layer output: value and tangent share one array (value rows first), so a Linear layer can run
     * both through one matrix product and read its weights once.
     */
    public static Dual allocate(int rows, int cols, boolean withTangent) {
        if (!withTangent) {
            return new Dual(Tensor.zeros(rows, cols), null);
        }
        // one vector of slack after the tangent rows: the kernels load a row's partial last vector with a plain masked
        // load instead of through a copy (a copy per row that C2 does not always eliminate — a 1.5× slower JVM run)
        float[] both = new float[Math.addExact(Math.multiplyExact(2 * rows, cols), Kernels.LANES)];
        return new Dual(new Tensor(both, 0, rows, cols), new Tensor(both, rows * cols, rows, cols));
    }

    /** True when tangent immediately follows value in one array: the two can be processed as one 2·rows matrix. */
    public boolean stacked() {
        return tangent != null && tangent.data == value.data && tangent.offset == value.offset + value.size();
    }
}
