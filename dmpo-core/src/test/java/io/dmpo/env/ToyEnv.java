package io.dmpo.env;

import java.util.SplittableRandom;

/** A deterministic 1-D walk: obs = {position, step}, reward = action[0], terminates at |position| >= 3, 10-step limit. */
final class ToyEnv implements Env {
    private SplittableRandom rng;
    private double pos;
    private int t;
    boolean closed;
    int failAt = -1;
    /** Whether the failure at {@code failAt} is a physics instability (else an ordinary error). */
    boolean unstable = true;

    static final class Unstable extends RuntimeException implements PhysicsInstability {
        Unstable(String m) {
            super(m);
        }
    }

    @Override public String name() { return "toy"; }
    @Override public int obsDim() { return 2; }
    @Override public int actDim() { return 1; }
    @Override public double[] actionLow() { return new double[] {-1}; }
    @Override public double[] actionHigh() { return new double[] {1}; }
    @Override public int maxEpisodeSteps() { return 10; }

    @Override
    public double[] reset(long seed) {
        rng = new SplittableRandom(seed);
        return reset();
    }

    @Override
    public double[] reset() {
        if (rng == null) rng = new SplittableRandom(0);
        pos = rng.nextDouble() * 0.1;
        t = 0;
        return new double[] {pos, t};
    }

    @Override
    public StepResult step(double[] a) {
        if (t == failAt) throw unstable ? new Unstable("boom") : new IllegalStateException("bad action");
        pos += a[0];
        t++;
        return new StepResult(new double[] {pos, t}, a[0], Math.abs(pos) >= 3, t >= 10);
    }

    @Override public void close() { closed = true; }
}
