package io.dmpo.run;

/** A run directory that cannot be used as asked (one line naming the directory or file and what is wrong). */
public final class RunException extends RuntimeException {
    public RunException(String message) {
        super(message);
    }
}
