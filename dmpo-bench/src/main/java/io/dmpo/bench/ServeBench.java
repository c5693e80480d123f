package io.dmpo.bench;

import io.dmpo.client.NdArray;
import io.dmpo.client.PolicyClient;
import io.dmpo.io.Json;
import io.dmpo.mujoco.Camera;
import io.dmpo.mujoco.ControlLoop;
import io.dmpo.nn.Init;
import io.dmpo.nn.Parallel;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.MeanFlowActor;
import io.dmpo.policy.PolicyFile;
import io.dmpo.serve.PolicyEndpoint;
import io.dmpo.serve.PolicyServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

/**
 * Round trips through {@code dmpo serve} over loopback (docs/latency.md, "Serving"): a {@link PolicyServer} in this
 * process, N {@link PolicyClient}s on their own threads, each sending one observation and waiting for its actions, back
 * to back or paced at {@code --hz}; next to it, the same policy's in-process controller on the same observations. Per
 * row: round-trip p50/p99, the server's own {@code infer_ms} p50, replies later than one control period, and lost
 * requests (no reply within the timeout, or a failed connection).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Loopback round-trip latency of ./dmpo serve at 1..N concurrent clients, next to the in-process controller.")
public final class ServeBench implements Runnable {
    @Option(names = "--task", split = ",", description = "hopper (state actor), lift (wrist-camera pixel actor); default both")
    List<String> tasks = new ArrayList<>(List.of("hopper", "lift"));

    @Option(names = "--policy", description = "serve this policy file instead of the seeded networks (one task)")
    Path policyFile;

    @Option(names = "--clients", split = ",", description = "concurrent clients per row (default ${DEFAULT-VALUE})")
    List<Integer> clients = new ArrayList<>(List.of(1, 4));

    @Option(names = "--seconds", description = "timed seconds per row (default ${DEFAULT-VALUE})")
    double seconds = 10;

    @Option(names = "--warmup", description = "seconds of unrecorded requests first (default ${DEFAULT-VALUE})")
    double warmup = 3;

    @Option(names = "--hz", description = "requests per second per client; 0 = back to back (default ${DEFAULT-VALUE})")
    double hz = 0;

    @Option(names = "--threads", description = "engine threads per request (default ${DEFAULT-VALUE})")
    int threads = 1;

    @Option(names = "--workers", description = "the server's inference workers (default: cores = ${DEFAULT-VALUE})")
    int workers = Runtime.getRuntime().availableProcessors();

    @Option(names = "--timeout-ms", description = "a request without a reply this long is lost (default ${DEFAULT-VALUE})")
    int timeoutMs = 1000;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public void run() {
        if (!(seconds > 0) || !(warmup >= 0) || hz < 0) throw new IllegalArgumentException("--seconds > 0, --warmup >= 0, --hz >= 0");
        for (int c : clients) if (c < 1 || c > 256) throw new IllegalArgumentException("--clients values must be in [1, 256], got " + c);
        if (policyFile != null && tasks.size() != 1) throw new IllegalArgumentException("--policy serves one task: pass --task hopper or --task lift");
        Parallel.setThreads(threads);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String task : tasks) {
            FlowPolicy policy = policy(task);
            Map<String, Object> local = inProcess(policy, observations(policy, 64));
            for (int n : clients) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("task", task);
                row.put("clients", n);
                row.put("hz", hz);
                row.putAll(overLoopback(policy, n));
                row.put("in_process_p50_us", local.get("p50_us"));
                row.put("in_process_p99_us", local.get("p99_us"));
                rows.add(row);
                if (!json) print(row, rows.size() == 1);
            }
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("threads", threads);
            out.put("workers", workers);
            out.put("seconds", seconds);
            out.put("rows", rows);
            System.out.println(Json.write(out));
        }
    }

    private FlowPolicy policy(String task) {
        if (policyFile != null) {
            try {
                return PolicyFile.load(policyFile);
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }
        return switch (task) {
            case "hopper" -> {
                MeanFlowActor actor = MeanFlowActor.state(11, 4 * 3);
                Init.apply(actor.params(), 0);
                float[] lo = new float[11], hi = new float[11];
                java.util.Arrays.fill(lo, -1);
                java.util.Arrays.fill(hi, 1);
                FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT,
                        Map.of("weights", "seeded random (serving latency)"));
                yield new FlowPolicy(spec, actor, new io.dmpo.data.MinMaxNormalizer(lo, hi),
                        new io.dmpo.data.MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 1}));
            }
            case "lift" -> {
                FlowPolicy p = ControlLoop.seededPixelPolicy(new Camera("wrist", 96, 96), 1, 0);
                Map<String, Object> prov = new LinkedHashMap<>(p.spec().provenance());
                prov.put("camera", "wrist");
                FlowPolicy.Spec s = p.spec();
                yield new FlowPolicy(new FlowPolicy.Spec(s.algorithm(), s.obsDim(), s.actDim(), s.horizon(), s.actSteps(), s.condSteps(),
                        s.steps(), s.architecture(), prov), p.actor(), p.obsNormalizer(), p.actNormalizer());
            }
            default -> throw new IllegalArgumentException("unknown task '" + task + "' (hopper, lift)");
        };
    }

    /** Seeded observation messages in the policy's wire layout (uint8 HWC image and/or float32 state). */
    private static List<Map<String, Object>> observations(FlowPolicy policy, int count) {
        PolicyEndpoint ep = new PolicyEndpoint(policy, "bench");
        SplittableRandom rng = new SplittableRandom(3);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, Object> obs = new LinkedHashMap<>();
            for (var e : ep.observationKeys().entrySet()) {
                int[] shape = ((List<?>) e.getValue().get("shape")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
                int n = 1;
                for (int d : shape) n *= d;
                if ("|u1".equals(e.getValue().get("dtype"))) {
                    byte[] px = new byte[n];
                    rng.nextBytes(px);
                    obs.put(e.getKey(), NdArray.uint8(px, shape));
                } else {
                    float[] v = new float[n];
                    for (int j = 0; j < n; j++) v[j] = (float) (rng.nextDouble() * 2 - 1);
                    obs.put(e.getKey(), NdArray.float32(v, shape));
                }
            }
            out.add(obs);
        }
        return out;
    }

    /** The endpoint's session (the server's own per-request work, minus the bytes) in this thread. */
    private Map<String, Object> inProcess(FlowPolicy policy, List<Map<String, Object>> obs) {
        try (PolicyEndpoint.Session s = new PolicyEndpoint(policy, "bench").open(new SplittableRandom(0))) {
            long end = System.nanoTime() + (long) (warmup * 1e9);
            int i = 0;
            while (System.nanoTime() < end) s.infer(obs.get(i++ % obs.size()));
            Timing.Samples t = new Timing.Samples();
            end = System.nanoTime() + (long) (Math.min(seconds, 5) * 1e9);
            while (System.nanoTime() < end) {
                Map<String, Object> o = obs.get(i++ % obs.size());
                long t0 = System.nanoTime();
                s.infer(o);
                t.add(System.nanoTime() - t0);
            }
            return Map.of("p50_us", t.quantile(0.5) / 1e3, "p99_us", t.quantile(0.99) / 1e3);
        }
    }

    private record ClientResult(Timing.Samples rtt, Timing.Samples infer, long late, long lost, long sent) {}

    private Map<String, Object> overLoopback(FlowPolicy policy, int n) {
        List<Map<String, Object>> obs = observations(policy, 64);
        try (PolicyServer server = PolicyServer.start(new PolicyEndpoint(policy, "bench"),
                new PolicyServer.Options("127.0.0.1", 0, null, workers, 0), line -> {})) {
            URI uri = URI.create("ws://127.0.0.1:" + server.port());
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                List<Future<ClientResult>> fs = new ArrayList<>();
                long start = System.nanoTime() + (long) 0.2e9;
                for (int c = 0; c < n; c++) fs.add(pool.submit(() -> client(uri, obs, start)));
                Timing.Samples rtt = new Timing.Samples(), infer = new Timing.Samples();
                long late = 0, lost = 0, sent = 0;
                for (Future<ClientResult> f : fs) {
                    ClientResult r = f.get();
                    for (int i = 0; i < r.rtt().count(); i++) rtt.add(r.rtt().at(i));
                    for (int i = 0; i < r.infer().count(); i++) infer.add(r.infer().at(i));
                    late += r.late();
                    lost += r.lost();
                    sent += r.sent();
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("requests", sent);
                row.put("replies_per_second", rtt.count() / seconds);
                row.put("rtt_p50_us", rtt.quantile(0.5) / 1e3);
                row.put("rtt_p99_us", rtt.quantile(0.99) / 1e3);
                row.put("rtt_max_us", rtt.quantile(1.0) / 1e3);
                row.put("server_infer_p50_us", infer.quantile(0.5) / 1e3);
                row.put("late", late);
                row.put("lost", lost);
                return row;
            } finally {
                pool.shutdownNow();
            }
        } catch (Exception e) {
            throw new IllegalStateException("serving bench failed: " + e.getMessage(), e);
        }
    }

    /** One client: warm-up, then the timed requests (paced at --hz from a fixed schedule, so a late reply delays none of the next deadlines). */
    private ClientResult client(URI uri, List<Map<String, Object>> obs, long start) throws IOException {
        Timing.Samples rtt = new Timing.Samples(), infer = new Timing.Samples();
        long late = 0, lost = 0, sent = 0;
        long period = hz > 0 ? (long) (1e9 / hz) : 0;
        PolicyClient c = PolicyClient.connect(uri, null, Duration.ofMillis(timeoutMs));
        try {
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            int i = 0;
            while (System.nanoTime() < warmEnd) c.infer(obs.get(i++ % obs.size()));
            long t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9);
            for (long k = 0; ; k++) {
                long due = t0 + k * period;
                if (due >= end) break;
                if (period > 0) {
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) LockSupport.parkNanos(Math.min(wait, 200_000));
                }
                Map<String, Object> o = obs.get(i++ % obs.size());
                long s = System.nanoTime();
                sent++;
                Map<String, Object> reply;
                try {
                    reply = c.infer(o);
                } catch (IOException e) {
                    lost++;
                    c.close();
                    c = PolicyClient.connect(uri, null, Duration.ofMillis(timeoutMs));
                    continue;
                }
                long took = System.nanoTime() - s;
                rtt.add(took);
                if (period > 0 && System.nanoTime() > due + period) late++; // the reply missed the next tick
                if (reply.get("server_timing") instanceof Map<?, ?> t && t.get("infer_ms") instanceof Double ms) infer.add((long) (ms * 1e6));
                if (period == 0 && System.nanoTime() >= end) break;
            }
        } finally {
            c.close();
        }
        return new ClientResult(rtt, infer, late, lost, sent);
    }

    private static void print(Map<String, Object> r, boolean header) {
        if (header) {
            System.out.println("| task | clients | rate | replies/s | round trip p50 | p99 | max | server infer p50 | in-process p50 | p99 | late | lost |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        }
        double hz = (Double) r.get("hz");
        System.out.printf("| %s | %d | %s | %.0f | %.1f µs | %.1f µs | %.1f µs | %.1f µs | %.1f µs | %.1f µs | %d | %d of %d |%n",
                r.get("task"), r.get("clients"), hz > 0 ? String.format("%.0f Hz", hz) : "back to back", (Double) r.get("replies_per_second"),
                (Double) r.get("rtt_p50_us"), (Double) r.get("rtt_p99_us"), (Double) r.get("rtt_max_us"), (Double) r.get("server_infer_p50_us"),
                (Double) r.get("in_process_p50_us"), (Double) r.get("in_process_p99_us"), (Long) r.get("late"), (Long) r.get("lost"), (Long) r.get("requests"));
    }
}
