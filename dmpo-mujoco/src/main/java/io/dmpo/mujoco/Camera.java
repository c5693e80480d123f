package io.dmpo.mujoco;

import java.util.Locale;

/**
 * Which camera an env observes through: {@link #NONE} for state observations, else a camera of the model (by name;
 * "free" is MuJoCo's default free camera) and the image size. Pixel observations put the image first, as uint8
 * values 0..255 in C × H × W planes (the pixel actor's layout), then the task's low-dimensional part.
 */
public record Camera(String name, int width, int height) {
    public static final Camera NONE = new Camera(null, 0, 0);

    public Camera {
        if (name != null && (width < 8 || height < 8 || width > 1024 || height > 1024)) {
            throw new IllegalArgumentException("image size must be within 8..1024 per side, got " + width + "x" + height);
        }
    }

    public boolean pixels() {
        return name != null;
    }

    /** Values in one image: 3 · width · height (0 without a camera). */
    public int imageSize() {
        return pixels() ? 3 * width * height : 0;
    }

    /** The layout of an observation through this camera: its RGB image (if any), then {@code lowDim} values. */
    public io.dmpo.env.ObservationSpec observation(int lowDim) {
        return pixels() ? io.dmpo.env.ObservationSpec.rgb(width, height, lowDim) : io.dmpo.env.ObservationSpec.state(lowDim);
    }

    /** A camera from a name and a size such as "96x96" (width x height); a null name gives {@link #NONE}. */
    public static Camera of(String name, String size) {
        if (name == null) {
            if (size != null) throw new IllegalArgumentException("an image size needs a camera: pass --camera (e.g. agentview, or free)");
            return NONE;
        }
        String s = size == null ? "96x96" : size;
        String[] p = s.toLowerCase(Locale.ROOT).split("x");
        int w, h;
        try {
            if (p.length != 2) throw new NumberFormatException();
            w = Integer.parseInt(p[0].strip());
            h = Integer.parseInt(p[1].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("image size must look like 96x96 (width x height), got '" + s + "'");
        }
        return new Camera(name, w, h);
    }

    @Override
    public String toString() {
        return pixels() ? name + " " + width + "x" + height : "none";
    }
}
