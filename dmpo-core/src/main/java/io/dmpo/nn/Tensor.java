package io.dmpo.nn;

import java.util.Arrays;

/**
 * A row-major float32 matrix view: {@code rows × cols} floats starting at {@code offset} of {@code data}.
 * Batches are rows ("batch-first"); a [B, N, D] token tensor is stored as B·N rows of D.
 */
public final class Tensor {
    public final float[] data;
    public final int offset;
    public final int rows;
    public final int cols;

    public Tensor(float[] data, int offset, int rows, int cols) {
        if (rows < 0 || cols < 0 || offset < 0 || (long) offset + (long) rows * cols > data.length) {
            throw new IllegalArgumentException("tensor view [" + rows + "x" + cols + "] at " + offset
                    + " does not fit an array of " + data.length);
        }
        this.data = data;
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
    }

    public static Tensor zeros(int rows, int cols) {
        return new Tensor(new float[Math.multiplyExact(rows, cols)], 0, rows, cols);
    }

    public int size() {
        return rows * cols;
    }

    public float get(int r, int c) {
        return data[offset + r * cols + c];
    }

    public void set(int r, int c, float v) {
        data[offset + r * cols + c] = v;
    }

    /** Rows [from, from + count) as a view sharing this tensor's storage. */
    public Tensor rowSlice(int from, int count) {
        if (from < 0 || count < 0 || from + count > rows) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + count) + ") outside " + rows);
        }
        return new Tensor(data, offset + from * cols, count, cols);
    }

    /** The same storage seen as {@code rows × cols} (sizes must agree). */
    public Tensor reshape(int newRows, int newCols) {
        if ((long) newRows * newCols != (long) rows * cols) {
            throw new IllegalArgumentException("cannot reshape [" + rows + "x" + cols + "] to [" + newRows + "x" + newCols + "]");
        }
        return new Tensor(data, offset, newRows, newCols);
    }

    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + size());
    }

    public Tensor copy() {
        return new Tensor(toArray(), 0, rows, cols);
    }

    public void copyFrom(Tensor src) {
        requireShape(src, rows, cols, "copy source");
        System.arraycopy(src.data, src.offset, data, offset, size());
    }

    public void fill(float v) {
        Arrays.fill(data, offset, offset + size(), v);
    }

    public static void requireShape(Tensor t, int rows, int cols, String what) {
        if (t.rows != rows || t.cols != cols) {
            throw new IllegalArgumentException(what + ": expected [" + rows + "x" + cols + "], got [" + t.rows + "x" + t.cols + "]");
        }
    }

    public static void requireCols(Tensor t, int cols, String what) {
        if (t.cols != cols) {
            throw new IllegalArgumentException(what + ": expected " + cols + " features per row, got " + t.cols);
        }
    }

    @Override
    public String toString() {
        return "Tensor[" + rows + "x" + cols + "]";
    }
}
