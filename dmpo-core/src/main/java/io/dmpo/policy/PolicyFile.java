package io.dmpo.policy;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.io.Json;
import io.dmpo.io.SafeTensors;
import io.dmpo.nn.Param;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;

import java.util.Map;

/**
 * A trained policy as ONE self-describing file that {@code dmpo-core} alone loads and runs: a safetensors file whose
 * tensors are the actor's parameters (documented names, PyTorch layouts) plus {@code normalizer.obs.min/max} and
 * {@code normalizer.act.min/max}, and whose metadata {@code dmpo.policy} is a JSON object: format version, algorithm,
 * obs/act sizes, horizon (Ta), act_steps, cond_steps, default sampling steps K, architecture, and provenance (dataset
 * and its SHA-256, the full config, seed, git commit).
 */
public final class PolicyFile {
    private PolicyFile() {}

    public static final String KIND = "flow_policy";
    public static final int FORMAT = 1;
    static final String NORMALIZER = "normalizer.";

    public static void save(Path file, FlowPolicy policy) throws IOException {
        FlowPolicy.Spec s = policy.spec();
        Map<String, SafeTensors.Float32> tensors = new LinkedHashMap<>();
        for (Param p : policy.actor().params()) {
            long[] shape = java.util.Arrays.stream(p.shape).asLongStream().toArray();
            tensors.put(p.name, new SafeTensors.Float32(shape, p.value));
        }
        vector(tensors, "normalizer.obs.min", policy.obsNormalizer().min());
        vector(tensors, "normalizer.obs.max", policy.obsNormalizer().max());
        vector(tensors, "normalizer.act.min", policy.actNormalizer().min());
        vector(tensors, "normalizer.act.max", policy.actNormalizer().max());
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("algorithm", s.algorithm());
        meta.put("obs_dim", s.obsDim());
        meta.put("act_dim", s.actDim());
        meta.put("horizon", s.horizon());
        meta.put("act_steps", s.actSteps());
        meta.put("cond_steps", s.condSteps());
        meta.put("steps", s.steps());
        FlowPolicy.Architecture a = s.architecture();
        Map<String, Object> arch = new LinkedHashMap<>();
        arch.put("kind", a.kind());
        arch.put("cond_hidden", a.condHidden());
        arch.put("cond_dim", a.condDim());
        arch.put("time_dim", a.timeDim());
        arch.put("hidden", a.hidden());
        arch.put("blocks", a.blocks());
        arch.put("channels", a.channels());
        arch.put("height", a.height());
        arch.put("width", a.width());
        meta.put("architecture", arch);
        meta.put("provenance", s.provenance());
        SafeTensors.write(file, tensors, Map.of(ActorCheckpoints.KIND_KEY, KIND, "dmpo.policy", Json.write(meta)));
    }

    private static void vector(Map<String, SafeTensors.Float32> t, String name, float[] v) {
        t.put(name, new SafeTensors.Float32(new long[] {v.length}, v));
    }

    /** Loads a policy file; any inconsistency (kind, version, sizes, tensors) is an error naming the file. */
    @SuppressWarnings("unchecked")
    public static FlowPolicy load(Path file) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        String where = file.toString();
        if (!KIND.equals(st.metadata().get(ActorCheckpoints.KIND_KEY)) || st.metadata().get("dmpo.policy") == null) {
            throw new SafeTensors.SafeTensorsException(where + ": not a dmpo policy file (metadata "
                    + ActorCheckpoints.KIND_KEY + " = " + st.metadata().get(ActorCheckpoints.KIND_KEY) + ")");
        }
        Map<String, Object> m;
        try {
            m = (Map<String, Object>) Json.parse(st.metadata().get("dmpo.policy"));
            if (((Number) m.get("format")).intValue() != FORMAT) {
                throw new SafeTensors.SafeTensorsException(where + ": policy format " + m.get("format") + ", this dmpo reads " + FORMAT);
            }
            Map<String, Object> a = (Map<String, Object>) m.get("architecture");
            boolean pixel = "pixel".equals(a.get("kind")); // state networks have no image (early files omit its fields)
            FlowPolicy.Architecture arch = new FlowPolicy.Architecture((String) a.get("kind"), num(a, "cond_hidden"),
                    num(a, "cond_dim"), num(a, "time_dim"), num(a, "hidden"), num(a, "blocks"),
                    pixel ? num(a, "channels") : 0, pixel ? num(a, "height") : 0, pixel ? num(a, "width") : 0);
            FlowPolicy.Spec spec = new FlowPolicy.Spec((String) m.get("algorithm"), num(m, "obs_dim"), num(m, "act_dim"),
                    num(m, "horizon"), num(m, "act_steps"), num(m, "cond_steps"), num(m, "steps"), arch,
                    (Map<String, Object>) m.getOrDefault("provenance", Map.of()));
            MeanFlowActor actor = arch.build(spec.obsDim() * spec.condSteps(), spec.actDim() * spec.horizon());
            SafeTensors.loadParams(st, actor.params(), where, NORMALIZER);
            MinMaxNormalizer obs = normalizer(st, "obs", spec.obsDim() - arch.imageSize(), where), act = normalizer(st, "act", spec.actDim(), where);
            return new FlowPolicy(spec, actor, obs, act);
        } catch (ClassCastException | NullPointerException | IllegalArgumentException | ArithmeticException e) {
            throw new SafeTensors.SafeTensorsException(where + ": malformed policy description (" + e.getMessage() + ")");
        }
    }

    private static int num(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) throw new IllegalArgumentException("missing number '" + key + "'");
        return Math.toIntExact(n.longValue());
    }

    private static MinMaxNormalizer normalizer(SafeTensors st, String which, int dim, String where) throws IOException {
        float[][] v = new float[2][];
        String[] names = {NORMALIZER + which + ".min", NORMALIZER + which + ".max"};
        for (int k = 0; k < 2; k++) {
            SafeTensors.Entry e = st.tensors().get(names[k]);
            if (e == null || e.elements() != dim) {
                throw new SafeTensors.SafeTensorsException(where + ": tensor '" + names[k] + "' missing or not of size " + dim);
            }
            v[k] = e.floats();
            for (float x : v[k]) {
                if (!Float.isFinite(x)) throw new SafeTensors.SafeTensorsException(where + ": '" + names[k] + "' holds " + x);
            }
        }
        return new MinMaxNormalizer(v[0], v[1]);
    }

}
