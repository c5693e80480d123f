package io.dmpo.train;

import java.util.SplittableRandom;

/**
 * Random-shift image augmentation (docs/algorithms.md, "Networks": pad 4; DrQ): each image is padded by {@code pad} pixels replicating
 * its border and cropped back at a random integer offset in [−pad, pad]², i.e. shifted with edge replication. Applied
 * to the image prefix (CHW) of each observation row, in place; the rest of the row is untouched.
 */
public final class RandomShift {
    private RandomShift() {}

    public static void apply(float[] rows, int batch, int rowWidth, int channels, int height, int width, int pad,
                             SplittableRandom rng) {
        if (pad == 0) return;
        float[] img = new float[channels * height * width];
        for (int b = 0; b < batch; b++) {
            int dy = rng.nextInt(2 * pad + 1) - pad, dx = rng.nextInt(2 * pad + 1) - pad, at = b * rowWidth;
            System.arraycopy(rows, at, img, 0, img.length);
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < height; y++) {
                    int sy = Math.min(height - 1, Math.max(0, y + dy));
                    for (int x = 0; x < width; x++) {
                        int sx = Math.min(width - 1, Math.max(0, x + dx));
                        rows[at + (c * height + y) * width + x] = img[(c * height + sy) * width + sx];
                    }
                }
            }
        }
    }
}
