package io.dmpo.nn;

import java.util.List;
import java.util.SplittableRandom;

/** Seeded parameter initialization following each {@link Param}'s {@link Param.InitKind} (PyTorch-default equivalent). */
public final class Init {
    private Init() {}

    /** Fills the parameters in order from one seeded stream: same seed and architecture ⇒ identical weights. */
    public static void apply(List<Param> params, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Param p : params) {
            double s = p.initScale();
            for (int i = 0; i < p.value.length; i++) {
                p.value[i] = switch (p.initKind()) {
                    case UNIFORM_FAN_IN -> (float) ((2 * rng.nextDouble() - 1) * s);
                    case NORMAL -> (float) (gaussian(rng) * s);
                    case ONES -> 1f;
                    case ZEROS -> 0f;
                };
            }
        }
    }

    /** Standard normal (Box–Muller, one value per call). */
    public static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
