package io.dmpo.nn;

/** Small structural operations on row batches: sums, column concatenation and its inverse. */
public final class Ops {
    private Ops() {}

    /** a + b (tangents add; a missing tangent counts as zero). */
    public static Dual add(Dual a, Dual b) {
        Tensor.requireShape(b.value(), a.rows(), a.cols(), "residual sum");
        boolean tan = a.hasTangent() || b.hasTangent();
        Dual y = Dual.allocate(a.rows(), a.cols(), tan);
        sum(a.value(), b.value(), y.value());
        if (tan) {
            if (a.hasTangent() && b.hasTangent()) sum(a.tangent(), b.tangent(), y.tangent());
            else y.tangent().copyFrom(a.hasTangent() ? a.tangent() : b.tangent());
        }
        return y;
    }

    private static void sum(Tensor a, Tensor b, Tensor out) {
        int n = a.size();
        for (int i = 0; i < n; i++) out.data[out.offset + i] = a.data[a.offset + i] + b.data[b.offset + i];
    }

    /** acc += x. */
    public static void addInPlace(Tensor acc, Tensor x) {
        Tensor.requireShape(x, acc.rows, acc.cols, "gradient sum");
        int n = acc.size();
        for (int i = 0; i < n; i++) acc.data[acc.offset + i] += x.data[x.offset + i];
    }

    /** Columns of the parts side by side: [B, c1] ++ [B, c2] ++ ... (a missing tangent contributes zeros). */
    public static Dual concatCols(Dual... parts) {
        int rows = parts[0].rows(), cols = 0;
        boolean tan = false;
        for (Dual p : parts) {
            if (p.rows() != rows) {
                throw new IllegalArgumentException("concat: batch sizes differ (" + rows + " vs " + p.rows() + ")");
            }
            cols += p.cols();
            tan |= p.hasTangent();
        }
        Dual y = Dual.allocate(rows, cols, tan);
        int at = 0;
        for (Dual p : parts) {
            place(p.value(), y.value(), at);
            if (p.hasTangent()) place(p.tangent(), y.tangent(), at);
            at += p.cols();
        }
        return y;
    }

    private static void place(Tensor src, Tensor dst, int colOffset) {
        for (int r = 0; r < src.rows; r++) {
            System.arraycopy(src.data, src.offset + r * src.cols, dst.data, dst.offset + r * dst.cols + colOffset, src.cols);
        }
    }

    /** Columns [from, from + count) of x as a new tensor (the backward of {@link #concatCols}). */
    public static Tensor columns(Tensor x, int from, int count) {
        Tensor out = Tensor.zeros(x.rows, count);
        for (int r = 0; r < x.rows; r++) {
            System.arraycopy(x.data, x.offset + r * x.cols + from, out.data, r * count, count);
        }
        return out;
    }

    /** A [B, 1] column holding the given values. */
    public static Tensor column(float... values) {
        return new Tensor(values.clone(), 0, values.length, 1);
    }

    /** A [B, cols] tensor filled with one value. */
    public static Tensor full(int rows, int cols, float value) {
        Tensor t = Tensor.zeros(rows, cols);
        t.fill(value);
        return t;
    }
}
