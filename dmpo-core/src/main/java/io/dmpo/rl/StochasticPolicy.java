package io.dmpo.rl;

import io.dmpo.nn.Param;
import io.dmpo.nn.Tensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * What PPO needs from a policy, and nothing more: sample actions with their log-probabilities, recompute the
 * log-probabilities of stored samples under the current parameters (with gradients), and report the entropy.
 *
 * <p>A sample is described by a <em>record</em>: a row of {@link #recordDim()} floats that determines the
 * log-probability (a Gaussian policy stores its unclipped action; a noisy denoising chain stores every chain state
 * x_0..x_K). The env action is a function of the record (e.g. clipped to the action range) and is returned
 * separately. Observations given to a policy are already normalized by the caller.
 */
public interface StochasticPolicy {
    int obsDim();

    /** Width of one env action row. */
    int actDim();

    /** Width of one sample record (see the class comment). */
    int recordDim();

    /**
     * Samples one action per observation row. Writes env actions {@code [B, actDim]}, records {@code [B, recordDim]}
     * and log-probabilities {@code [B]}.
     */
    void sample(Tensor obs, SplittableRandom rng, Tensor actionsOut, Tensor recordsOut, float[] logProbOut);

    /**
     * Actions without exploration noise (evaluation): the Gaussian's mean, or the noise-free chain. A generative policy
     * still draws its initial noise from {@code rng} (it is part of the policy, not exploration); others ignore it.
     */
    void act(Tensor obs, SplittableRandom rng, Tensor actionsOut);

    /**
     * Recomputes log π(record | obs) and the entropy, keeping what {@link Evaluation#backward} needs. Must be a
     * deterministic function of (parameters, obs, record) — no fresh noise, no dropout, no augmentation — so that
     * PPO's ratio is exactly 1 before the first step (docs/algorithms.md, "Stage 2").
     */
    Evaluation evaluate(Tensor obs, Tensor records);

    /** Trainable parameters (stable order and names: they are the checkpoint). */
    List<Param> params();

    /** One recorded evaluation of a minibatch. */
    interface Evaluation {
        float[] logProb();

        /** Per-row entropy (or an estimate of it). */
        float[] entropy();

        /** Accumulates parameter gradients given dL/d logProb[b] and dL/d entropy[b]; call at most once. */
        void backward(float[] gradLogProb, float[] gradEntropy);
    }
}
