package io.dmpo.run;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar with elapsed time and ETA for iteration loops: redrawn in place on a terminal, a plain line
 * at most every 30 s (and on {@code important} updates) when stderr is a file or pipe, so logs stay readable.
 */
public final class Progress {
    private final long total;
    private final long startIteration;
    private final long t0 = System.nanoTime();
    private final boolean tty = System.console() != null;
    private final PrintStream out;
    private double lastPrint = Double.NEGATIVE_INFINITY;
    private double budgetSeconds;

    /** {@code total} iterations, of which {@code startIteration} were done before this session (a resume). */
    public Progress(long total, long startIteration) {
        this(total, startIteration, System.err);
    }

    public Progress(long total, long startIteration, PrintStream out) {
        this.total = Math.max(1, total);
        this.startIteration = startIteration;
        this.out = out;
    }

    /**
     * A wall-clock budget for this session (0 = none): the bar and the ETA then follow whichever ends first, the
     * iterations or the budget.
     */
    public Progress withBudget(double seconds) {
        this.budgetSeconds = seconds;
        return this;
    }

    /** Seconds since this session started. */
    public double elapsed() {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Shows {@code iteration} of the total with a status text (losses, returns, rates). */
    public void update(long iteration, String status, boolean important) {
        double el = elapsed();
        long done = iteration - startIteration;
        double eta = done > 0 ? el / done * (total - iteration) : Double.NaN;
        double fraction = (double) iteration / total;
        if (budgetSeconds > 0) {
            eta = Double.isNaN(eta) ? budgetSeconds - el : Math.min(eta, budgetSeconds - el);
            fraction = Math.max(fraction, el / budgetSeconds);
        }
        fraction = Math.min(1, Math.max(0, fraction));
        int width = 24, fill = (int) (width * fraction);
        String of = budgetSeconds > 0 && total > 10 * iteration + 1000 ? "" : "/" + total; // an iteration cap the budget hides
        String line = String.format(Locale.ROOT, "[%s%s] %3d%% it %d%s | %s | %s elapsed, ETA %s", "#".repeat(fill),
                ".".repeat(width - fill), Math.round(100 * fraction), iteration, of, status, time(el), time(Math.max(0, eta)));
        if (tty) {
            out.print("\r" + line);
            out.flush();
        } else if (important || el - lastPrint >= 30) {
            out.println(line);
            lastPrint = el;
        }
    }

    /** Ends the redrawn line (on a terminal). */
    public void finish() {
        if (tty) out.println();
    }

    /** {@code 1m05s}, {@code 2h03m}, or {@code ?}. */
    public static String time(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long x = Math.round(seconds);
        return x >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", x / 3600, x % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", x / 60, x % 60);
    }
}
