package io.dmpo.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A {@link Dataset} held in arrays; the constructor validates lengths and finiteness (one line naming the field). */
public final class ArrayDataset implements Dataset {
    private final String source, layout;
    private final int n, obsDim, actDim;
    private final float[] obs, act, rew, nextObs;
    private final boolean[] term, timeout;
    private final Map<String, Object> attrs;
    private final List<Episode> episodes;

    public ArrayDataset(String source, String layout, int obsDim, int actDim, float[] obs, float[] act, float[] rew,
                        boolean[] term, boolean[] timeout, float[] nextObs, Map<String, Object> attrs) {
        this(source, layout, obsDim, actDim, obs, act, rew, term, timeout, nextObs, attrs, null);
    }

    /** With explicit episodes (robomimic: one per demo); null = segment from terminals/timeouts. */
    public ArrayDataset(String source, String layout, int obsDim, int actDim, float[] obs, float[] act, float[] rew,
                        boolean[] term, boolean[] timeout, float[] nextObs, Map<String, Object> attrs, List<Episode> episodes) {
        this.source = source;
        this.layout = layout;
        this.n = rew.length;
        this.obsDim = obsDim;
        this.actDim = actDim;
        if (n == 0) throw DataException.field(source, "rewards", "is empty");
        if (obsDim < 1) throw DataException.field(source, "observations", "has no columns");
        if (actDim < 1) throw DataException.field(source, "actions", "has no columns");
        requireLength(obs, (long) n * obsDim, "observations", obsDim);
        requireLength(act, (long) n * actDim, "actions", actDim);
        if (term.length != n) throw DataException.field(source, "terminals", "has " + term.length + " rows, rewards has " + n);
        if (timeout.length != n) throw DataException.field(source, "timeouts", "has " + timeout.length + " rows, rewards has " + n);
        if (nextObs != null) requireLength(nextObs, (long) n * obsDim, "next_observations", obsDim);
        requireFinite(obs, "observations", obsDim);
        requireFinite(act, "actions", actDim);
        requireFinite(rew, "rewards", 1);
        if (nextObs != null) requireFinite(nextObs, "next_observations", obsDim);
        this.obs = obs;
        this.act = act;
        this.rew = rew;
        this.term = term;
        this.timeout = timeout;
        this.nextObs = nextObs;
        this.attrs = attrs == null ? new LinkedHashMap<>() : new LinkedHashMap<>(attrs);
        this.episodes = episodes != null ? List.copyOf(episodes) : Dataset.segment(rew, term, timeout);
    }

    private void requireLength(float[] x, long want, String field, int cols) {
        if (x.length != want) {
            throw DataException.field(source, field, "has " + (x.length / Math.max(1, cols)) + " rows, rewards has " + n);
        }
    }

    private void requireFinite(float[] x, String field, int cols) {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw DataException.field(source, field, "non-finite value " + x[i] + " at row " + i / cols
                        + (cols > 1 ? ", column " + i % cols : ""));
            }
        }
    }

    @Override public String source() { return source; }
    @Override public String layout() { return layout; }
    @Override public int size() { return n; }
    @Override public int obsDim() { return obsDim; }
    @Override public int actDim() { return actDim; }
    @Override public float[] observations() { return obs; }
    @Override public float[] actions() { return act; }
    @Override public float[] rewards() { return rew; }
    @Override public boolean[] terminals() { return term; }
    @Override public boolean[] timeouts() { return timeout; }
    @Override public float[] nextObservations() { return nextObs; }
    @Override public Map<String, Object> attributes() { return attrs; }
    @Override public List<Episode> episodes() { return episodes; }
}
