package io.dmpo.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.dmpo.nn.Tensor;
import io.dmpo.onnx.OnnxExport;
import io.dmpo.policy.MeanFlowActor;

import java.nio.FloatBuffer;
import java.util.Map;

/** Our ONNX export of a state actor, run by ONNX Runtime 1.23.2 (CPU) in this process. */
final class OnnxRuntimeAnchor implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OnnxRuntimeAnchor(MeanFlowActor actor, int steps, int threads) throws OrtException {
        this(actor, steps, threads, true);
    }

    /** {@code clip = false}: the export without the final clip to [−1, 1] (parity checks). */
    OnnxRuntimeAnchor(MeanFlowActor actor, int steps, int threads, boolean clip) throws OrtException {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(threads);
        opts.setInterOpNumThreads(1);
        opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(OnnxExport.stateActor(actor, steps, clip), opts);
    }

    /** The action for these observations and noise (rows of each). */
    float[] act(Tensor obs, Tensor noise) throws OrtException {
        try (OnnxTensor o = OnnxTensor.createTensor(env, FloatBuffer.wrap(obs.toArray()), new long[] {obs.rows, obs.cols});
             OnnxTensor n = OnnxTensor.createTensor(env, FloatBuffer.wrap(noise.toArray()), new long[] {noise.rows, noise.cols});
             OrtSession.Result r = session.run(Map.of("obs", o, "noise", n))) {
            OnnxTensor out = (OnnxTensor) r.get(0);
            FloatBuffer fb = out.getFloatBuffer();
            float[] a = new float[fb.remaining()];
            fb.get(a);
            return a;
        }
    }

    Runnable batch1Action(Tensor obs, Tensor noise) {
        return () -> {
            try {
                act(obs, noise);
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
            }
        };
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
