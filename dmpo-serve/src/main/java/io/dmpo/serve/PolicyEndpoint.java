package io.dmpo.serve;

import io.dmpo.client.Msgpack;
import io.dmpo.client.NdArray;
import io.dmpo.client.ProtocolException;
import io.dmpo.env.ObservationSpec;
import io.dmpo.policy.FlowPolicy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A policy as the serving protocol sees it (docs/serving.md): the metadata frame, and per connection a
 * {@link Session} that turns one observation message into one action message. No networking here — the
 * {@link PolicyServer} moves the bytes.
 *
 * <p>Observation keys are named as openpi's examples name them: {@code observation/state} (float32, the
 * low-dimensional part of the policy's observation: joint state, or proprioception + object pose) and, for a pixel
 * policy, {@code observation/image} (a fixed camera) or {@code observation/wrist_image} (the wrist camera), uint8
 * H×W×3. A policy conditioned on {@code cond_steps > 1} observations takes {@code observation/state} as
 * (cond_steps, dim), oldest first. Other keys (a client's {@code prompt}, say) are ignored, as openpi's policies ignore
 * what they do not read. The reply's {@code actions} is the whole chunk, (horizon, action_dim) float32 in env units;
 * the policy was trained to execute its first {@code action_steps} rows (in the metadata).
 */
public final class PolicyEndpoint {
    public static final String STATE = "observation/state", IMAGE = "observation/image", WRIST_IMAGE = "observation/wrist_image";
    public static final String ACTIONS = "actions";

    private final FlowPolicy policy;
    private final String name;
    private final ObservationSpec obs;
    private final String imageKey; // null for a state policy
    private final int[] stateShape, imageShape, actionShape;

    /** {@code name}: what the metadata calls the policy (its file name, say). */
    public PolicyEndpoint(FlowPolicy policy, String name) {
        this.policy = policy;
        this.name = name;
        FlowPolicy.Spec s = policy.spec();
        this.obs = s.observation();
        if (obs.pixels()) {
            if (obs.channels() != 3) throw new IllegalArgumentException("a served pixel policy needs RGB images, this one has " + obs.channels() + " channels");
            boolean wrist = "wrist".equals(s.provenance().get("camera"));
            this.imageKey = wrist ? WRIST_IMAGE : IMAGE;
            this.imageShape = new int[] {obs.height(), obs.width(), 3};
        } else {
            this.imageKey = null;
            this.imageShape = null;
        }
        this.stateShape = obs.lowDim() == 0 ? null : s.condSteps() == 1 ? new int[] {obs.lowDim()} : new int[] {s.condSteps(), obs.lowDim()};
        this.actionShape = new int[] {s.horizon(), s.actDim()};
    }

    /** Observation keys with their shapes and dtypes (numpy notation), as the metadata lists them. */
    public Map<String, Map<String, Object>> observationKeys() {
        Map<String, Map<String, Object>> keys = new LinkedHashMap<>();
        if (imageKey != null) keys.put(imageKey, arraySpec(imageShape, "|u1"));
        if (stateShape != null) keys.put(STATE, arraySpec(stateShape, "<f4"));
        return keys;
    }

    private static Map<String, Object> arraySpec(int[] shape, String dtype) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> dims = new ArrayList<>();
        for (int d : shape) dims.add(d);
        m.put("shape", dims);
        m.put("dtype", dtype);
        return m;
    }

    /** The first frame of every connection. */
    public Map<String, Object> metadata() {
        FlowPolicy.Spec s = policy.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("server", "dmpo serve");
        m.put("policy", name);
        m.put("algorithm", s.algorithm());
        m.put("sampling_steps", s.steps());
        m.put("observation", observationKeys());
        m.put(ACTIONS, arraySpec(actionShape, "<f4"));
        m.put("action_horizon", s.horizon());
        m.put("action_steps", s.actSteps());
        m.put("action_dim", s.actDim());
        m.put("provenance", s.provenance());
        return m;
    }

    /** A connection's state: its own controller (buffers, helper threads) and noise stream. */
    public Session open(SplittableRandom rng) {
        return new Session(rng);
    }

    /**
     * One connection's policy: {@link #infer} is one request. Not thread-safe; the server calls it from one request at
     * a time. Allocates only the reply message.
     */
    public final class Session implements AutoCloseable {
        private final FlowPolicy.Controller controller = policy.controller();
        private final SplittableRandom rng;
        private final double[][] history;
        private final float[] chunk = new float[actionShape[0] * actionShape[1]];

        private Session(SplittableRandom rng) {
            this.rng = rng;
            FlowPolicy.Spec s = policy.spec();
            this.history = new double[s.condSteps()][s.obsDim()];
        }

        /** The reply to one observation message; a bad observation is a {@link ProtocolException} naming the key. */
        public Map<String, Object> infer(Map<String, Object> observation) {
            if (imageKey != null) image(array(observation, imageKey, imageShape, "|u1"));
            if (stateShape != null) state(array(observation, STATE, stateShape, "<f4"));
            controller.prepare(history, rng);
            controller.infer();
            controller.chunk(chunk);
            Map<String, Object> reply = new LinkedHashMap<>();
            reply.put(ACTIONS, NdArray.float32(chunk, actionShape));
            return reply;
        }

        /** HWC uint8 → the policy's CHW values in [0, 255]. */
        private void image(NdArray a) {
            byte[] px = a.data();
            int h = obs.height(), w = obs.width(), hw = h * w;
            double[] row = history[0];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int at = (y * w + x) * 3;
                    for (int c = 0; c < 3; c++) row[c * hw + y * w + x] = px[at + c] & 0xff;
                }
            }
        }

        private void state(NdArray a) {
            float[] v = a.floats();
            int low = obs.lowDim(), img = obs.imageSize();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new ProtocolException("'" + STATE + "'" + index(i, a.shape()) + " is " + v[i]);
                }
                history[i / low][img + i % low] = v[i];
            }
        }

        @Override
        public void close() {
            controller.close();
        }
    }

    /** The array under {@code key}, checked against the expected shape and dtype. */
    private NdArray array(Map<String, Object> observation, String key, int[] shape, String dtype) {
        Object v = observation.get(key);
        String want = "expected " + dtypeName(dtype) + " " + NdArray.shapeString(shape);
        if (v == null) {
            List<String> keys = observation.keySet().stream().limit(10).map(ProtocolException::quote).toList();
            throw new ProtocolException("the observation has no '" + key + "' (" + want + "); it has " + keys
                    + (observation.size() > 10 ? " and " + (observation.size() - 10) + " more" : ""));
        }
        if (!(v instanceof NdArray a)) throw new ProtocolException("'" + key + "' is " + Msgpack.kindOf(v) + ", " + want);
        if (!a.dtype().equals(dtype)) throw new ProtocolException("'" + key + "' has dtype " + a.dtype() + ", " + want);
        if (!Arrays.equals(a.shape(), shape)) throw new ProtocolException("'" + key + "' has shape " + a.shapeString() + ", " + want);
        return a;
    }

    private static String dtypeName(String dtype) {
        return switch (dtype) {
            case "<f4" -> "float32";
            case "|u1" -> "uint8";
            default -> dtype;
        };
    }

    /** {@code [i]} or {@code [i, j]} in the array's own coordinates, for an error line. */
    private static String index(int flat, int[] shape) {
        if (shape.length == 1) return "[" + flat + "]";
        return "[" + flat / shape[1] + ", " + flat % shape[1] + "]";
    }
}
