package io.dmpo.eval;

import io.dmpo.data.Dataset;
import io.dmpo.env.Env;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.FlowPolicy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The step sweep of {@code dmpo eval} (docs/algorithms.md, "Flow conventions"): for each sampling-step count K, the
 * policy's episodes on the same start states ({@link Evaluator}), their mean episode length and its batch-1 latency;
 * plus the effective rank and mean pairwise distance of its conditional embedding on a dataset sample
 * ({@link Representation}). {@link Result#toMap()} is the {@code eval.json} layout that {@link SweepSummary} reads.
 */
public final class StepSweep {
    private StepSweep() {}

    /** Observations sampled from a dataset for the embedding diagnostics (seeded; at most this many). */
    public static final int EMBEDDING_SAMPLE = 1024;

    /** One K: its episodes and batch-1 latency (median µs). */
    public record Row(int steps, Evaluator.Episodes episodes, double latencyMicros, boolean successRate) {
        public Map<String, Object> toMap() {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("steps", steps);
            r.put("return_mean", episodes.mean());
            r.put("return_stderr", episodes.stderr());
            r.put("episode_length", episodes.meanLength());
            if (successRate) r.put("success_rate", episodes.mean()); // sparse reward: 1 on success, which ends the episode
            r.put("instabilities", episodes.instabilities());
            r.put("latency_us", latencyMicros);
            return r;
        }
    }

    /** Every K's row and the embedding diagnostics (null without a dataset sample). */
    public record Result(List<Row> rows, Double effectiveRank, Double meanPairwiseDistance) {
        public Map<String, Object> toMap() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("results", rows.stream().map(Row::toMap).toList());
            out.put("effective_rank", effectiveRank);
            out.put("mean_pairwise_distance", meanPairwiseDistance);
            return out;
        }
    }

    /**
     * Sweeps {@code steps} over {@code episodes} episodes (episode i resets with {@code seed + i}) on {@code envs};
     * {@code successRate}: the task's reward is a sparse success (reported as a rate too); {@code embedding}: the
     * sample's conditional embedding, or null; {@code onRow} hears each K as it is done.
     */
    public static Result run(FlowPolicy policy, List<? extends Env> envs, int[] steps, int episodes, long seed, boolean successRate,
                             Tensor embedding, Consumer<Row> onRow) {
        double[][] history = new double[policy.condSteps()][];
        double[] first = envs.get(0).reset(seed);
        for (int k = 0; k < history.length; k++) history[k] = first;
        List<Row> rows = new ArrayList<>();
        for (int k : steps) {
            Evaluator.Episodes e = Evaluator.run(policy, envs, k, episodes, seed);
            double latency = Evaluator.latencyMicros(policy, history, k, Math.max(20, 2000 / k), Math.max(50, 4000 / k));
            Row row = new Row(k, e, latency, successRate);
            rows.add(row);
            onRow.accept(row);
        }
        return new Result(rows, embedding == null ? null : Representation.effectiveRank(embedding),
                embedding == null ? null : Representation.meanPairwiseDistance(embedding));
    }

    /** The policy's conditional embedding of up to {@value #EMBEDDING_SAMPLE} observations of {@code data} (a seeded sample). */
    public static Tensor embedding(FlowPolicy policy, Dataset data) {
        if (data.obsDim() != policy.obsDim()) {
            throw new IllegalArgumentException(data.source() + ": observations have " + data.obsDim() + " values, the policy " + policy.obsDim());
        }
        int n = Math.min(EMBEDDING_SAMPLE, data.size());
        SplittableRandom rng = new SplittableRandom(3);
        double[][][] hist = new double[n][policy.condSteps()][];
        for (int i = 0; i < n; i++) {
            int row = rng.nextInt(data.size());
            double[] o = new double[data.obsDim()];
            for (int j = 0; j < o.length; j++) o[j] = data.observations()[row * data.obsDim() + j];
            for (int k = 0; k < policy.condSteps(); k++) hist[i][k] = o;
        }
        return policy.actor().encode(policy.normalizedObservations(hist));
    }
}
