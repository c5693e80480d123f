package io.dmpo.mujoco;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A compiled MuJoCo model (mjModel*). Read-only once loaded: share one model between threads, and make one
 * {@link MjData} per environment. Loading is serialized (mj_loadXML is not thread-safe). The native model is freed
 * when {@link #close()} was called and every {@link MjData} made from it is closed (or, as a fallback, when both
 * became unreachable).
 */
public final class MjModel implements AutoCloseable {
    static final Cleaner CLEANER = Cleaner.create();
    private static final Object LOAD_LOCK = new Object();

    final MemorySegment ptr;
    private final Path path;
    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    public final int nq, nv, nu, na, nbody, njnt, nconmax, njmax;
    public final double timestep;

    /** Reference count: the model itself (until close) plus each open MjData. */
    static final class Handle implements Runnable {
        final MemorySegment ptr;
        final AtomicInteger refs = new AtomicInteger(1);

        Handle(MemorySegment ptr) {
            this.ptr = ptr;
        }

        void release() {
            if (refs.decrementAndGet() == 0) free();
        }

        private boolean freed;

        synchronized void free() {
            if (freed) return;
            freed = true;
            try {
                MuJoCo.N.MJ_DELETE_MODEL.invokeExact(ptr);
            } catch (Throwable t) {
                throw MuJoCo.rethrow(t);
            }
        }

        @Override
        public void run() { // Cleaner fallback: everything holding the model is unreachable
            free();
        }
    }

    private MjModel(MemorySegment raw, Path path) {
        this.ptr = raw.reinterpret(MjLayout.SIZEOF_MJMODEL);
        this.path = path;
        this.handle = new Handle(raw);
        this.cleanable = CLEANER.register(this, handle);
        nq = i(MjLayout.M_nq);
        nv = i(MjLayout.M_nv);
        nu = i(MjLayout.M_nu);
        na = i(MjLayout.M_na);
        nbody = i(MjLayout.M_nbody);
        njnt = i(MjLayout.M_njnt);
        nconmax = i(MjLayout.M_nconmax);
        njmax = i(MjLayout.M_njmax);
        timestep = ptr.get(JAVA_DOUBLE, MjLayout.OPT_timestep);
    }

    /**
     * Loads an MJCF (or MJB-free XML) file. Throws {@link MujocoException.LoadError} with MuJoCo's own message when
     * the file is missing or malformed.
     */
    public static MjModel load(Path path) {
        MuJoCo.ensureLoaded();
        Path abs = path.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs)) throw new MujocoException.LoadError("model file not found: " + path);
        synchronized (LOAD_LOCK) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment err = a.allocate(1000);
                MemorySegment out = a.allocate(ADDRESS);
                int rc = (int) MuJoCo.N.SHIM_LOAD_XML.invokeExact(a.allocateFrom(abs.toString()), err, 1000, out);
                MemorySegment m = out.get(ADDRESS, 0);
                if (rc != 0 || m.address() == 0) {
                    String msg = err.getString(0).strip();
                    throw new MujocoException.LoadError(msg.isEmpty() ? "MuJoCo could not load " + path : msg);
                }
                return new MjModel(m, abs);
            } catch (MujocoException e) {
                throw e;
            } catch (Throwable t) {
                throw MuJoCo.rethrow(t);
            }
        }
    }

    /** A model file shipped as a classpath resource (copied to a temporary file; MuJoCo reads files). */
    public static MjModel loadResource(Class<?> anchor, String resource) {
        try (var in = anchor.getResourceAsStream(resource)) {
            if (in == null) throw new MujocoException.LoadError("model resource not found: " + resource);
            Path tmp = Files.createTempFile("dmpo-model", ".xml");
            try {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                return load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (java.io.IOException e) {
            throw new MujocoException("cannot read model resource " + resource + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** A new mjData for this model (one per environment / thread). */
    public MjData makeData() {
        if (handle.refs.get() <= 0) throw new IllegalStateException("model is closed");
        handle.refs.incrementAndGet();
        try {
            return new MjData(this, handle);
        } catch (RuntimeException e) {
            handle.release();
            throw e;
        }
    }

    int i(long offset) {
        return ptr.get(JAVA_INT, offset);
    }

    /** The native array behind a pointer field of mjModel (offset from MjLayout), as doubles. */
    MemorySegment doubles(long fieldOffset, long count) {
        return ptr.get(ADDRESS, fieldOffset).reinterpret(count * 8);
    }

    MemorySegment ints(long fieldOffset, long count) {
        return ptr.get(ADDRESS, fieldOffset).reinterpret(count * 4);
    }

    public double[] qpos0() {
        return doubles(MjLayout.M_qpos0, nq).toArray(JAVA_DOUBLE);
    }

    /** Actuator control ranges: {low[nu], high[nu]}; unlimited actuators get ±inf. */
    public double[][] ctrlRange() {
        double[] r = doubles(MjLayout.M_actuator_ctrlrange, 2L * nu).toArray(JAVA_DOUBLE);
        byte[] limited = ptr.get(ADDRESS, MjLayout.M_actuator_ctrllimited).reinterpret(nu).toArray(ValueLayout.JAVA_BYTE);
        double[] lo = new double[nu], hi = new double[nu];
        for (int k = 0; k < nu; k++) {
            boolean lim = limited[k] != 0;
            lo[k] = lim ? r[2 * k] : Double.NEGATIVE_INFINITY;
            hi[k] = lim ? r[2 * k + 1] : Double.POSITIVE_INFINITY;
        }
        return new double[][] {lo, hi};
    }

    public double[] bodyMass() {
        return doubles(MjLayout.M_body_mass, nbody).toArray(JAVA_DOUBLE);
    }

    /**
     * Any mjModel array by its C name ({@code geom_friction}, {@code body_inertia}, {@code actuator_gear}, ...), row-major
     * {@code rows × columns} as doubles (int, byte and float fields widened). Unknown names are an error.
     */
    public double[] array(String field) {
        ModelArray f = ModelArray.of(field);
        long rows = sizeField(f.rows()), cols = f.columns(this);
        long n = rows * cols;
        if (n == 0) return new double[0];
        MemorySegment seg = ptr.get(ADDRESS, f.offset()).reinterpret(n * f.elementBytes());
        double[] out = new double[(int) n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (f.type()) {
                case "mjtNum" -> seg.getAtIndex(JAVA_DOUBLE, i);
                case "float" -> seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                case "int" -> seg.getAtIndex(JAVA_INT, i);
                case "mjtByte", "char" -> seg.get(ValueLayout.JAVA_BYTE, i);
                default -> throw new IllegalArgumentException("mjModel." + field + " has type " + f.type() + ", not numeric");
            };
        }
        return out;
    }

    /** The number of columns of an mjModel array (its row length). */
    public int columns(String field) {
        return (int) ModelArray.of(field).columns(this);
    }

    /** An mjOption scalar ({@code timestep}, {@code integrator}, {@code cone}, ...) as a double. */
    public double option(String name) {
        for (String[] o : MjLayout.OPTION_SCALARS) {
            if (o[0].equals(name)) {
                long off = Long.parseLong(o[1]);
                return o[2].equals("int") ? ptr.get(JAVA_INT, off) : ptr.get(JAVA_DOUBLE, off);
            }
        }
        for (String[] o : MjLayout.OPTION_VECTORS) {
            if (o[0].equals(name)) throw new IllegalArgumentException("mjOption." + name + " is a vector: use optionVector");
        }
        throw new IllegalArgumentException("unknown mjOption scalar '" + name + "'");
    }

    /** An mjOption vector ({@code gravity}, {@code wind}, {@code magnetic}, {@code o_solref}, {@code o_solimp}). */
    public double[] optionVector(String name) {
        for (String[] o : MjLayout.OPTION_VECTORS) {
            if (o[0].equals(name)) {
                return ptr.asSlice(Long.parseLong(o[1]), 8L * Integer.parseInt(o[2])).toArray(JAVA_DOUBLE);
            }
        }
        throw new IllegalArgumentException("unknown mjOption vector '" + name + "'");
    }

    /** The names of one kind of object ({@code body}, {@code jnt}, {@code geom}, {@code actuator}, ...), by id; "" if unnamed. */
    public String[] names(String kind) {
        int count = sizeField(kind.equals("actuator") ? "nu" : "n" + kind);
        double[] adr = array("name_" + kind + "adr");
        int nnames = sizeField("nnames");
        byte[] all = ptr.get(ADDRESS, ModelArray.of("names").offset()).reinterpret(nnames).toArray(ValueLayout.JAVA_BYTE);
        String[] out = new String[count];
        for (int i = 0; i < count; i++) {
            int start = (int) adr[i], end = start;
            while (end < all.length && all[end] != 0) end++;
            out[i] = new String(all, start, end - start, java.nio.charset.StandardCharsets.UTF_8);
        }
        return out;
    }

    /** A size field of mjModel ({@code ngeom}, {@code nuser_body}, ...). */
    public int sizeField(String name) {
        try {
            return i(MjLayout.class.getDeclaredField("M_" + name).getLong(null));
        } catch (NoSuchFieldException | IllegalAccessException e) {
            throw new IllegalArgumentException("unknown mjModel size field '" + name + "'", e);
        }
    }

    /** One entry of the generated mjModel array table. */
    private record ModelArray(String name, long offset, String type, int elementBytes, String rows, String cols) {
        static ModelArray of(String field) {
            for (String[] a : MjLayout.MODEL_ARRAYS) {
                if (a[0].equals(field)) {
                    return new ModelArray(a[0], Long.parseLong(a[1]), a[2], Integer.parseInt(a[3]), a[4], a[5]);
                }
            }
            throw new IllegalArgumentException("unknown mjModel array '" + field + "'");
        }

        long columns(MjModel m) {
            if (Character.isDigit(cols.charAt(0))) return Long.parseLong(cols);
            int star = cols.indexOf('*');
            if (star < 0) return m.sizeField(cols);
            return (long) m.sizeField(cols.substring(0, star)) * Long.parseLong(cols.substring(star + 1));
        }
    }

    /** mj_name2id for a body, or -1. */
    public int bodyId(String name) {
        return name2id(MjLayout.OBJ_BODY, name);
    }

    /** mj_name2id for a site, joint or geom; throws when the model has none of that name. */
    public int siteId(String name) {
        return required(MjLayout.OBJ_SITE, "site", name);
    }

    public int jointId(String name) {
        return required(MjLayout.OBJ_JOINT, "joint", name);
    }

    public int geomId(String name) {
        return required(MjLayout.OBJ_GEOM, "geom", name);
    }

    private int required(int type, String kind, String name) {
        int id = name2id(type, name);
        if (id < 0) throw new MujocoException.LoadError(path + ": the model has no " + kind + " named '" + name + "'");
        return id;
    }

    public int name2id(int type, String name) {
        try (Arena a = Arena.ofConfined()) {
            return (int) MuJoCo.N.MJ_NAME2ID.invokeExact(ptr, type, a.allocateFrom(name));
        } catch (Throwable t) {
            throw MuJoCo.rethrow(t);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (handle.refs.decrementAndGet() == 0) cleanable.clean();
        }
    }

    private volatile boolean closed;

    @Override
    public String toString() {
        return "MjModel[" + path + ", nq=" + nq + ", nv=" + nv + ", nu=" + nu + ", nbody=" + nbody + "]";
    }
}
