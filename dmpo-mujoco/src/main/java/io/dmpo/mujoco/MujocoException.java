package io.dmpo.mujoco;

/** An error reported by MuJoCo (through the C shim's mju_error handler) or by the binding. */
public class MujocoException extends RuntimeException {
    public MujocoException(String message) {
        super(message);
    }

    public MujocoException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A model file that MuJoCo could not load; the message is MuJoCo's own parse/compile message. */
    public static final class LoadError extends MujocoException {
        public LoadError(String message) {
            super(message);
        }
    }

    /** The simulation became unstable (NaN/inf or huge state, or an mju_error inside mj_step); the env must be reset. */
    public static final class Instability extends MujocoException implements io.dmpo.env.PhysicsInstability {
        public Instability(String message) {
            super(message);
        }
    }

    /** libmujoco.so.2.2.2 (or the shim) could not be loaded. */
    public static final class Unavailable extends MujocoException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
