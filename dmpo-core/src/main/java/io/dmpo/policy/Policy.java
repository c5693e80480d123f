package io.dmpo.policy;

import java.util.SplittableRandom;

/**
 * A trained policy as a robot computer uses it: raw environment observations in, environment actions out. Whatever
 * the algorithm and the number of sampling steps, one call returns the next {@link #actSteps()} actions to execute
 * (an action chunk); normalization lives inside.
 */
public interface Policy {
    /** Size of one raw observation. */
    int obsDim();

    /** Size of one env action. */
    int actDim();

    /** Observations the policy conditions on (the latest last). */
    int condSteps();

    /** Actions returned per call (executed in order before the next call). */
    int actSteps();

    /**
     * The next actions for {@code history}: {@code condSteps} raw observations, oldest first (repeat the first
     * observation of an episode to fill it). {@code rng} draws the initial noise; returns {@code actSteps × actDim}.
     */
    double[][] act(double[][] history, SplittableRandom rng);
}
