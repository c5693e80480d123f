package io.dmpo.io;

import io.dmpo.nn.Param;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code name → {dtype, shape, data_offsets}} plus optional {@code __metadata__} of strings), then raw little-endian
 * tensor bytes. Files we write load with PyTorch's {@code safetensors.torch.load_file}.
 *
 * <p>Reading validates everything (lengths, offsets, dtypes, shapes) and reports a bad file with one message naming the
 * file and the problem, as {@link SafeTensorsException}.
 */
public final class SafeTensors {
    /** One stored tensor: its dtype, shape and raw bytes. */
    public record Entry(String dtype, long[] shape, ByteBuffer bytes) {
        public long elements() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }

        /** Values as float32 (F64 is rounded, integer types converted). */
        public float[] floats() {
            int n = Math.toIntExact(elements());
            float[] out = new float[n];
            ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case "F32" -> b.asFloatBuffer().get(out);
                case "F64" -> { for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(i * 8); }
                case "I64" -> { for (int i = 0; i < n; i++) out[i] = b.getLong(i * 8); }
                case "I32" -> { for (int i = 0; i < n; i++) out[i] = b.getInt(i * 4); }
                case "F16" -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(b.getShort(i * 2)); }
                case "BF16" -> { for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xFFFF) << 16); }
                default -> throw new IllegalArgumentException("dtype " + dtype + " cannot be read as float32");
            }
            return out;
        }

        /** Values as float64 (exact for F32 and F64). */
        public double[] doubles() {
            int n = Math.toIntExact(elements());
            double[] out = new double[n];
            ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case "F64" -> b.asDoubleBuffer().get(out);
                case "F32" -> { for (int i = 0; i < n; i++) out[i] = b.getFloat(i * 4); }
                case "I64" -> { for (int i = 0; i < n; i++) out[i] = b.getLong(i * 8); }
                case "I32" -> { for (int i = 0; i < n; i++) out[i] = b.getInt(i * 4); }
                case "F16" -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(b.getShort(i * 2)); }
                case "BF16" -> { for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xFFFF) << 16); }
                default -> throw new IllegalArgumentException("dtype " + dtype + " cannot be read as float64");
            }
            return out;
        }
    }

    /** A malformed, truncated or mismatched safetensors file. */
    public static final class SafeTensorsException extends IOException {
        public SafeTensorsException(String message) {
            super(message);
        }
    }

    private static final Map<String, Integer> DTYPE_BYTES = Map.of(
            "F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8, "I32", 4, "I16", 2, "I8", 1, "U8", 1, "BOOL", 1);
    private static final long MAX_HEADER = 100L << 20;
    /** The dtypes weights may be stored in (converted to float32 on load). */
    public static final List<String> FLOAT_DTYPES = List.of("F32", "F64", "F16", "BF16");

    private final Map<String, Entry> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Map<String, Entry> tensors, Map<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    public Map<String, Entry> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Entry get(String name) throws SafeTensorsException {
        Entry e = tensors.get(name);
        if (e == null) throw new SafeTensorsException("no tensor named '" + name + "' (have " + tensors.size() + " tensors)");
        return e;
    }

    public static SafeTensors read(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SafeTensorsException(file + ": no such file");
        }
        return parse(all, file.toString());
    }

    public static SafeTensors parse(byte[] all, String source) throws SafeTensorsException {
        if (all.length < 8) throw new SafeTensorsException(source + ": truncated safetensors file (" + all.length + " bytes, no header)");
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > all.length) {
            throw new SafeTensorsException(source + ": truncated or not a safetensors file (header length " + headerLen
                    + ", file " + all.length + " bytes)");
        }
        String headerText = new String(all, 8, (int) headerLen, StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = Json.parse(headerText.stripTrailing());
        } catch (IllegalArgumentException e) {
            throw new SafeTensorsException(source + ": header is not valid JSON (" + e.getMessage() + ")");
        }
        if (!(parsed instanceof Map<?, ?> header)) throw new SafeTensorsException(source + ": header is not a JSON object");
        long dataStart = 8 + headerLen, dataLen = all.length - dataStart;
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new SafeTensorsException(source + ": __metadata__ is not an object");
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String v)) {
                        throw new SafeTensorsException(source + ": metadata value of '" + me.getKey() + "' is not a string");
                    }
                    meta.put((String) me.getKey(), v);
                }
                continue;
            }
            tensors.put(name, entry(name, e.getValue(), all, dataStart, dataLen, source));
        }
        return new SafeTensors(tensors, meta);
    }

    private static Entry entry(String name, Object spec, byte[] all, long dataStart, long dataLen, String source)
            throws SafeTensorsException {
        String where = source + ": tensor '" + name + "'";
        if (!(spec instanceof Map<?, ?> m)) throw new SafeTensorsException(where + " is not an object");
        if (!(m.get("dtype") instanceof String dtype) || !DTYPE_BYTES.containsKey(dtype)) {
            throw new SafeTensorsException(where + " has unknown dtype " + m.get("dtype"));
        }
        if (!(m.get("shape") instanceof List<?> shapeList)) throw new SafeTensorsException(where + " has no shape");
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2
                || !(offs.get(0) instanceof Long begin) || !(offs.get(1) instanceof Long end)) {
            throw new SafeTensorsException(where + " has malformed data_offsets");
        }
        long[] shape = new long[shapeList.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0) throw new SafeTensorsException(where + " has a bad shape " + shapeList);
            shape[i] = d;
            try {
                elements = Math.multiplyExact(elements, d);
                Math.multiplyExact(elements, (long) DTYPE_BYTES.get(dtype));
            } catch (ArithmeticException overflow) {
                throw new SafeTensorsException(where + " has shape " + shapeList + ", too large for any file");
            }
        }
        if (begin < 0 || end < begin || end > dataLen) {
            throw new SafeTensorsException(where + ": data [" + begin + ", " + end + ") lies outside the " + dataLen
                    + " data bytes (truncated file?)");
        }
        if (end - begin != elements * DTYPE_BYTES.get(dtype)) {
            throw new SafeTensorsException(where + ": " + (end - begin) + " bytes for shape " + Arrays.toString(shape) + " of " + dtype);
        }
        ByteBuffer bytes = ByteBuffer.wrap(all, (int) (dataStart + begin), (int) (end - begin)).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new Entry(dtype, shape, bytes);
    }

    /** A tensor to write: float32 values with a shape. */
    public record Float32(long[] shape, float[] values) {}

    /** Writes float32 tensors (in the given order) and string metadata, atomically. */
    public static void write(Path file, Map<String, Float32> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        for (Map.Entry<String, Float32> e : tensors.entrySet()) {
            long n = 1;
            for (long s : e.getValue().shape()) n *= s;
            if (n != e.getValue().values().length) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "': shape " + Arrays.toString(e.getValue().shape())
                        + " does not hold " + e.getValue().values().length + " values");
            }
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("dtype", "F32");
            List<Object> shape = new ArrayList<>();
            for (long s : e.getValue().shape()) shape.add(s);
            spec.put("shape", shape);
            spec.put("data_offsets", List.of(offset, offset + 4 * n));
            header.put(e.getKey(), spec);
            offset += 4 * n;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8-byte alignment
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            for (Float32 t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * t.values().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.values());
                out.write(b.array());
            }
        });
    }

    /** Saves parameters under their names with their PyTorch shapes. */
    public static void saveParams(Path file, List<Param> params, Map<String, String> metadata) throws IOException {
        Map<String, Float32> t = new LinkedHashMap<>();
        for (Param p : params) {
            long[] shape = Arrays.stream(p.shape).asLongStream().toArray();
            if (t.put(p.name, new Float32(shape, p.value)) != null) throw new IllegalArgumentException("duplicate parameter " + p.name);
        }
        write(file, t, metadata);
    }

    /**
     * Loads values into parameters by name. Every parameter must be present with the same shape; extra tensors in the
     * file are an error too (a checkpoint of another architecture must not load silently).
     */
    public static void loadParams(SafeTensors st, List<Param> params, String source) throws SafeTensorsException {
        loadParams(st, params, source, "");
    }

    /** As {@link #loadParams(SafeTensors, List, String)}, ignoring tensors whose names start with {@code otherPrefix}. */
    public static void loadParams(SafeTensors st, List<Param> params, String source, String otherPrefix) throws SafeTensorsException {
        java.util.Set<String> unused = new java.util.LinkedHashSet<>(st.tensors().keySet());
        if (!otherPrefix.isEmpty()) unused.removeIf(n -> n.startsWith(otherPrefix));
        for (Param p : params) {
            Entry e = st.tensors().get(p.name);
            if (e == null) throw new SafeTensorsException(source + ": missing parameter '" + p.name + "'");
            long[] want = Arrays.stream(p.shape).asLongStream().toArray();
            if (!Arrays.equals(want, e.shape())) {
                throw new SafeTensorsException(source + ": parameter '" + p.name + "' has shape " + Arrays.toString(e.shape())
                        + ", the network expects " + Arrays.toString(want));
            }
            if (!FLOAT_DTYPES.contains(e.dtype())) {
                throw new SafeTensorsException(source + ": parameter '" + p.name + "' has dtype " + e.dtype()
                        + "; weights must be floating point (" + String.join(", ", FLOAT_DTYPES) + ")");
            }
            float[] v = e.floats();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new SafeTensorsException(source + ": parameter '" + p.name + "' holds a non-finite value ("
                            + v[i] + " at index " + i + "): a diverged or corrupt checkpoint");
                }
            }
            System.arraycopy(v, 0, p.value, 0, p.size());
            unused.remove(p.name);
        }
        if (!unused.isEmpty()) throw new SafeTensorsException(source + ": unexpected tensors " + unused);
    }
}
