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

    /** How {@link Init} fills this parameter. */
    public enum InitKind { UNIFORM_FAN_IN, NORMAL, ONES, ZEROS }

    private InitKind initKind = InitKind.UNIFORM_FAN_IN;
    private double initScale;

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
        // PyTorch's default for Linear/Conv weights: U(±1/sqrt(fan_in)), fan_in = product of all dims but the first
        long fanIn = 1;
        for (int i = 1; i < shape.length; i++) fanIn *= shape[i];
        this.initScale = 1 / Math.sqrt(shape.length > 1 ? fanIn : shape[0]);
    }

    /** U(±1/sqrt(fanIn)) — PyTorch's default for Linear/Conv weights and biases (bias uses its layer's fan-in). */
    public Param initUniformFanIn(long fanIn) {
        this.initKind = InitKind.UNIFORM_FAN_IN;
        this.initScale = 1 / Math.sqrt(fanIn);
        return this;
    }

    public Param initNormal(double std) {
        this.initKind = InitKind.NORMAL;
        this.initScale = std;
        return this;
    }

    public Param initOnes() {
        this.initKind = InitKind.ONES;
        return this;
    }

    public Param initZeros() {
        this.initKind = InitKind.ZEROS;
        return this;
    }

    public InitKind initKind() {
        return initKind;
    }

    public double initScale() {
        return initScale;
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
