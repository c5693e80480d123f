package io.dmpo.data;

import io.jhdf.HdfFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Opens a dataset file, detecting its layout (D4RL or robomimic). */
public final class Datasets {
    private Datasets() {}

    public static Dataset open(Path file) {
        return open(file, null);
    }

    /** {@code obsKeys}: robomimic observation keys (null = all low-dimensional keys). */
    public static Dataset open(Path file, List<String> obsKeys) {
        String src = file.toString();
try (HdfFile f = Hdf5.open(file)) {
            if (D4rl.matches(f)) {
                if (obsKeys != null && !obsKeys.isEmpty()) {
                    throw new DataException(src + ": observation keys " + obsKeys + " were given, but this is a D4RL file (one "
                            + "'observations' array); keys select robomimic observations");
                }
                return D4rl.read(f, src);
            }
            if (Robomimic.matches(f)) return Robomimic.read(f, src, obsKeys);
            throw new DataException(src + ": unknown layout: expected D4RL (root 'observations', 'actions', 'rewards', "
                    + "'terminals') or robomimic ('data/demo_<i>/...'); root holds " + f.getChildren().keySet());
        } catch (DataException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DataException(src + ": not a readable HDF5 file (" + e.getMessage() + ")", e);
        }
    }
}
