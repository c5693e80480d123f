package io.dmpo.rl;

/**
 * Training produced a non-finite number (a NaN/inf action, loss or gradient norm). Thrown before the bad values reach
 * an environment or the parameters, with the iteration and step in the message, so the run stops with its last good
 * checkpoint intact.
 */
public final class TrainingDiverged extends RuntimeException {
    public TrainingDiverged(String message) {
        super(message);
    }
}
