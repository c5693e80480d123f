package io.dmpo.env;

/**
 * The layout of an observation row, carried by every {@link Env} and every policy file: an optional image first —
 * {@code channels × height × width} values in 0..255, channel-major (C, H, W planes) — then {@code lowDim}
 * low-dimensional values (joint state, proprioception, object pose). A state observation has no image. Code that
 * splits an observation asks this spec instead of assuming the rule.
 */
public record ObservationSpec(int channels, int height, int width, int lowDim) {
    public ObservationSpec {
        if (channels < 0 || height < 0 || width < 0 || lowDim < 0) {
            throw new IllegalArgumentException("observation sizes must be >= 0, got " + channels + "x" + height + "x" + width + " + " + lowDim);
        }
        if ((channels == 0) != (height == 0) || (channels == 0) != (width == 0)) {
            throw new IllegalArgumentException("an image needs channels, height and width, got " + channels + "x" + height + "x" + width);
        }
    }

    /** A state observation of {@code dim} values. */
    public static ObservationSpec state(int dim) {
        return new ObservationSpec(0, 0, 0, dim);
    }

    /** An RGB image of {@code width × height} followed by {@code lowDim} values. */
    public static ObservationSpec rgb(int width, int height, int lowDim) {
        return new ObservationSpec(3, height, width, lowDim);
    }

    public boolean pixels() {
        return channels > 0;
    }

    /** Values in the image part (0 for a state observation); the low-dimensional part starts here. */
    public int imageSize() {
        return channels * height * width;
    }

    /** Values in a whole row. */
    public int dim() {
        return imageSize() + lowDim;
    }

    @Override
    public String toString() {
        return pixels() ? channels + "x" + height + "x" + width + " image + " + lowDim : String.valueOf(lowDim);
    }
}
