package io.dmpo.onnx;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.policy.FlowChain;
import io.dmpo.policy.FlowPolicy;
import java.util.Map;

import io.dmpo.nn.Activation;

import io.dmpo.nn.Layer;
import io.dmpo.nn.Linear;
import io.dmpo.nn.Param;
import io.dmpo.nn.Pointwise;
import io.dmpo.nn.Residual;
import io.dmpo.nn.Sequential;
import io.dmpo.nn.SinusoidalEmbedding;
import io.dmpo.policy.MeanFlowActor;



/**
 * Exports a state MeanFlow policy as a standard ONNX model (opset 17): inputs {@code obs [batch, obs_dim]} and
 * {@code noise [batch, Ta·Da]}, output {@code action [batch, Ta·Da]} = the K-step sampler of docs/algorithms.md, "Flow conventions", unrolled
 * (K = 1: clip(ε − u(ε, 0, 1 | enc(obs)), −1, 1)). Runs in ONNX Runtime, TensorRT and others; the time embeddings of
 * the fixed time grid are ordinary constant subgraphs that runtimes fold.
 */
public final class OnnxExport {
    private OnnxExport() {}

    public static byte[] stateActor(MeanFlowActor actor, int steps) {
        return stateActor(actor, steps, true);
    }

    /**
     * With {@code clip = false}, {@code action} is the chain's end x_K without the final clip to [−1, 1] (the
     * counterpart of {@link io.dmpo.policy.MeanFlowSampler#sampleUnclipped}, for parity checks).
     */
    public static byte[] stateActor(MeanFlowActor actor, int steps, boolean clip) {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        OnnxGraph g = new OnnxGraph();
        g.input("obs", actor.obsDim);
        g.input("noise", actor.actionDim);
        String x = sampler(g, actor, "obs", "noise", steps);
        if (clip) {
            clip(g, x, "action");
        } else {
            g.node("Identity", new String[] {x}, "action");
        }
        g.output("action", actor.actionDim);
        return g.serialize("dmpo_meanflow_policy", "dmpo");
    }

    /**
     * A whole policy file as ONE model a robot runs without dmpo: inputs {@code obs [batch, cond_steps·obs_dim]} RAW env
     * observations (oldest first) and {@code noise [batch, Ta·Da]}; output {@code action [batch, act_steps·act_dim]}
     * env actions. The min–max normalization of observations and the de-normalization of actions are folded in as
     * per-column Mul/Add constants; the policy's spec and provenance are the model's metadata ({@code dmpo.policy}).
     */
    public static byte[] policy(FlowPolicy policy, int steps, Map<String, String> metadata) {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        MeanFlowActor actor = policy.actor();
        int c = policy.condSteps(), od = policy.obsDim(), da = policy.actDim(), executed = policy.actSteps() * da;
        OnnxGraph g = new OnnxGraph();
        g.input("obs", (long) c * od);
        g.input("noise", actor.actionDim);
        if (policy.spec().architecture().pixel()) throw new IllegalArgumentException("ONNX export covers state policies (not pixel ones)");
        // obs_n = (obs − min)·2/(max − min + 1e−6) − 1 per column, repeated per history step (subtracting first keeps
        // constant columns exact in float32: obs·scale + shift would cancel catastrophically when max = min)
        float[] lo = policy.obsNormalizer().min(), hi = policy.obsNormalizer().max();
        float[] min = new float[c * od], scale = new float[c * od];
        for (int k = 0; k < c; k++) {
            for (int j = 0; j < od; j++) {
                min[k * od + j] = lo[j];
                scale[k * od + j] = (float) (2 / ((double) hi[j] - lo[j] + MinMaxNormalizer.EPS));
            }
        }
        String centered = g.node("Sub", new String[] {"obs", g.constant("obs_min", min, 1, c * od)}, g.fresh("obs_centered"));
        String obsN = g.node("Sub", new String[] {g.node("Mul", new String[] {centered, g.constant("obs_scale", scale, 1, c * od)},
                g.fresh("obs_scaled")), g.constant("one", new float[] {1f})}, g.fresh("obs_norm"));
        String chunk = clip(g, sampler(g, actor, obsN, "noise", steps), g.fresh("chunk"));
        String first = g.node("Slice", new String[] {chunk, g.constantInt64("exec_start", new long[] {0}, 1),
                g.constantInt64("exec_end", new long[] {executed}, 1), g.constantInt64("exec_axis", new long[] {1}, 1)},
                g.fresh("executed"));
        // a = (y + 1)/2·(max − min + 1e−6) + min = y·s + b
        float[] alo = policy.actNormalizer().min(), ahi = policy.actNormalizer().max();
        float[] as = new float[executed], ab = new float[executed];
        for (int k = 0; k < policy.actSteps(); k++) {
            for (int j = 0; j < da; j++) {
                double half = ((double) ahi[j] - alo[j] + MinMaxNormalizer.EPS) / 2;
                as[k * da + j] = (float) half;
                ab[k * da + j] = (float) (half + alo[j]);
            }
        }
        g.node("Add", new String[] {g.node("Mul", new String[] {first, g.constant("act_scale", as, 1, executed)}, g.fresh("act_scaled")),
                g.constant("act_shift", ab, 1, executed)}, "action");
        g.output("action", executed);
        return g.serialize("dmpo_flow_policy", "dmpo", metadata);
    }

    private static String clip(OnnxGraph g, String x, String out) {
        String lo = g.constant("minus_one", new float[] {-1f});
        String hi = g.constant("plus_one", new float[] {1f});
        return g.node("Clip", new String[] {x, lo, hi}, out);
    }

    /** The K-step chain of {@link FlowChain} on normalized observations {@code obs}; returns x_K (unclipped). */
    private static String sampler(OnnxGraph g, MeanFlowActor actor, String obs, String noise, int steps) {
        for (Param p : actor.params()) {
            long[] dims = new long[p.shape.length];
            for (int i = 0; i < dims.length; i++) dims[i] = p.shape[i];
            g.constant(p.name, p.value, dims);
        }
        String cond = layer(g, actor.encoder, obs);
        // [batch, timeDim]: the runtime shape used to broadcast the (batch-independent) time embeddings
        String batchDim = g.node("Slice", new String[] {g.node("Shape", new String[] {noise}, g.fresh("shape")),
                g.constantInt64("zero1", new long[] {0}, 1), g.constantInt64("one1", new long[] {1}, 1)}, g.fresh("batch"));
        String embShape = g.node("Concat", new String[] {batchDim, g.constantInt64("tdim", new long[] {actor.timeDim}, 1)},
                g.fresh("emb_shape"), "axis", 0L);
        String x = noise;
        FlowChain chain = new FlowChain(steps);
        for (int k = 0; k < steps; k++) {
            String t = g.constant("t_" + k, new float[] {chain.t(k)}, 1, 1);
            String r = g.constant("r_" + k, new float[] {chain.r(k)}, 1, 1);
            String te = g.node("Expand", new String[] {layer(g, actor.timeEmb, t), embShape}, g.fresh("temb"));
            String re = g.node("Expand", new String[] {layer(g, actor.rEmb, r), embShape}, g.fresh("remb"));
            String in = g.node("Concat", new String[] {x, te, re, cond}, g.fresh("head_in"), "axis", 1L);
            String u = layer(g, actor.head, in);
            String dt = g.constant("dt_" + k, new float[] {chain.dt(k)}, 1);
            x = g.node("Sub", new String[] {x, g.node("Mul", new String[] {u, dt}, g.fresh("step"))}, g.fresh("x"));
        }
        return x;
    }

    private static String layer(OnnxGraph g, Layer l, String x) {
        if (l instanceof Sequential s) {
            for (Layer inner : s.layers()) x = layer(g, inner, x);
            return x;
        }
        if (l instanceof Linear lin) {
            return g.node("Gemm", new String[] {x, lin.weight.name, lin.bias.name}, g.fresh("linear"), "transB", 1L);
        }
        if (l instanceof Activation a) return activation(g, a.fn, x);
        if (l instanceof Residual r) {
            return g.node("Add", new String[] {x, layer(g, r.inner(), x)}, g.fresh("residual"));
        }
        if (l instanceof SinusoidalEmbedding se) {
            int half = se.dim / 2;
            float[] f = new float[half];
            for (int k = 0; k < half; k++) f[k] = (float) Math.exp(-k * Math.log(10000.0) / (half - 1));
            String arg = g.node("MatMul", new String[] {x, g.constant(g.fresh("freqs"), f, 1, half)}, g.fresh("targ"));
            return g.node("Concat", new String[] {g.node("Sin", new String[] {arg}, g.fresh("sin")),
                    g.node("Cos", new String[] {arg}, g.fresh("cos"))}, g.fresh("sincos"), "axis", 1L);
        }
        throw new IllegalArgumentException("ONNX export does not support layer " + l.getClass().getSimpleName());
    }

    private static String activation(OnnxGraph g, Pointwise fn, String x) {
        return switch (fn) {
            case RELU -> g.node("Relu", new String[] {x}, g.fresh("relu"));
            case TANH -> g.node("Tanh", new String[] {x}, g.fresh("tanh"));
            case MISH -> g.node("Mul", new String[] {x, g.node("Tanh", new String[] {
                    g.node("Softplus", new String[] {x}, g.fresh("softplus"))}, g.fresh("tsp"))}, g.fresh("mish"));
            case SILU -> g.node("Mul", new String[] {x, g.node("Sigmoid", new String[] {x}, g.fresh("sig"))}, g.fresh("silu"));
            case GELU -> {
                String scaled = g.node("Div", new String[] {x, g.constant(g.fresh("sqrt2"), new float[] {(float) Math.sqrt(2)})}, g.fresh("xs"));
                String erf1 = g.node("Add", new String[] {g.node("Erf", new String[] {scaled}, g.fresh("erf")),
                        g.constant(g.fresh("one"), new float[] {1f})}, g.fresh("erf1"));
                yield g.node("Mul", new String[] {g.node("Mul", new String[] {x, erf1}, g.fresh("xe")),
                        g.constant(g.fresh("half"), new float[] {0.5f})}, g.fresh("gelu"));
            }
        };
    }
}
