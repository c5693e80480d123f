package io.dmpo.mujoco;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The native entry points: Debian's {@code libmujoco.so.2.2.2} (loaded by SONAME) and the build-time C shim
 * {@code libdmpo_mjshim.so} that contains {@code mju_error}. Every call that may raise a MuJoCo error goes through a
 * guarded shim function, so an error becomes a Java exception instead of a dead JVM.
 *
 * <p>The library is loaded lazily on first use; {@link #available()} reports whether it could be loaded.
 */
public final class MuJoCo {
    public static final String SONAME = "libmujoco.so.2.2.2";
    static final String INSTALL_HINT = "apt-get install libmujoco-dev";

    private MuJoCo() {}

    /** Lazily-initialized holder: class init fails (once, with a clear message) when the library is missing. */
    static final class N {
        static final MethodHandle MJ_VERSION, MJ_DELETE_MODEL, MJ_DELETE_DATA, MJ_NAME2ID, MJ_JAC_SITE;
        static final MethodHandle SHIM_INIT, SHIM_ERROR_MSG, SHIM_STEP, SHIM_FORWARD, SHIM_RESET,
                SHIM_MAKE_DATA, SHIM_LOAD_XML, SHIM_RAISE;
        static final int VERSION;
        static final Throwable FAILURE;
        /** The two libraries, for entry points bound elsewhere (rendering, Jacobians); null when loading failed. */
        static final SymbolLookup MJ_LIBRARY, SHIM_LIBRARY;

        static {
            MethodHandle v = null, dm = null, dd = null, n2i = null, jac = null, init = null, em = null, st = null,
                    fw = null, rs = null, md = null, lx = null, re = null;
            int version = 0;
            Throwable failure = null;
            SymbolLookup mjLibrary = null, shimLibrary = null;
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup mj;
                // dmpo.mujoco.library: another file name or path of libmujoco (tests use it to simulate a missing one)
                String lib = System.getProperty("dmpo.mujoco.library", SONAME);
                try {
                    mj = SymbolLookup.libraryLookup(lib, Arena.global());
                } catch (IllegalArgumentException e) {
                    throw new MujocoException.Unavailable("cannot load " + lib + " (MuJoCo 2.2.2); install it: "
                            + INSTALL_HINT, e);
                }
                Path shimPath = shimLibrary();
                SymbolLookup shim = SymbolLookup.libraryLookup(shimPath, Arena.global());
                mjLibrary = mj;
                shimLibrary = shim;
                v = linker.downcallHandle(find(mj, "mj_version"), FunctionDescriptor.of(JAVA_INT));
                dm = linker.downcallHandle(find(mj, "mj_deleteModel"), FunctionDescriptor.ofVoid(ADDRESS));
                dd = linker.downcallHandle(find(mj, "mj_deleteData"), FunctionDescriptor.ofVoid(ADDRESS));
                n2i = linker.downcallHandle(find(mj, "mj_name2id"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
                jac = linker.downcallHandle(find(mj, "mj_jacSite"),
                        FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
                init = linker.downcallHandle(find(shim, "dmpo_init"), FunctionDescriptor.of(JAVA_INT));
                em = linker.downcallHandle(find(shim, "dmpo_error_message"), FunctionDescriptor.of(ADDRESS));
                st = linker.downcallHandle(find(shim, "dmpo_step"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
                fw = linker.downcallHandle(find(shim, "dmpo_forward"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
                rs = linker.downcallHandle(find(shim, "dmpo_reset"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
                md = linker.downcallHandle(find(shim, "dmpo_make_data"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
                lx = linker.downcallHandle(find(shim, "dmpo_load_xml"),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
                re = linker.downcallHandle(find(shim, "dmpo_raise_error"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
                version = (int) init.invokeExact();
                if (version != MjLayout.VERSION_HEADER) {
                    throw new MujocoException.Unavailable("MuJoCo version mismatch: " + SONAME + " reports " + version
                            + " but dmpo-mujoco was built against headers " + MjLayout.VERSION_HEADER
                            + "; rebuild dmpo-mujoco", null);
                }
            } catch (Throwable t) {
                failure = t;
            }
            MJ_JAC_SITE = jac;
            MJ_VERSION = v; MJ_DELETE_MODEL = dm; MJ_DELETE_DATA = dd; MJ_NAME2ID = n2i;
            SHIM_INIT = init; SHIM_ERROR_MSG = em; SHIM_STEP = st; SHIM_FORWARD = fw;
            SHIM_RESET = rs; SHIM_MAKE_DATA = md; SHIM_LOAD_XML = lx; SHIM_RAISE = re;
            VERSION = version;
            FAILURE = failure;
            MJ_LIBRARY = failure == null ? mjLibrary : null;
            SHIM_LIBRARY = failure == null ? shimLibrary : null;
        }

        static MemorySegment find(SymbolLookup lookup, String name) {
            Optional<MemorySegment> s = lookup.find(name);
            return s.orElseThrow(() -> new MujocoException.Unavailable("symbol " + name + " not found", null));
        }
    }

    /** Throws a one-line {@link MujocoException.Unavailable} when the native libraries could not be loaded. */
    static void ensureLoaded() {
        Throwable f = N.FAILURE;
        if (f != null) {
            if (f instanceof MujocoException.Unavailable u) throw new MujocoException.Unavailable(u.getMessage(), u);
            throw new MujocoException.Unavailable("cannot load MuJoCo: " + f + "; install it: " + INSTALL_HINT, f);
        }
    }

    /** Whether libmujoco and the shim loaded. */
    public static boolean available() {
        return N.FAILURE == null;
    }

    /** mj_version() of the loaded library, e.g. 222. */
    public static int version() {
        ensureLoaded();
        return N.VERSION;
    }

    /** The shim's last error message on this thread. */
    static String lastError() {
        try {
            MemorySegment p = (MemorySegment) N.SHIM_ERROR_MSG.invokeExact();
            return p.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Raises {@code msg} through MuJoCo's own mju_error, inside a guard: returns the exception it becomes. */
    public static MujocoException raiseErrorForTest(String msg) {
        ensureLoaded();
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) N.SHIM_RAISE.invokeExact(a.allocateFrom(msg));
            return rc == 0 ? null : new MujocoException(lastError());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new MujocoException(t.toString(), t);
    }

    /** Locates the shim: a file in target/classes, or extracted from the jar to a temporary file. */
    private static Path shimLibrary() throws IOException, URISyntaxException {
        String res = "native/linux-x86_64/libdmpo_mjshim.so";
        URL url = MuJoCo.class.getResource(res);
        if (url == null) {
            throw new MujocoException.Unavailable("the dmpo MuJoCo shim (" + res + ") is missing from the classpath; "
                    + "rebuild dmpo-mujoco (it needs: " + INSTALL_HINT + ")", null);
        }
        if ("file".equals(url.getProtocol())) return Path.of(url.toURI());
        Path tmp = Files.createTempFile("dmpo_mjshim", ".so");
        tmp.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        return tmp;
    }

    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;
}
