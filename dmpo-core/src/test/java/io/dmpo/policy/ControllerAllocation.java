package io.dmpo.policy;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.AllocationMeter;
import io.dmpo.nn.Init;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Run by BatchOneSamplerTest in a fresh JVM: prints the bytes a compiled Controller.act allocates per call on every
 * thread of the JVM — the caller and the sampler's team alike, so the figure does not depend on which member claimed
 * which part (argument {@code pixel}: the light-ViT policy with 2 engine threads, else the Hopper state policy).
 * Argument {@code reads} instead runs both controllers a few times (run it with {@code -Ddmpo.kernels.strict=true}
 * and a forced {@code -Ddmpo.vectorLanes}: a read past a buffer's end then fails) and prints the lane count.
 */
final class ControllerAllocation {
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("reads")) {
            reads();
            return;
        }
        if (args.length > 0 && args[0].startsWith("pixel")) {
            pixel(args[0].equals("pixel1") ? 1 : 2);
            return;
        }
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 4);
        float[] lo = new float[11], hi = new float[11];
        java.util.Arrays.fill(lo, -3);
        java.util.Arrays.fill(hi, 3);
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT, Map.of());
        FlowPolicy policy = new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi),
                new MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 1}));
        double[][] history = {new double[11]}, out = new double[4][3];
        SplittableRandom rng = new SplittableRandom(1);
        try (FlowPolicy.Controller c = policy.controller()) {
            System.out.println("bytes per action: " + bytesPerCall(() -> c.act(history, rng, out), 20, 10_000, 2_000));
        }
    }

    /**
     * Bytes all live threads together allocate per call of {@code act}, measured over {@code measured} calls after
     * {@code warm} more, for up to {@code rounds} rounds until under 16 (C2 has compiled the kernels by then).
     */
    static long bytesPerCall(Runnable act, int rounds, int warm, int measured) {
        AllocationMeter meter = new AllocationMeter();
        long perCall = Long.MAX_VALUE;
        for (int round = 0; round < rounds && perCall >= 16; round++) {
            for (int i = 0; i < warm; i++) act.run();
            meter.start(); // the team's helpers are alive (and parked) by now
            for (int i = 0; i < measured; i++) act.run();
            perCall = meter.bytes() / measured;
        }
        return perCall;
    }

    /** Both controllers with 1 and 2 engine threads, a few actions each: with strict kernels, no read crosses a buffer's end. */
    private static void reads() {
        for (int threads : new int[] {1, 2}) {
            io.dmpo.nn.Parallel.setThreads(threads);
            MeanFlowActor actor = MeanFlowActor.state(11, 12);
            Init.apply(actor.params(), 4);
            FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT, Map.of());
            float[] lo = new float[11], hi = new float[11];
            java.util.Arrays.fill(lo, -3);
            java.util.Arrays.fill(hi, 3);
            FlowPolicy state = new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi),
                    new MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 1}));
            double[][] history = {new double[11]}, out = new double[4][3];
            try (FlowPolicy.Controller c = state.controller()) {
                for (int call = 0; call < 3; call++) c.act(history, new SplittableRandom(call), out);
            }
            double[][] image = pixelHistory(), pixelOut = new double[4][7];
            try (FlowPolicy.Controller c = pixelPolicy().controller()) {
                for (int call = 0; call < 2; call++) c.act(image, new SplittableRandom(call), pixelOut);
            }
        }
        System.out.println("lanes " + io.dmpo.nn.Kernels.LANES);
    }

    /** Image side of the pixel policy: the robomimic 96×96 (the kernels' steady state depends on the shapes). */
    static final int SIDE = Integer.getInteger("side", 96);

    static FlowPolicy pixelPolicy() {
        int obs = 3 * SIDE * SIDE + 9;
        MeanFlowActor actor = MeanFlowActor.pixel(3, SIDE, SIDE, 9, 4 * 7, 0);
        Init.apply(actor.params(), 6);
        FlowPolicy.Architecture arch = new FlowPolicy.Architecture("pixel", 0, 0, 16, 768, 1, 3, SIDE, SIDE);
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", obs, 7, 4, 4, 1, 2, arch, Map.of());
        float[] lo = new float[9], hi = new float[9], alo = new float[7], ahi = new float[7];
        for (int j = 0; j < 9; j++) {
            lo[j] = -1 - j;
            hi[j] = 2 + j;
        }
        java.util.Arrays.fill(alo, -1);
        java.util.Arrays.fill(ahi, 1);
        return new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi), new MinMaxNormalizer(alo, ahi));
    }

    static double[][] pixelHistory() {
        double[][] history = {new double[3 * SIDE * SIDE + 9]};
        for (int j = 0; j < history[0].length; j++) history[0][j] = j < 3 * SIDE * SIDE ? (j * 37) % 256 : 0.1 * j % 3;
        return history;
    }

    private static void pixel(int threads) {
        io.dmpo.nn.Parallel.setThreads(threads);
        FlowPolicy policy = pixelPolicy();
        double[][] history = pixelHistory(), out = new double[4][7];
        SplittableRandom rng = new SplittableRandom(1);
        try (FlowPolicy.Controller c = policy.controller()) {
            System.out.println("bytes per action: " + bytesPerCall(() -> c.act(history, rng, out), 12, 150, 100));
        }
    }
}
