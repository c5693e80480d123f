package io.dmpo.mujoco;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Headless offscreen camera images of a model: MuJoCo's renderer in an EGL surfaceless context (Mesa's software
 * rasterizer; no X server, no GPU). Images come out top-down as uint8 {@code C × H × W} channel planes — the pixel
 * actor's layout — and optionally as metric depth {@code H × W}.
 *
 * <p>A GL context belongs to one OS thread, so each renderer owns one dedicated platform thread on which every GL
 * call runs; {@link #render} hands the frame to it and waits (park/unpark on preallocated fields: a frame allocates
 * nothing, so a control loop can render at a fixed rate without garbage). The data must not be stepped while a frame
 * renders (the calling thread is blocked, so a single-threaded caller cannot). One caller at a time.
 *
 * <p>Lean settings (the default) turn off shadows, reflections and multisampling and size MuJoCo's offscreen buffer
 * to the image: about 1 ms per 96×96 frame of a small scene instead of ~20 ms with a model's default visuals.
 *
 * <p>Failures: missing GL libraries → {@link MujocoException.Unavailable} naming the packages; so is a failed first
 * MuJoCo context, and either is final for the process (MuJoCo's one-time GL loader cannot be retried: it would
 * deadlock), so every later {@link #open} throws the same message at once. A model MuJoCo cannot render (once
 * rendering works) is a plain {@link MujocoException} for that renderer only.
 *
 * <p>{@link #close} is mandatory: the render thread holds the renderer, so an unclosed one keeps its GL context and
 * thread (a daemon) until the JVM exits.
 */
public final class Renderer implements AutoCloseable {
    /** Debian packages that provide headless rendering. */
    public static final String GL_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri";

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static volatile String fatal;
    /** How long before a frame's expected end the caller starts spinning, and how long after it gives up. */
    private static final long SPIN_MARGIN_NANOS = 300_000;

    private final MjModel model;
    private final int width, height;
    private final boolean depth;
    private final Thread thread;
    /** The hand-off: the job the render thread runs next (null when idle), who waits for it, what it threw. */
    private volatile NativeCall<?> job;
    private volatile boolean jobDone, stopping;
    private volatile Thread waiter;
    private Object jobResult;
    private Throwable jobError;
    private MjData frameData;
    private volatile long expectedFrameNanos; // moving average of recent frames' render time, on the render thread
    private int frameCamera;
    private final NativeCall<Object> frameJob = this::renderFrame;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment rgbBuffer, depthBuffer;
    private MemorySegment handle;
    private boolean closed;

    /** Native entry points, bound on first use. */
    private static final class R {
        static final MethodHandle CREATE, FRAME, FREE, LOOP;

        static {
            MuJoCo.ensureLoaded();
            Linker linker = Linker.nativeLinker();
            var shim = MuJoCo.N.SHIM_LIBRARY;
            CREATE = linker.downcallHandle(MuJoCo.N.find(shim, "dmpo_render_create"), FunctionDescriptor.of(JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
            FRAME = linker.downcallHandle(MuJoCo.N.find(shim, "dmpo_render_frame"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
            FREE = linker.downcallHandle(MuJoCo.N.find(shim, "dmpo_render_free"), FunctionDescriptor.ofVoid(ADDRESS));
            LOOP = linker.downcallHandle(MuJoCo.N.find(shim, "dmpo_render_loop"),
                    FunctionDescriptor.of(JAVA_DOUBLE, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
        }
    }

    private Renderer(MjModel model, int width, int height, boolean depth) {
        this.model = model;
        this.width = width;
        this.height = height;
        this.depth = depth;
        this.rgbBuffer = arena.allocate(3L * width * height);
        this.depthBuffer = depth ? arena.allocate(4L * width * height, 4) : MemorySegment.NULL;
        this.thread = Thread.ofPlatform().daemon().name("dmpo-render-" + THREADS.incrementAndGet()).unstarted(this::serve);
        this.thread.start();
    }

    /**
     * A renderer for {@code model} making {@code width × height} images; {@code lean} as described above;
     * {@code depth}: also read the depth buffer. The model must stay open while the renderer is used.
     */
    public static Renderer open(MjModel model, int width, int height, boolean lean, boolean depth) {
        if (width < 1 || height < 1 || width > 4096 || height > 4096) {
            throw new IllegalArgumentException("image size must be within 1..4096, got " + width + "x" + height);
        }
        MuJoCo.ensureLoaded();
        String f = fatal;
        if (f != null) throw new MujocoException.Unavailable(f, null);
        Renderer r = new Renderer(model, width, height, depth);
        try {
            r.handle = r.onThread(() -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment out = a.allocate(ADDRESS), err = a.allocate(1024);
                    // dmpo.egl.library: another libEGL file name (tests use it to simulate a machine without one)
                    String lib = System.getProperty("dmpo.egl.library");
                    MemorySegment library = lib == null ? MemorySegment.NULL : a.allocateFrom(lib);
                    int rc = (int) R.CREATE.invokeExact(library, model.ptr, width, height, lean ? 1 : 0, 2000, out, err, 1024);
                    if (rc == 2) {
                        String msg = "offscreen rendering unavailable: " + err.getString(0).strip();
                        fatal = msg;
                        throw new MujocoException.Unavailable(msg, null);
                    }
                    if (rc != 0) throw new MujocoException("cannot render " + model.path().getFileName() + ": " + err.getString(0).strip());
                    return out.get(ADDRESS, 0);
                }
            });
        } catch (RuntimeException e) {
            r.stopThread();
            r.arena.close();
            throw e;
        }
        return r;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Values per RGB image: 3 · height · width. */
    public int rgbSize() {
        return 3 * width * height;
    }

    /**
     * The id of the camera named {@code name} ({@code -1} for "free": the model's default free camera); an unknown
     * name is an error listing the model's cameras.
     */
    public static int cameraId(MjModel model, String name) {
        if (name.equals("free")) return -1;
        int id = model.name2id(MjLayout.OBJ_CAMERA, name);
        if (id < 0) {
            String[] names = model.names("cam");
            throw new IllegalArgumentException("the model has no camera '" + name + "'; its cameras: free"
                    + (names.length == 0 ? "" : ", " + String.join(", ", names)));
        }
        return id;
    }

    /** Renders camera {@code camera} (-1: free camera) of {@code data}'s current state into this renderer's buffers. */
    public void render(MjData data, int camera) {
        if (closed) throw new IllegalStateException("renderer is closed");
        if (data.model() != model) throw new IllegalArgumentException("the data belongs to another model than the renderer's");
        synchronized (this) {
            frameData = data;
            frameCamera = camera;
            onThread(frameJob);
            frameData = null;
        }
    }

    /** Copies the last frame's image (uint8 C×H×W) into {@code out[off ...]}. */
    public void copyRgb(byte[] out, int off) {
        MemorySegment.copy(rgbBuffer, JAVA_BYTE, 0, out, off, rgbSize());
    }

    /** Copies the last frame's image into {@code out[off ...]} as values 0..255 (the pixel actor's input). */
    public void copyRgb(double[] out, int off) {
        int n = rgbSize();
        for (int i = 0; i < n; i++) out[off + i] = rgbBuffer.get(JAVA_BYTE, i) & 0xff;
    }

    /** The last frame's image as a new array (uint8 C×H×W). */
    public byte[] rgb() {
        byte[] out = new byte[rgbSize()];
        copyRgb(out, 0);
        return out;
    }

    /** The last frame's depth in metres (H×W, top-down); only for a renderer opened with depth. */
    public float[] depth() {
        if (!depth) throw new IllegalStateException("this renderer was opened without depth");
        return depthBuffer.toArray(JAVA_FLOAT);
    }

    /**
     * The C reference for benchmarks: {@code frames} renders of the same state by a loop in C on the render thread
     * (the same calls {@link #render} makes, without the JVM); returns seconds.
     */
    public double cLoopSeconds(MjData data, int camera, int frames) {
        if (closed) throw new IllegalStateException("renderer is closed");
        if (data.model() != model) throw new IllegalArgumentException("the data belongs to another model than the renderer's");
        return onThread(() -> {
            double s = (double) R.LOOP.invokeExact(handle, model.ptr, data.ptr, camera, rgbBuffer, frames);
            // the shim's message is per thread: read it here, on the render thread
            if (s < 0) throw new MujocoException("MuJoCo error while rendering: " + MuJoCo.lastError());
            return s;
        });
    }

    /** A native call, which may throw anything (MethodHandle.invokeExact declares Throwable). */
    private interface NativeCall<T> {
        T call() throws Throwable;
    }

    /** One frame of {@link #frameData} and {@link #frameCamera}; on the render thread. */
    private Object renderFrame() throws Throwable {
        long start = System.nanoTime();
        try {
            return renderFrameNow();
        } finally {
            expectedFrameNanos = (3 * expectedFrameNanos + System.nanoTime() - start) / 4;
        }
    }

    private Object renderFrameNow() throws Throwable {
        int rc = (int) R.FRAME.invokeExact(handle, model.ptr, frameData.ptr, frameCamera, rgbBuffer, depthBuffer);
        if (rc != 0) throw new MujocoException("MuJoCo error while rendering: " + MuJoCo.lastError());
        return null;
    }

    /** Runs {@code work} on the render thread and returns its result; rethrows what it threw. */
    @SuppressWarnings("unchecked")
    private synchronized <T> T onThread(NativeCall<T> work) {
        if (stopping || !thread.isAlive()) throw new IllegalStateException("renderer is closed");
        jobError = null;
        jobResult = null;
        jobDone = false;
        waiter = Thread.currentThread();
        job = work;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        long start = System.nanoTime();
        boolean frame = work == frameJob;
        // a frame: sleep through most of its expected duration, then spin for the rest, so the caller does not pay a
        // thread wake-up (~0.1 ms here) per frame; the spin is bounded, then the caller parks until unparked
        long expected = frame ? expectedFrameNanos : 0;
        long spinFrom = start + expected - SPIN_MARGIN_NANOS, spinUntil = start + expected + SPIN_MARGIN_NANOS;
        while (!jobDone) {
            long now = System.nanoTime();
            if (now < spinFrom) {
                LockSupport.parkNanos(this, spinFrom - now);
            } else if (now < spinUntil) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 100_000_000L);
                if (!jobDone && !thread.isAlive()) throw new MujocoException("the render thread has stopped");
            }
            if (Thread.interrupted()) interrupted = true; // the frame is in flight: finish it, then restore the flag
        }

        if (interrupted) Thread.currentThread().interrupt();
        Throwable e = jobError;
        if (e != null) {
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error err) throw err;
            throw new MujocoException(e.toString(), e);
        }
        return (T) jobResult;
    }

    /** The render thread: runs each job handed to it, until stopped. */
    private void serve() {
        while (!stopping) {
            NativeCall<?> j = job;
            if (j == null) {
                LockSupport.park(this);
                continue;
            }
            job = null;
            try {
                jobResult = j.call();
            } catch (Throwable t) {
                jobError = t;
            }
            jobDone = true;
            LockSupport.unpark(waiter);
        }
    }

    private void stopThread() {
        stopping = true;
        LockSupport.unpark(thread);
    }

    /** Frees the GL context on its thread and stops the thread. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            onThread(() -> {
                R.FREE.invokeExact(handle);
                return null;
            });
        } finally {
            stopThread();
            arena.close();
        }
    }
}
