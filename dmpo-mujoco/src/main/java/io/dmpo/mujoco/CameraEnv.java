package io.dmpo.mujoco;

import io.dmpo.env.Env;
import io.dmpo.env.ObservationSpec;
import io.dmpo.env.StepResult;

/**
 * Pixel observations for any {@link MujocoEnv} (a locomotion task or an {@code mjcf:} robot): the observation is the
 * camera image (uint8 values 0..255, C × H × W) followed by the env's own state observation. Everything else —
 * actions, rewards, episode ends — is the wrapped env's.
 */
public final class CameraEnv implements Env {
    private final MujocoEnv env;
    private final Camera camera;
    private final Renderer renderer;
    private final int cameraId;

    public CameraEnv(MujocoEnv env, Camera camera) {
        if (!camera.pixels()) throw new IllegalArgumentException("CameraEnv needs a camera");
        this.env = env;
        this.camera = camera;
        this.cameraId = Renderer.cameraId(env.model(), camera.name());
        this.renderer = Renderer.open(env.model(), camera.width(), camera.height(), true, false);
    }

    public MujocoEnv inner() { return env; }
    public Camera camera() { return camera; }
    @Override public String name() { return env.name(); }
    @Override public int obsDim() { return camera.imageSize() + env.obsDim(); }
    @Override public ObservationSpec observationSpec() { return camera.observation(env.obsDim()); }
    @Override public int actDim() { return env.actDim(); }
    @Override public double[] actionLow() { return env.actionLow(); }
    @Override public double[] actionHigh() { return env.actionHigh(); }
    @Override public double dt() { return env.dt(); }
    @Override public int maxEpisodeSteps() { return env.maxEpisodeSteps(); }

    @Override
    public double[] reset(long seed) {
        return withImage(env.reset(seed));
    }

    @Override
    public double[] reset() {
        return withImage(env.reset());
    }

    @Override
    public StepResult step(double[] action) {
        StepResult r = env.step(action);
        return new StepResult(withImage(r.obs()), r.reward(), r.terminated(), r.truncated());
    }

    private double[] withImage(double[] state) {
        renderer.render(env.data(), cameraId);
        double[] o = new double[obsDim()];
        renderer.copyRgb(o, 0);
        System.arraycopy(state, 0, o, camera.imageSize(), state.length);
        return o;
    }

    @Override
    public void close() {
        try {
            renderer.close();
        } finally {
            env.close();
        }
    }
}
