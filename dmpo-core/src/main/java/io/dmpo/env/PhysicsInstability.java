package io.dmpo.env;

/**
 * Marks an exception from {@link Env#step} that means the simulated state blew up (NaN/inf or huge positions, a
 * physics-engine error inside its step). It is the only failure {@link VectorEnv} turns into an episode end (counted
 * and reported); every other exception — a NaN or wrong-length action, a closed env — stops the caller.
 */
public interface PhysicsInstability {
}
