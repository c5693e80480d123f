package io.dmpo.data;

import java.util.List;
import java.util.Map;

/**
 * An offline dataset of transitions in time order (docs/environments.md, "Data layouts"), whatever the file layout. Arrays are flat and
 * row-major: {@code observations()[i·obsDim + j]}. Episodes are contiguous index ranges.
 */
public interface Dataset {
    /** Where the data came from (a file path), used in messages. */
    String source();

    /** "d4rl", "robomimic" or "memory". */
    String layout();

    int size();

    int obsDim();

    int actDim();

    float[] observations();

    float[] actions();

    float[] rewards();

    boolean[] terminals();

    boolean[] timeouts();

    /** Next observations, or null when the file has none. */
    float[] nextObservations();

    /** Metadata (HDF5 attributes of the root group), values as read. */
    Map<String, Object> attributes();

    /** Episodes in order; every transition belongs to exactly one. */
    List<Episode> episodes();

    /** Transitions [start, start + length); {@code terminated}: the last one is a terminal state. */
    record Episode(int start, int length, boolean terminated, double ret) {
        public int end() {
            return start + length;
        }
    }

    /**
     * Splits transitions into episodes at every terminal or timeout; a trailing run without an end flag (data cut
     * mid-episode) is an episode too.
     */
    static List<Episode> segment(float[] rewards, boolean[] terminals, boolean[] timeouts) {
        List<Episode> eps = new java.util.ArrayList<>();
        int start = 0;
        double ret = 0;
        for (int i = 0; i < rewards.length; i++) {
            ret += rewards[i];
            if (terminals[i] || timeouts[i]) {
                eps.add(new Episode(start, i + 1 - start, terminals[i], ret));
                start = i + 1;
                ret = 0;
            }
        }
        if (start < rewards.length) eps.add(new Episode(start, rewards.length - start, false, ret));
        return eps;
    }

    /** Checks that the data fits an env with these dimensions. */
    default void requireDims(int envObsDim, int envActDim, String env) {
        if (obsDim() != envObsDim) {
            throw DataException.field(source(), "observations", "has " + obsDim() + " columns, env '" + env + "' has obs_dim " + envObsDim);
        }
        if (actDim() != envActDim) {
            throw DataException.field(source(), "actions", "has " + actDim() + " columns, env '" + env + "' has act_dim " + envActDim);
        }
    }
}
