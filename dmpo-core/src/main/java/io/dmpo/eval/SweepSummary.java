package io.dmpo.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Aggregates step sweeps (one {@code eval.json} per run) over seeds: per method and K the mean over seeds of each run's
 * mean return, with the standard error over seeds (the paper's Table 3 convention), the median latency, and the
 * methods' embedding diagnostics.
 */
public final class SweepSummary {
    /** One run: its method label, seed, sweep (K → return mean, latency µs) and diagnostics. */
    public record Run(String method, long seed, Map<Integer, Double> returns, Map<Integer, Double> latencies,
                      double effectiveRank, double meanPairwiseDistance) {}

    private final Map<String, List<Run>> byMethod = new LinkedHashMap<>();

    public SweepSummary(List<Run> runs) {
        for (Run r : runs) byMethod.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
    }

    public List<String> methods() {
        return List.copyOf(byMethod.keySet());
    }

    public List<Run> runs(String method) {
        return byMethod.getOrDefault(method, List.of());
    }

    /** Every K any run evaluated, ascending. */
    public List<Integer> steps() {
        TreeSet<Integer> ks = new TreeSet<>();
        for (List<Run> rs : byMethod.values()) for (Run r : rs) ks.addAll(r.returns().keySet());
        return List.copyOf(ks);
    }

    /** Return at K over the method's seeds (n = 0 when no run has K). */
    public MeanStderr returnAt(String method, int k) {
        List<Double> xs = new ArrayList<>();
        for (Run r : runs(method)) if (r.returns().containsKey(k)) xs.add(r.returns().get(k));
        return MeanStderr.of(xs);
    }

    /** Median over the method's runs of the batch-1 latency at K. */
    public double latencyAt(String method, int k) {
        List<Double> xs = new ArrayList<>();
        for (Run r : runs(method)) if (r.latencies().containsKey(k)) xs.add(r.latencies().get(k));
        xs.sort(Double::compare);
        if (xs.isEmpty()) return Double.NaN;
        int n = xs.size();
        return n % 2 == 1 ? xs.get(n / 2) : 0.5 * (xs.get(n / 2 - 1) + xs.get(n / 2));
    }

    public MeanStderr effectiveRank(String method) {
        return MeanStderr.of(runs(method).stream().map(Run::effectiveRank).filter(Double::isFinite).toList());
    }

    public MeanStderr meanPairwiseDistance(String method) {
        return MeanStderr.of(runs(method).stream().map(Run::meanPairwiseDistance).filter(Double::isFinite).toList());
    }

    /** The K with the highest mean return for a method. */
    public int bestSteps(String method) {
        int best = -1;
        double v = Double.NEGATIVE_INFINITY;
        for (int k : steps()) {
            MeanStderr s = returnAt(method, k);
            if (s.n() > 0 && s.mean() > v) {
                v = s.mean();
                best = k;
            }
        }
        return best;
    }

    /** A run's sweep from its eval.json object. */
    @SuppressWarnings("unchecked")
    public static Run fromEval(String method, long seed, Map<String, Object> eval) {
        Map<Integer, Double> ret = new TreeMap<>(), lat = new TreeMap<>();
        for (Object o : (List<Object>) eval.get("results")) {
            Map<String, Object> r = (Map<String, Object>) o;
            int k = ((Number) r.get("steps")).intValue();
            ret.put(k, ((Number) r.get("return_mean")).doubleValue());
            lat.put(k, ((Number) r.get("latency_us")).doubleValue());
        }
        return new Run(method, seed, ret, lat, num(eval.get("effective_rank")), num(eval.get("mean_pairwise_distance")));
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
