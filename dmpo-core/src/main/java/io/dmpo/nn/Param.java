package io.dmpo.nn;

import java.util.Arrays;

/**
 * A trainable tensor and its gradient accumulator. {@code shape} is the PyTorch shape used in checkpoints (Linear weight
 * {@code [out, in]}, bias {@code [out]}, Conv2d weight {@code [out, in, kh, kw]}).
 */
public final class Param {
    public final String name;
    public final int[] shape;
    public final float[] value;
    public final float[] grad;

    public Param(String name, int... shape) {
        long n = 1;
        for (int s : shape) {
            if (s <= 0) throw new IllegalArgumentException(name + ": non-positive dimension in " + Arrays.toString(shape));
            n *= s;
        }
        this.name = name;
        this.shape = shape.clone();
        this.value = new float[Math.toIntExact(n)];
        this.grad = new float[value.length];
    }

    public int size() {
        return value.length;
    }

    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }

    /** A view of the value as a matrix (e.g. [out, in] for a Linear weight). */
    public Tensor asMatrix(int rows, int cols) {
        return new Tensor(value, 0, rows, cols);
    }

    public Tensor gradAsMatrix(int rows, int cols) {
        return new Tensor(grad, 0, rows, cols);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
