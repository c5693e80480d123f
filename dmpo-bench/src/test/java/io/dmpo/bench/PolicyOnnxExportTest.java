package io.dmpo.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;
import io.dmpo.onnx.OnnxExport;
import io.dmpo.policy.FlowPolicy;
import io.dmpo.policy.MeanFlowActor;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A whole policy exported to ONNX (normalization folded in, raw observations in, env actions out) gives in ONNX
 * Runtime the actions FlowPolicy gives in our engine, and carries the policy's description as model metadata.
 */
class PolicyOnnxExportTest {
    @Test
    void exportedPolicyEqualsThePolicyOnRawObservations() throws Exception {
        int od = 11, da = 3, horizon = 4, actSteps = 2, cond = 2;
        MeanFlowActor actor = MeanFlowActor.state(od * cond, da * horizon);
        Init.apply(actor.params(), 5);
        SplittableRandom rng = new SplittableRandom(9);
        float[] lo = new float[od], hi = new float[od], alo = {-1, -0.5f, -2}, ahi = {1, 0.7f, 0.5f};
        for (int j = 0; j < od; j++) {
            lo[j] = (float) (-1 - rng.nextDouble() * 5);
            hi[j] = (float) (1 + rng.nextDouble() * 5);
        }
        lo[3] = hi[3] = 37.2f; // a constant column: folding must not cancel catastrophically in float32
        FlowPolicy.Spec spec = new FlowPolicy.Spec("meanflow", od, da, horizon, actSteps, cond, 1, FlowPolicy.Architecture.DEFAULT, Map.of());
        FlowPolicy policy = new FlowPolicy(spec, actor, new MinMaxNormalizer(lo, hi), new MinMaxNormalizer(alo, ahi));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (int steps : new int[] {1, 3}) {
            byte[] model = OnnxExport.policy(policy, steps, Map.of("dmpo.policy", "{\"algorithm\":\"meanflow\"}"));
            try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions())) {
                assertEquals("{\"algorithm\":\"meanflow\"}", session.getMetadata().getCustomMetadata().get("dmpo.policy"));
                int b = 4;
                double[][][] hist = new double[b][cond][od];
                float[] flat = new float[b * cond * od];
                for (int i = 0; i < b; i++) {
                    for (int k = 0; k < cond; k++) {
                        for (int j = 0; j < od; j++) {
                            hist[i][k][j] = j == 3 ? 37.2f : lo[j] + (hi[j] - lo[j]) * rng.nextDouble();
                            flat[(i * cond + k) * od + j] = (float) hist[i][k][j];
                        }
                    }
                }
                Tensor noise = policy.noise(b, rng);
                double[][][] ours = policy.sampleBatch(hist, noise, steps);
                try (OnnxTensor o = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat), new long[] {b, (long) cond * od});
                     OnnxTensor n = OnnxTensor.createTensor(env, FloatBuffer.wrap(noise.toArray()), new long[] {b, noise.cols});
                     OrtSession.Result r = session.run(Map.of("obs", o, "noise", n))) {
                    float[][] theirs = (float[][]) r.get(0).getValue();
                    assertEquals(actSteps * da, theirs[0].length);
                    for (int i = 0; i < b; i++) {
                        for (int s = 0; s < actSteps; s++) {
                            for (int j = 0; j < da; j++) {
                                assertEquals(ours[i][s][j], theirs[i][s * da + j], 1e-4 * (ahi[j] - alo[j]), "K=" + steps + " row " + i);
                            }
                        }
                    }
                }
            }
        }
    }
}
