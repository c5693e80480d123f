package io.dmpo.rl;

import io.dmpo.env.RunningMeanStd;
import io.dmpo.io.AtomicFiles;
import io.dmpo.io.Json;
import io.dmpo.io.SafeTensors;
import io.dmpo.nn.AdamW;
import io.dmpo.nn.Param;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PPO checkpoint directory, written atomically (a temporary sibling directory renamed into place; an existing
 * checkpoint of the same name is set aside, not deleted, until the new one is in place):
 * <ul>
 *   <li>{@code weights.safetensors}: policy and critic parameters under their names ({@code actor.fc1.weight} ...,
 *       {@code actor.log_std}, {@code critic.fc1.weight} ...) plus {@code obs_norm.mean} / {@code obs_norm.var}
 *       (float32 copies for PyTorch users: {@code obs_n = clip((obs − mean)/sqrt(var + 1e-8), ±clip)});</li>
 *   <li>{@code optimizer.safetensors}: AdamW first/second moments ({@code actor.m.<i>}, {@code critic.v.<i>} ...);</li>
 *   <li>{@code state.json}: iteration, env steps, optimizer steps, exact (double) normalization and reward-scaling
 *       statistics, and whatever extra fields the caller adds (evaluation return, seed, git commit).</li>
 * </ul>
 */
public final class PpoCheckpoint {
    private PpoCheckpoint() {}

    public static void save(Path dir, List<Param> policy, List<Param> critic, AdamW actorOpt, AdamW criticOpt,
                            RunningMeanStd obsStats, RewardScaler rewards, Map<String, Object> extra) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
        try {
            writeInto(tmp, policy, critic, actorOpt, criticOpt, obsStats, rewards, extra);
            AtomicFiles.shareDirectory(tmp);
            if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                // never delete the old checkpoint before the new one is in place: set it aside, swap, then drop it
                Path aside = parent.resolve("." + dir.getFileName() + ".old-" + System.nanoTime());
                Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(aside);
            } else {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    /** Writes the checkpoint files into {@code dir}, which exists and is empty (e.g. {@code RunDirectory.publish}'s). */
    public static void writeInto(Path dir, List<Param> policy, List<Param> critic, AdamW actorOpt, AdamW criticOpt,
                                 RunningMeanStd obsStats, RewardScaler rewards, Map<String, Object> extra) throws IOException {
        List<Param> all = new ArrayList<>(policy);
        all.addAll(critic);
        Map<String, SafeTensors.Float32> w = new LinkedHashMap<>();
        for (Param p : all) w.put(p.name, new SafeTensors.Float32(Arrays.stream(p.shape).asLongStream().toArray(), p.value));
        if (obsStats != null) {
            w.put("obs_norm.mean", vec(obsStats.mean()));
            w.put("obs_norm.var", vec(obsStats.var()));
        }
        SafeTensors.write(dir.resolve("weights.safetensors"), w, Map.of("format", "dmpo-ppo"));
        Map<String, SafeTensors.Float32> o = new LinkedHashMap<>();
        moments(o, "actor", actorOpt);
        moments(o, "critic", criticOpt);
        SafeTensors.write(dir.resolve("optimizer.safetensors"), o, Map.of());
        Map<String, Object> st = new LinkedHashMap<>(extra);
        st.put("actor_optimizer_steps", actorOpt.steps());
        st.put("critic_optimizer_steps", criticOpt.steps());
        if (obsStats != null) st.put("obs_norm", stats(obsStats));
        if (rewards != null) st.put("reward_scale", stats(rewards.stats()));
        AtomicFiles.writeString(dir.resolve("state.json"), Json.write(st) + "\n");
    }

    /** Loads weights (and, when the optimizers are non-null, optimizer state); returns state.json. */
    public static Map<String, Object> load(Path dir, List<Param> policy, List<Param> critic, AdamW actorOpt, AdamW criticOpt,
                                           RunningMeanStd obsStats, RewardScaler rewards) throws IOException {
        Path wf = dir.resolve("weights.safetensors");
        SafeTensors w = SafeTensors.read(wf);
        List<Param> all = new ArrayList<>(policy);
        if (critic != null) all.addAll(critic);
        for (Param p : all) {
            SafeTensors.Entry e = w.tensors().get(p.name);
            if (e == null) throw new IOException(wf + ": missing tensor '" + p.name + "'");
            if (e.elements() != p.size()) throw new IOException(wf + ": tensor '" + p.name + "' has " + e.elements()
                    + " values, the network expects " + p.size());
            System.arraycopy(e.floats(), 0, p.value, 0, p.size());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> st = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("state.json")));
        if (obsStats != null && st.get("obs_norm") != null) restore(obsStats, st.get("obs_norm"));
        if (rewards != null && st.get("reward_scale") != null) restore(rewards.stats(), st.get("reward_scale"));
        if (actorOpt != null) {
            SafeTensors o = SafeTensors.read(dir.resolve("optimizer.safetensors"));
            restoreMoments(o, "actor", actorOpt);
            restoreMoments(o, "critic", criticOpt);
            actorOpt.setSteps(((Number) st.get("actor_optimizer_steps")).longValue());
            criticOpt.setSteps(((Number) st.get("critic_optimizer_steps")).longValue());
        }
        return st;
    }

    private static SafeTensors.Float32 vec(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return new SafeTensors.Float32(new long[] {x.length}, f);
    }

    private static void moments(Map<String, SafeTensors.Float32> o, String name, AdamW opt) {
        float[][] m = opt.firstMoments(), v = opt.secondMoments();
        for (int i = 0; i < m.length; i++) {
            o.put(name + ".m." + i, new SafeTensors.Float32(new long[] {m[i].length}, m[i]));
            o.put(name + ".v." + i, new SafeTensors.Float32(new long[] {v[i].length}, v[i]));
        }
    }

    private static void restoreMoments(SafeTensors o, String name, AdamW opt) throws IOException {
        float[][] m = opt.firstMoments(), v = opt.secondMoments();
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(o.get(name + ".m." + i).floats(), 0, m[i], 0, m[i].length);
            System.arraycopy(o.get(name + ".v." + i).floats(), 0, v[i], 0, v[i].length);
        }
    }

    private static Map<String, Object> stats(RunningMeanStd s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", toList(s.mean()));
        m.put("var", toList(s.var()));
        m.put("count", s.count());
        return m;
    }

    private static List<Object> toList(double[] x) {
        List<Object> l = new ArrayList<>();
        for (double v : x) l.add(v);
        return l;
    }

    @SuppressWarnings("unchecked")
    private static void restore(RunningMeanStd s, Object o) {
        Map<String, Object> m = (Map<String, Object>) o;
        s.set(toArray((List<Object>) m.get("mean")), toArray((List<Object>) m.get("var")), ((Number) m.get("count")).doubleValue());
    }

    public static double[] toArray(List<Object> l) {
        double[] x = new double[l.size()];
        for (int i = 0; i < x.length; i++) x[i] = ((Number) l.get(i)).doubleValue();
        return x;
    }

    static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (var s = Files.list(p)) {
                for (Path c : s.toList()) deleteTree(c);
            }
        }
        Files.deleteIfExists(p);
    }
}
