package io.dmpo.data;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.dmpo.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The D4RL layout (docs/environments.md, "Data layouts"): root datasets {@code observations (N×obs)}, {@code actions (N×act)},
 * {@code rewards (N)}, {@code terminals (N)}, {@code timeouts (N)}, optional {@code next_observations (N×obs)};
 * metadata as root attributes. Written as float32; flags as jhdf booleans (h5py sees uint8 0/1: use {@code .astype(bool)}), read from any numeric type.
 */
public final class D4rl {
    private D4rl() {}

    public static final String[] FIELDS = {"observations", "actions", "rewards", "terminals", "timeouts"};

    /** Whether the open file looks like this layout (has a root {@code observations} dataset). */
    static boolean matches(HdfFile f) {
        return f.getChildren().containsKey("observations") || f.getChildren().containsKey("actions")
                && f.getChildren().containsKey("rewards");
    }

    public static ArrayDataset read(Path file) {
        String src = file.toString();
        try (HdfFile f = Hdf5.open(file)) {
            return read(f, src);
        } catch (DataException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DataException(src + ": not a readable HDF5 file (" + e.getMessage() + ")", e);
        }
    }

    static ArrayDataset read(HdfFile f, String src) {
        Hdf5.Matrix obs = Hdf5.matrix(Hdf5.dataset(f, "observations", src, true), src, "observations");
        Hdf5.Matrix act = Hdf5.matrix(Hdf5.dataset(f, "actions", src, true), src, "actions");
        Hdf5.Matrix rew = Hdf5.matrix(Hdf5.dataset(f, "rewards", src, true), src, "rewards");
        if (rew.cols() != 1) throw DataException.field(src, "rewards", "has " + rew.cols() + " columns, expected 1");
        int n = rew.rows();
        if (obs.rows() != n) throw DataException.field(src, "observations", "has " + obs.rows() + " rows, rewards has " + n);
        if (act.rows() != n) throw DataException.field(src, "actions", "has " + act.rows() + " rows, rewards has " + n);
        boolean[] term = Hdf5.flags(Hdf5.dataset(f, "terminals", src, true), src, "terminals");
        var td = Hdf5.dataset(f, "timeouts", src, false);
        boolean[] tmo = td != null ? Hdf5.flags(td, src, "timeouts") : new boolean[n];
        var nd = Hdf5.dataset(f, "next_observations", src, false);
        float[] next = null;
        if (nd != null) {
            Hdf5.Matrix nm = Hdf5.matrix(nd, src, "next_observations");
            if (nm.rows() != n) throw DataException.field(src, "next_observations", "has " + nm.rows() + " rows, rewards has " + n);
            if (nm.cols() != obs.cols()) {
                throw DataException.field(src, "next_observations", "has " + nm.cols() + " columns, observations has " + obs.cols());
            }
            next = nm.values();
        }
        return new ArrayDataset(src, "d4rl", obs.cols(), act.cols(), obs.values(), act.values(), rew.values(), term, tmo,
                next, Hdf5.attributes(f));
    }

    /**
     * Writes {@code d} in this layout, atomically (a temporary sibling renamed over {@code file}). Attribute values
     * may be strings, numbers or booleans (booleans are written as strings).
     */
    public static void write(Path file, Dataset d, Map<String, Object> attributes) throws IOException {
        AtomicFiles.writePath(file, tmp -> {
            try (WritableHdfFile f = HdfFile.write(tmp)) {
                f.putDataset("observations", rows(d.observations(), d.size(), d.obsDim()));
                f.putDataset("actions", rows(d.actions(), d.size(), d.actDim()));
                f.putDataset("rewards", d.rewards().clone());
                f.putDataset("terminals", d.terminals().clone());
                f.putDataset("timeouts", d.timeouts().clone());
                if (d.nextObservations() != null) f.putDataset("next_observations", rows(d.nextObservations(), d.size(), d.obsDim()));
                Hdf5.putAttributes(f, attributes);
            } catch (RuntimeException e) {
                throw Hdf5.ioFailure(e);
            }
        });
    }

    static float[][] rows(float[] flat, int n, int cols) {
        float[][] r = new float[n][cols];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * cols, r[i], 0, cols);
        return r;
    }

}
