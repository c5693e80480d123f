package io.dmpo.env;

/**
 * The outcome of one {@link Env#step}. {@code terminated}: the task reached a terminal state (e.g. the robot fell);
 * bootstrapping stops. {@code truncated}: the episode was cut (time limit); the next state still has value. They are
 * never merged: {@link #done()} is "either".
 */
public record StepResult(double[] obs, double reward, boolean terminated, boolean truncated) {
    public boolean done() {
        return terminated || truncated;
    }
}
