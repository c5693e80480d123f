package io.dmpo.policy;

import io.dmpo.nn.Dual;
import io.dmpo.nn.Ops;
import io.dmpo.nn.Param;
import io.dmpo.nn.Parallel;
import io.dmpo.nn.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Timing print (not a test): batch-1 latency of the pixel actor (ViT encoder + one velocity pass), median over runs
 * after warm-up, for 1 and 2 threads. Run: java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * io.dmpo.policy.PixelActorLatency [runs]
 */
public final class PixelActorLatency {
    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        String only = args.length > 1 ? args[1] : "all";
        MeanFlowActor actor = MeanFlowActor.pixel(3, 96, 96, 9, 28, 0);
        SplittableRandom rng = new SplittableRandom(1);
        for (Param p : actor.params()) for (int i = 0; i < p.size(); i++) p.value[i] = (float) (0.05 * rng.nextGaussian());
        Tensor obs = Tensor.zeros(1, actor.obsDim);
        for (int i = 0; i < obs.size(); i++) obs.data[i] = (float) (255 * rng.nextDouble());
        Tensor z = Tensor.zeros(1, 28);
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            long[] enc = new long[runs], total = new long[runs];
            for (int rep = 0; rep < 2; rep++) { // rep 0: warm-up
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    Tensor cond = actor.encode(obs);
                    long t1 = System.nanoTime();
                    actor.velocity(Dual.of(z), Dual.of(Ops.full(1, 1, 0f)), Dual.of(Ops.full(1, 1, 1f)), cond);
                    long t2 = System.nanoTime();
                    enc[i] = t1 - t0;
                    total[i] = t2 - t0;
                }
            }
            Arrays.sort(enc);
            Arrays.sort(total);
            System.out.printf("threads=%d runs=%d: encoder median %.0f us, encoder+velocity median %.0f us (p10 %.0f, p90 %.0f)%n",
                    threads, runs, enc[runs / 2] / 1e3, total[runs / 2] / 1e3, total[runs / 10] / 1e3, total[runs * 9 / 10] / 1e3);
        }
    }
}
