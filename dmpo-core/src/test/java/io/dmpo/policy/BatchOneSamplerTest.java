package io.dmpo.policy;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The allocation-free batch-1 path equals the layer path bit for bit and allocates nothing per call. */
class BatchOneSamplerTest {
    @Test
    void equalsTheLayerPathBitForBit() {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 21);
        SplittableRandom rng = new SplittableRandom(2);
        int prev = io.dmpo.nn.Parallel.threads();
        try {
            for (int threads : new int[] {1, 2}) { // 2: the 512-wide products are split over the sampler's team
                io.dmpo.nn.Parallel.setThreads(threads);
                for (int steps : new int[] {1, 3, 8}) {
                    try (BatchOneSampler s = new BatchOneSampler(actor, steps)) {
                        for (int trial = 0; trial < 5; trial++) {
                            Tensor obs = Tensor.zeros(1, 11), eps = Tensor.zeros(1, 12);
                            for (int i = 0; i < 11; i++) obs.data[i] = (float) (2 * Init.gaussian(rng));
                            for (int i = 0; i < 12; i++) eps.data[i] = (float) Init.gaussian(rng);
                            float[] out = new float[12];
                            s.sample(obs.data.clone(), eps.data.clone(), out);
                            assertArrayEquals(MeanFlowSampler.sample(actor, obs, eps, steps).toArray(), out, threads + " thread(s), K=" + steps);
                        }
                    }
                }
            }
        } finally {
            io.dmpo.nn.Parallel.setThreads(prev);
        }
    }

    @Test
    void controllerActsLikeThePolicyWithoutAllocating() {
        MeanFlowActor actor = MeanFlowActor.state(11, 12);
        Init.apply(actor.params(), 4);
        float[] lo = new float[11], hi = new float[11];
        for (int j = 0; j < 11; j++) {
            lo[j] = -2 - j;
            hi[j] = 3 + j;
        }
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", 11, 3, 4, 4, 1, 1, FlowPolicy.Architecture.DEFAULT, Map.of());
        FlowPolicy policy = new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi),
                new MinMaxNormalizer(new float[] {-1, -1, -1}, new float[] {1, 1, 1}));
        FlowPolicy.Controller c = policy.controller();
        double[][] history = {new double[11]}, out = new double[4][3];
        for (int j = 0; j < 11; j++) history[0][j] = 0.3 * j - 1;
        c.act(history, new SplittableRandom(5), out);
        assertArrayEquals(policy.act(history, new SplittableRandom(5)), out);

        long state = allocationPerAction("state");
        assertTrue(state < 16, "state controller: " + state + " bytes per action");
    }

    @Test
    void pixelControllerActsLikeThePolicyWithoutAllocating() {
        FlowPolicy policy = ControllerAllocation.pixelPolicy();
        double[][] history = ControllerAllocation.pixelHistory(), out = new double[4][7];
        int prev = io.dmpo.nn.Parallel.threads();
        try {
            for (int threads : new int[] {1, 2}) {
                io.dmpo.nn.Parallel.setThreads(threads);
                try (FlowPolicy.Controller c = policy.controller()) {
                    for (int call = 0; call < 3; call++) {
                        c.act(history, new SplittableRandom(5 + call), out);
                        assertArrayEquals(policy.act(history, new SplittableRandom(5 + call)), out, threads + " thread(s), call " + call);
                    }
                }
            }
        } finally {
            io.dmpo.nn.Parallel.setThreads(prev);
        }
        long pixel = allocationPerAction("pixel");
        assertTrue(pixel < 16, "pixel controller: " + pixel + " bytes per action");
    }

    /**
     * The largest read offsets, for both vector widths a host may have: each controller runs in a JVM forced to 8 and
     * to 16 lanes (the Vector API's slow path where the host lacks them) with strict kernels, in which a load or store
     * whose vector crosses its array's end throws. So a host of either kind checks the other kind's offsets too.
     */
    @Test
    void noSessionReadCrossesABufferEndWithEightOrSixteenLanes() {
        for (int lanes : new int[] {8, 16}) {
            String last = runChild(new String[] {"-Ddmpo.kernels.strict=true", "-Ddmpo.vectorLanes=" + lanes}, "reads");
            assertEquals("lanes " + lanes, last, "the child ran with the forced width");
        }
    }

    /**
     * Bytes per action, measured in a fresh JVM whose hot code is the control loop (as on a robot): in this test JVM the
     * vector kernels were compiled earlier for training-sized calls, and that profile can keep C2 from scalar-replacing
     * the vectors of the batch-1 calls.
     */
    static long allocationPerAction(String kind) {
        return Long.parseLong(runChild(new String[0], kind).replaceAll("\\D+", ""));
    }

    /** The last output line of {@link ControllerAllocation} run in a fresh JVM with {@code jvmFlags}; fails on a non-zero exit. */
    private static String runChild(String[] jvmFlags, String arg) {
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(javaBin, "--add-modules", "jdk.incubator.vector"));
        command.addAll(java.util.List.of(jvmFlags));
        command.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), ControllerAllocation.class.getName(), arg));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes()).strip();
            assertEquals(0, p.waitFor(), text);
            return text.lines().reduce((a, b) -> b).orElse("");
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
