package io.dmpo.bench;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Param;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Tensor;
import io.dmpo.policy.MeanFlowActor;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Timing print (not a test): batch-1 latency of the pixel actor (ViT encoder + one velocity pass), median over runs
 * after a time-based warm-up, for 1 and 2 threads, with the machine's load average (the numbers are only meaningful on
 * an otherwise idle machine). The encoder + velocity median is the figure {@code ./dmpo bench nn --networks vit}
 * reports as {@code b1_forward_us}; this adds the encoder's share and the calling thread's CPU time (how much of the
 * work the helpers take). Run after {@code mvn -DskipTests package}:
 * {@code java --add-modules jdk.incubator.vector -cp 'dmpo-bench/target/classes:dmpo-bench/target/lib/*' io.dmpo.bench.PixelActorLatency [runs] [warmupSeconds]}
 */
public final class PixelActorLatency {
    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        double warmup = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        MeanFlowActor actor = MeanFlowActor.pixel(3, 96, 96, 9, 28, 0);
        SplittableRandom rng = new SplittableRandom(1);
        for (Param p : actor.params()) for (int i = 0; i < p.size(); i++) p.value[i] = (float) (0.05 * rng.nextGaussian());
        Tensor obs = Tensor.zeros(1, actor.obsDim);
        for (int i = 0; i < obs.size(); i++) obs.data[i] = (float) (255 * rng.nextDouble());
        Tensor z = Tensor.zeros(1, 28);
        Dual r = Dual.of(Ops.full(1, 1, 0f)), t = Dual.of(Ops.full(1, 1, 1f));
        var cpu = ManagementFactory.getThreadMXBean();
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            long end = System.nanoTime() + (long) (warmup * 1e9);
            while (System.nanoTime() < end) actor.velocity(Dual.of(z), r, t, actor.encode(obs));
            long[] enc = new long[runs], total = new long[runs], callerCpu = new long[runs];
            for (int i = 0; i < runs; i++) {
                long c0 = cpu.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                Tensor cond = actor.encode(obs);
                long t1 = System.nanoTime();
                actor.velocity(Dual.of(z), r, t, cond);
                long t2 = System.nanoTime();
                callerCpu[i] = cpu.getCurrentThreadCpuTime() - c0;
                enc[i] = t1 - t0;
                total[i] = t2 - t0;
            }
            Arrays.sort(enc);
            Arrays.sort(total);
            Arrays.sort(callerCpu);
            System.out.printf("threads=%d runs=%d load=%.2f: encoder+velocity median %.0f us (min %.0f, p90 %.0f; encoder median %.0f us;"
                            + " caller-thread CPU median %.0f us)%n", threads, runs,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), total[runs / 2] / 1e3, total[0] / 1e3,
                    total[runs * 9 / 10] / 1e3, enc[runs / 2] / 1e3, callerCpu[runs / 2] / 1e3);
        }
    }
}
