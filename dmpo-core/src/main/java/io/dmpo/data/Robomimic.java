package io.dmpo.data;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The robomimic layout (docs/environments.md, "Data layouts"): {@code data/demo_<i>/obs/<key>}, {@code actions}, {@code rewards},
 * {@code dones}. Demos are read in numeric order and concatenated; each demo is one episode (terminal when its last
 * {@code dones} flag is set, else a timeout). The observation is the concatenation of the chosen keys in the given
 * order (default: every 1-D/2-D key, sorted by name; image keys are then skipped). An image key (N × H × W × C uint8)
 * becomes C·H·W values 0..255 in channel planes; a pixel policy wants it first.
 */
public final class Robomimic {
    private Robomimic() {}

    static boolean matches(HdfFile f) {
        return f.getChildren().get("data") instanceof Group;
    }

    public static ArrayDataset read(Path file, List<String> obsKeys) {
        String src = file.toString();
        try (HdfFile f = Hdf5.open(file)) {
            return read(f, src, obsKeys);
        } catch (DataException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DataException(src + ": not a readable HDF5 file (" + e.getMessage() + ")", e);
        }
    }

    static ArrayDataset read(HdfFile f, String src, List<String> obsKeys) {
        if (!(f.getChildren().get("data") instanceof Group data)) throw DataException.field(src, "data", "missing (robomimic layout)");
        List<String> demos = new ArrayList<>();
        for (String k : data.getChildren().keySet()) if (k.startsWith("demo_")) demos.add(k);
        if (demos.isEmpty()) throw DataException.field(src, "data/demo_*", "missing: no demos");
        demos.sort(Comparator.comparingLong(k -> {
            try {
                return Long.parseLong(k.substring(5));
            } catch (NumberFormatException e) {
                return Long.MAX_VALUE;
            }
        }));
        List<String> keys = obsKeys;
        if (keys == null || keys.isEmpty()) {
            Node o = ((Group) data.getChild(demos.get(0))).getChild("obs");
            if (!(o instanceof Group og)) throw DataException.field(src, "data/" + demos.get(0) + "/obs", "missing");
            keys = new ArrayList<>();
            for (Map.Entry<String, Node> e : og.getChildren().entrySet()) {
                if (e.getValue() instanceof Dataset d && d.getDimensions().length <= 2) keys.add(e.getKey());
            }
            keys.sort(String::compareTo);
            if (keys.isEmpty()) throw DataException.field(src, "data/" + demos.get(0) + "/obs", "has no low-dimensional keys");
        }
        List<float[]> obsParts = new ArrayList<>(), actParts = new ArrayList<>(), rewParts = new ArrayList<>();
        List<boolean[]> doneParts = new ArrayList<>();
        List<io.dmpo.data.Dataset.Episode> episodes = new ArrayList<>();
        int obsDim = -1, actDim = -1, total = 0;
        for (String demo : demos) {
            String p = "data/" + demo + "/";
            Hdf5.Matrix act = Hdf5.matrix(Hdf5.dataset(f, p + "actions", src, true), src, p + "actions");
            int n = act.rows();
            Hdf5.Matrix rew = Hdf5.matrix(Hdf5.dataset(f, p + "rewards", src, true), src, p + "rewards");
            if (rew.rows() != n || rew.cols() != 1) {
                throw DataException.field(src, p + "rewards", "has shape (" + rew.rows() + ", " + rew.cols() + "), actions has " + n + " rows");
            }
            boolean[] dones = Hdf5.flags(Hdf5.dataset(f, p + "dones", src, true), src, p + "dones");
            if (dones.length != n) throw DataException.field(src, p + "dones", "has " + dones.length + " rows, actions has " + n);
            List<Hdf5.Matrix> cols = new ArrayList<>();
            int od = 0;
            for (String k : keys) {
                io.jhdf.api.Dataset ds = Hdf5.dataset(f, p + "obs/" + k, src, true);
                if (ds.getDimensions().length == 4 && !k.equals(keys.get(0))) {
                    throw DataException.field(src, p + "obs/" + k, "is an image: list it first in the observation keys (a pixel "
                            + "policy reads [image, low-dimensional values]), and only one image key");
                }
                Hdf5.Matrix m = ds.getDimensions().length == 4 ? Hdf5.image(ds, src, p + "obs/" + k) : Hdf5.matrix(ds, src, p + "obs/" + k);
                if (m.rows() != n) throw DataException.field(src, p + "obs/" + k, "has " + m.rows() + " rows, actions has " + n);
                cols.add(m);
                od += m.cols();
            }
            if (obsDim >= 0 && (od != obsDim || act.cols() != actDim)) {
                throw DataException.field(src, p + "obs", "dims (" + od + ", " + act.cols() + ") differ from the first demo's ("
                        + obsDim + ", " + actDim + ")");
            }
            obsDim = od;
            actDim = act.cols();
            float[] obs = new float[n * od];
            int off = 0;
            for (Hdf5.Matrix m : cols) {
                for (int i = 0; i < n; i++) System.arraycopy(m.values(), i * m.cols(), obs, i * od + off, m.cols());
                off += m.cols();
            }
            obsParts.add(obs);
            actParts.add(act.values());
            rewParts.add(rew.values());
            doneParts.add(dones);
            double ret = 0;
            for (float r : rew.values()) ret += r;
            episodes.add(new io.dmpo.data.Dataset.Episode(total, n, n > 0 && dones[n - 1], ret));
            total += n;
        }
        float[] obs = concat(obsParts, total * obsDim), act = concat(actParts, total * actDim), rew = concat(rewParts, total);
        boolean[] term = new boolean[total], tmo = new boolean[total];
        for (io.dmpo.data.Dataset.Episode e : episodes) {
            if (e.length() == 0) continue;
            if (e.terminated()) term[e.end() - 1] = true;
            else tmo[e.end() - 1] = true;
        }
        Map<String, Object> attrs = new LinkedHashMap<>(Hdf5.attributes(f));
        attrs.putAll(Hdf5.attributes(data, "data.")); // robomimic keeps env_args / total on the data group
        attrs.put("obs_keys", String.join(",", keys));
        attrs.put("demos", demos.size());
        return new ArrayDataset(src, "robomimic", obsDim, actDim, obs, act, rew, term, tmo, null, attrs,
                episodes.stream().filter(e -> e.length() > 0).toList());
    }

    /**
     * One demonstration to write: observation keys in order → per-step values ({@code float[steps][width]} for
     * low-dimensional keys, {@code byte[steps][H][W][C]} for uint8 images, robomimic's layout), actions, rewards,
     * dones.
     */
    public record Demo(Map<String, Object> observations, float[][] actions, float[] rewards, boolean[] dones) {}

    /**
     * Writes demos in the robomimic layout ({@code data/demo_<i>/obs/<key>}, {@code actions}, {@code rewards},
     * {@code dones}; {@code data} attributes {@code total} and the given ones), atomically. Images (Java bytes holding
     * 0..255) are stored as HDF5 uint8, as robomimic stores them: h5py reads them as {@code uint8}.
     */
    private static final io.jhdf.api.DatasetCreationOptions UINT8 = io.jhdf.api.DatasetCreationOptions.builder().unsigned().build();

    public static void write(Path file, List<Demo> demos, Map<String, Object> attributes) throws java.io.IOException {
        io.dmpo.io.AtomicFiles.writePath(file, tmp -> {
            try (io.jhdf.WritableHdfFile f = HdfFile.write(tmp)) {
                io.jhdf.api.WritableGroup data = f.putGroup("data");
                long total = 0;
                for (int i = 0; i < demos.size(); i++) {
                    Demo d = demos.get(i);
                    io.jhdf.api.WritableGroup g = data.putGroup("demo_" + i);
                    io.jhdf.api.WritableGroup obs = g.putGroup("obs");
                    for (Map.Entry<String, Object> e : d.observations().entrySet()) {
                        if (e.getValue() instanceof byte[][][][]) obs.putDataset(e.getKey(), e.getValue(), UINT8);
                        else obs.putDataset(e.getKey(), e.getValue());
                    }
                    g.putDataset("actions", d.actions());
                    g.putDataset("rewards", d.rewards());
                    g.putDataset("dones", d.dones());
                    g.putAttribute("num_samples", (long) d.actions().length);
                    total += d.actions().length;
                }
                data.putAttribute("total", total);
                Hdf5.putAttributes(data, attributes);
            } catch (RuntimeException e) {
                throw Hdf5.ioFailure(e);
            }
        });
    }

    private static float[] concat(List<float[]> parts, int total) {
        float[] out = new float[total];
        int off = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }
}
