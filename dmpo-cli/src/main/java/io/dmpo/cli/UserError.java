package io.dmpo.cli;

/** An error caused by the user's input: reported as one line with the given exit code. */
public final class UserError extends RuntimeException {
    private final int exitCode;

    public UserError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public UserError(String message) {
        this(message, 2);
    }

    public int exitCode() {
        return exitCode;
    }
}
