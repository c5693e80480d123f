package io.dmpo.run;

/**
 * Fault injection for the crash-safety tests: with {@code -Ddmpo.crashAt=<point>@<iteration>} the JVM halts (like a
 * {@code kill -9}: no finally blocks, no shutdown hooks) when a run reaches that point. Points, in publish order:
 * {@code metrics}, {@code eval-line}, {@code checkpoint-written}, {@code checkpoint-renamed}, {@code best},
 * {@code latest}. Unset (always, outside those tests) this is one string comparison per publish step.
 */
final class CrashPoints {
    private CrashPoints() {}

    /** Exit status of an injected crash (128 + SIGKILL, what a shell reports for kill -9). */
    static final int STATUS = 137;

    private static final String AT = System.getProperty("dmpo.crashAt");

    static void reached(String point, long iteration) {
        if (AT != null && AT.equals(point + "@" + iteration)) Runtime.getRuntime().halt(STATUS);
    }
}
