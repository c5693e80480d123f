package io.dmpo.nn;

import java.util.concurrent.atomic.AtomicReference;

/**
 * One large buffer handed from a finished trace to the next (a layer's patch matrices, attention probabilities): a
 * training step would otherwise allocate and zero tens of MB per layer. {@link #take} gives the spare if it is large
 * enough, else a new {@link Kernels#buffer} (with slack, so masked tail accesses stay inside); {@link #give} returns it
 * once its trace's backward no longer reads it. Contents are whatever the last user left: callers write every entry
 * they read. A trace that never runs backward just leaves the next one to allocate.
 */
final class SpareBuffer {
    private final AtomicReference<float[]> spare = new AtomicReference<>();

    float[] take(int n) {
        float[] b = spare.getAndSet(null);
        return b != null && b.length >= n + Kernels.SLACK ? b : Kernels.buffer(n);
    }

    void give(float[] b) {
        spare.set(b);
    }
}
