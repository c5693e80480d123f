package io.dmpo.data;

import java.util.SplittableRandom;

/**
 * Training windows for chunked policies (docs/environments.md, "Data layouts"): for a start transition {@code t} of episode {@code [s, e)},
 * the window holds observations {@code t − condSteps + 1 … t} (indices before {@code s} repeat the episode's first
 * observation) and actions {@code t … t + horizon − 1} (indices at or past {@code e} repeat the episode's last
 * action). Every transition is a valid start, so windows never cross an episode boundary.
 * Output rows are flat: {@code condSteps·obsDim} observation values (oldest first) and {@code horizon·actDim}
 * action values.
 */
public final class WindowSampler {
    private final Dataset data;
    private final int condSteps, horizon, obsDim, actDim;
    private final int[] episodeStart, episodeEnd; // per transition
    private final float[] obs, act;

    /** {@code obs} / {@code act}: the (possibly normalized) arrays to cut windows from, laid out like the dataset's. */
    public WindowSampler(Dataset data, float[] obs, float[] act, int condSteps, int horizon) {
        if (condSteps < 1 || horizon < 1) throw new IllegalArgumentException("condSteps and horizon must be >= 1");
        if (obs.length != data.observations().length || act.length != data.actions().length) {
            throw new IllegalArgumentException("window arrays must have the dataset's shapes");
        }
        this.data = data;
        this.condSteps = condSteps;
        this.horizon = horizon;
        this.obsDim = data.obsDim();
        this.actDim = data.actDim();
        this.obs = obs;
        this.act = act;
        int n = data.size();
        episodeStart = new int[n];
        episodeEnd = new int[n];
        for (Dataset.Episode e : data.episodes()) {
            for (int i = e.start(); i < e.end(); i++) {
                episodeStart[i] = e.start();
                episodeEnd[i] = e.end();
            }
        }
    }

    public WindowSampler(Dataset data, int condSteps, int horizon) {
        this(data, data.observations(), data.actions(), condSteps, horizon);
    }

    /** Number of windows (= transitions). */
    public int size() {
        return data.size();
    }

    public int obsWidth() {
        return condSteps * obsDim;
    }

    public int actWidth() {
        return horizon * actDim;
    }

    /** Writes window {@code t} into {@code obsOut[obsOff …]} and {@code actOut[actOff …]}. */
    public void window(int t, float[] obsOut, int obsOff, float[] actOut, int actOff) {
        int s = episodeStart[t], e = episodeEnd[t];
        for (int k = 0; k < condSteps; k++) {
            int i = Math.max(s, t - condSteps + 1 + k);
            System.arraycopy(obs, i * obsDim, obsOut, obsOff + k * obsDim, obsDim);
        }
        for (int k = 0; k < horizon; k++) {
            int i = Math.min(e - 1, t + k);
            System.arraycopy(act, i * actDim, actOut, actOff + k * actDim, actDim);
        }
    }

    /** Fills {@code batch} windows with uniformly random starts; returns the chosen start indices. */
    public int[] sample(int batch, SplittableRandom rng, float[] obsOut, float[] actOut) {
        int[] idx = new int[batch];
        for (int b = 0; b < batch; b++) {
            idx[b] = rng.nextInt(data.size());
            window(idx[b], obsOut, b * obsWidth(), actOut, b * actWidth());
        }
        return idx;
    }
}
