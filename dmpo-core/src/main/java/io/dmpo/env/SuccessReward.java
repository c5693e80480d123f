package io.dmpo.env;

import java.util.Locale;

/**
 * How a sparse-success task pays its reward (docs/algorithms.md, "Stage 2"). Both count the same
 * successes — an episode succeeded when any of its steps was solved — so an evaluation's success rate (the fraction of
 * episodes with a positive return) is the same number under either; they differ in what a return rewards.
 */
public enum SuccessReward {
    /** 1 at the first solved step, which ends the episode: the return is the success (0 or 1). */
    FIRST("first"),
    /**
     * 1 at every step the task is solved, the episode running to its horizon (robosuite's sparse reward, as the
     * release's robomimic fine-tuning sees it): the return also counts how early the task was solved and whether it
     * stayed solved.
     */
    EVERY_STEP("every_step");

    private final String key;

    SuccessReward(String key) {
        this.key = key;
    }

    /** The config spelling: {@code first} or {@code every_step}. */
    public String key() {
        return key;
    }

    public static SuccessReward of(String key) {
        for (SuccessReward r : values()) if (r.key.equals(key.toLowerCase(Locale.ROOT))) return r;
        throw new IllegalArgumentException("success_reward must be first or every_step, got '" + key + "'");
    }
}
