package io.dmpo.data;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;

import io.jhdf.AbstractNode;
import io.jhdf.ObjectHeader;
import io.jhdf.object.message.DataLayoutMessage;

import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Conversions from what jhdf returns to flat float / boolean arrays, with one-line errors naming file and field.
 * Booleans written by h5py are an HDF5 enum {FALSE, TRUE}, which jhdf returns as the strings "FALSE"/"TRUE"
 * (docs/environments.md, "Data layouts"); integer flags (0/1) and jhdf's own boolean arrays are accepted too.
 */
final class Hdf5 {
    private Hdf5() {}

    /** A 1-D or 2-D numeric dataset: flat row-major values plus the column count (1 for 1-D). */
    record Matrix(float[] values, int rows, int cols) {}

    /**
     * Opens an HDF5 file for reading after checking that it is whole: a regular file at least as long as the
     * end-of-file address its superblock records (a file cut short fails here, not as silently shortened data).
     */
    static HdfFile open(Path file) {
        String src = file.toString();
        if (!Files.exists(file)) throw new DataException(src + ": no such file");
        if (!Files.isRegularFile(file)) throw new DataException(src + ": not a regular file");
        if (!Files.isReadable(file)) throw new DataException(src + ": permission denied (not readable)");
        HdfFile f;
        try {
            f = new HdfFile(file);
        } catch (RuntimeException e) {
            throw new DataException(src + ": not a readable HDF5 file (" + e.getMessage() + ")", e);
        }
        try {
            long size = Files.size(file);
            var storage = f.getHdfBackingStorage();
            long end = storage.getUserBlockSize() + storage.getSuperblock().getEndOfFileAddress();
            if (end > size) {
                throw new DataException(src + ": truncated HDF5 file (" + size + " bytes, its superblock says "
                        + end + "): the file was cut short; copy or download it again");
            }
            return f;
        } catch (IOException e) {
            f.close();
            throw new DataException(src + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            f.close();
            throw e instanceof DataException de ? de : new DataException(src + ": not a readable HDF5 file (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Checks that a dataset's extent fits its storage before reading it: contiguous data must lie inside the file and
     * its layout must hold at least dims × element size bytes (jhdf would otherwise read whatever follows as data).
     */
    static void checkExtent(Dataset d, String source, String field) {
        long need = d.getSizeInBytes();
        if (need < 0) throw DataException.field(source, field, "has an invalid size");
        if (!(d instanceof AbstractNode node)) return;
        ObjectHeader header = node.getHeader();
        if (header == null || !header.hasMessageOfType(DataLayoutMessage.ContiguousDataLayoutMessage.class)) return;
        var layout = header.getMessageOfType(DataLayoutMessage.ContiguousDataLayoutMessage.class);
        long address = layout.getAddress(), stored = layout.getSize();
        if (need > 0 && (address < 0 || address == UNDEFINED_ADDRESS)) {
            throw DataException.field(source, field, "has no stored data (unallocated) for " + need + " bytes");
        }
        if (stored < need) {
            throw DataException.field(source, field, "shape " + Arrays.toString(d.getDimensions()) + " needs " + need
                    + " bytes but only " + stored + " are stored: corrupt file");
        }
        var storage = node.getHdfFile().getHdfBackingStorage();
        long fileSize = storage.size();
        if (need > 0 && storage.getUserBlockSize() + address + need > fileSize) {
            throw DataException.field(source, field, "data lies past the end of the file (offset " + address + " + "
                    + need + " bytes > " + fileSize + "): truncated or corrupt file");
        }
    }

    private static final long UNDEFINED_ADDRESS = -1L;

    static Dataset dataset(Group g, String path, String source, boolean required) {
        Node n;
        try {
            n = g.getByPath(path);
        } catch (RuntimeException e) {
            n = null;
        }
        if (n == null) {
            if (required) throw DataException.field(source, fieldName(g, path), "missing");
            return null;
        }
        if (!(n instanceof Dataset d)) throw DataException.field(source, fieldName(g, path), "is a group, expected a dataset");
        return d;
    }

    static String fieldName(Group g, String path) {
        String p = g.getPath();
        return (p == null || p.equals("/") ? "" : p.replaceAll("^/", "")) + path;
    }

    static Matrix matrix(Dataset d, String source, String field) {
        int[] dims = d.getDimensions();
        if (dims.length < 1 || dims.length > 2) {
            throw DataException.field(source, field, "has " + dims.length + " dimensions, expected 1 or 2");
        }
        int rows = dims[0], cols = dims.length == 2 ? dims[1] : 1;
        if (rows == 0 || cols == 0) throw DataException.field(source, field, "is empty (shape " + Arrays.toString(dims) + ")");
        Object flat = readFlat(d, source, field);
        float[] v = new float[Math.multiplyExact(rows, cols)];
        if (flat instanceof float[] f) {
            System.arraycopy(f, 0, v, 0, v.length);
        } else if (flat instanceof double[] x) {
            for (int i = 0; i < v.length; i++) v[i] = (float) x[i];
        } else if (flat != null && flat.getClass().isArray() && flat.getClass().getComponentType().isPrimitive()
                && flat.getClass().getComponentType() != boolean.class) {
            for (int i = 0; i < v.length; i++) v[i] = ((Number) Array.get(flat, i)).floatValue();
        } else {
            throw DataException.field(source, field, "has type " + d.getJavaType().getSimpleName() + ", expected numbers");
        }
        return new Matrix(v, rows, cols);
    }

    /**
     * An image dataset (robomimic: N × H × W × C, uint8) as rows of C·H·W values 0..255 in channel planes (C × H × W, the
     * pixel actor's layout). int8 data (files this library wrote before it wrote uint8) is read as the same bit patterns, unsigned.
     */
    static Matrix image(Dataset d, String source, String field) {
        int[] dims = d.getDimensions();
        if (dims.length != 4) throw DataException.field(source, field, "has " + dims.length + " dimensions, an image key needs 4 (N, H, W, C)");
        int n = dims[0], h = dims[1], w = dims[2], c = dims[3];
        if (c < 1 || c > 4) throw DataException.field(source, field, "has " + c + " channels in its last dimension, expected 1..4 (N, H, W, C)");
        Object flat = readFlat(d, source, field);
        int row = c * h * w;
        float[] v = new float[Math.multiplyExact(n, row)];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int src = ((i * h + y) * w + x) * c;
                    for (int ch = 0; ch < c; ch++) {
                        float value = switch (flat) {
                            case byte[] b -> b[src + ch] & 0xff;
                            case short[] sh -> sh[src + ch];
                            case int[] in -> in[src + ch];
                            case float[] f -> f[src + ch];
                            case double[] db -> (float) db[src + ch];
                            default -> throw DataException.field(source, field, "has type " + d.getJavaType().getSimpleName() + ", expected uint8 pixels");
                        };
                        if (!(value >= 0 && value <= 255)) throw DataException.field(source, field, "has a pixel value " + value + " outside 0..255");
                        v[i * row + (ch * h + y) * w + x] = value;
                    }
                }
            }
        }
        return new Matrix(v, n, row);
    }

    /** Writes metadata attributes: strings and numbers as they are, ints widened to long, floats to double, booleans as strings. */
    static void putAttributes(io.jhdf.api.WritableNode node, Map<String, Object> attributes) {
        for (Map.Entry<String, Object> e : attributes.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Integer x) v = (long) x;
            if (v instanceof Float x) v = (double) x;
            if (v instanceof Boolean b) v = b.toString();
            if (v != null) node.putAttribute(e.getKey(), v);
        }
    }

    /** jhdf wraps I/O failures (a full disk) in its own unchecked exceptions: the IOException inside, or one made of it. */
    static java.io.IOException ioFailure(RuntimeException e) {
        Throwable c = e;
        while (c != null && !(c instanceof java.io.IOException)) c = c.getCause();
        if (c != null) return (java.io.IOException) c;
        return new java.io.IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }

    /** A dataset's values, flat, after {@link #checkExtent}; reading failures name the file and field. */
    private static Object readFlat(Dataset d, String source, String field) {
        checkExtent(d, source, field);
        try {
            return d.getDataFlat();
        } catch (RuntimeException e) {
            throw DataException.field(source, field, "unreadable (" + e.getMessage() + ")");
        }
    }

    static boolean[] flags(Dataset d, String source, String field) {
        int[] dims = d.getDimensions();
        if (dims.length != 1 && !(dims.length == 2 && dims[1] == 1)) {
            throw DataException.field(source, field, "has shape " + java.util.Arrays.toString(dims) + ", expected (N,)");
        }
        Object flat = readFlat(d, source, field);
        int n = dims[0];
        boolean[] b = new boolean[n];
        if (flat instanceof boolean[] x) {
            System.arraycopy(x, 0, b, 0, n);
        } else if (flat instanceof String[] s) {
            for (int i = 0; i < n; i++) {
                String t = s[i] == null ? "" : s[i].strip().toUpperCase(java.util.Locale.ROOT);
                if (t.equals("TRUE") || t.equals("1")) b[i] = true;
                else if (!(t.equals("FALSE") || t.equals("0"))) {
                    throw DataException.field(source, field, "value '" + s[i] + "' at row " + i + " is not a boolean");
                }
            }
        } else if (flat != null && flat.getClass().isArray() && flat.getClass().getComponentType().isPrimitive()) {
            for (int i = 0; i < n; i++) {
                double v = ((Number) Array.get(flat, i)).doubleValue();
                if (v != 0 && v != 1) throw DataException.field(source, field, "value " + v + " at row " + i + " is not 0 or 1");
                b[i] = v == 1;
            }
        } else {
            throw DataException.field(source, field, "has type " + d.getJavaType().getSimpleName() + ", expected booleans");
        }
        return b;
    }

    /** Root attributes with byte strings decoded and scalars unwrapped. */
    static Map<String, Object> attributes(HdfFile f) {
        return attributes(f, "");
    }

    /** A group's attributes (names prefixed with {@code prefix}), byte strings decoded and scalars unwrapped. */
    static Map<String, Object> attributes(io.jhdf.api.Node f, String prefix) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Attribute> e : f.getAttributes().entrySet()) {
            if (e.getKey().equals("_jHDF")) continue;
            try {
                Object v = e.getValue().getData();
                if (v != null && v.getClass().isArray() && Array.getLength(v) == 1) v = Array.get(v, 0);
                if (v instanceof byte[] bytes) v = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                out.put(prefix + e.getKey(), v);
            } catch (RuntimeException ex) {
                out.put(prefix + e.getKey(), "<unreadable>");
            }
        }
        return out;
    }
}
