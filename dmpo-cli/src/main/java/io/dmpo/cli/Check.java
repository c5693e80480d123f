package io.dmpo.cli;

import java.util.Locale;

/** Up-front checks of command-line options: each failure is one line naming the option (exit 2). */
final class Check {
    private Check() {}

    static void atLeast(String option, long value, long min) {
        if (value < min) throw new UserError(option + " must be >= " + min + ", got " + value, 2);
    }

    /** {@code value} must be finite and within [lo, hi] ({@code (lo, hi]} when {@code openLow}). */
    static void range(String option, double value, double lo, double hi, boolean openLow) {
        boolean ok = Double.isFinite(value) && (openLow ? value > lo : value >= lo) && value <= hi;
        if (!ok) {
            String r = (openLow ? "(" : "[") + num(lo) + ", " + (hi == Double.MAX_VALUE ? "inf)" : num(hi) + "]");
            throw new UserError(option + " must be a finite number in " + r + ", got " + value, 2);
        }
    }

    static void finite(String option, double value) {
        if (!Double.isFinite(value)) throw new UserError(option + " must be a finite number, got " + value, 2);
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : Double.toString(v);
    }
}
