package io.dmpo.nn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Pins a thread to one CPU (Linux {@code sched_setaffinity} on the calling thread, through FFM). Why the engine needs
 * it: some VMs' kernels pack runnable threads onto few vCPUs (this project's has {@code sched_vcpu_pack} on its kernel
 * command line), and two engine threads that land on one vCPU run at half speed until the load balancer moves one —
 * often longer than a whole benchmark round or a batch-1 action. Pinned threads stay apart. Opt-in
 * ({@link Parallel#setPinned}): a pinned thread cannot dodge another busy process on its CPU.
 */
public final class Affinity {
    private static final int MASK_BYTES = 128; // 1024 CPUs, glibc's cpu_set_t
    private static volatile int[] allowed;

    private Affinity() {}

    private static final class Native {
        static final MethodHandle SET, GET;

        static {
            Linker linker = Linker.nativeLinker();
            FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
            SET = linker.downcallHandle(linker.defaultLookup().find("sched_setaffinity").orElseThrow(
                    () -> new IllegalStateException("cannot pin threads: no sched_setaffinity in this C library (Linux only)")), fd);
            GET = linker.downcallHandle(linker.defaultLookup().find("sched_getaffinity").orElseThrow(
                    () -> new IllegalStateException("cannot pin threads: no sched_getaffinity in this C library (Linux only)")), fd);
        }
    }

    /**
     * The CPUs this process may run on, ascending, read once (from the first thread that asks, before any pinning).
     * Throws IllegalStateException, with the reason, where threads cannot be pinned.
     */
    public static int[] allowedCpus() {
        return cachedAllowedCpus().clone();
    }

    private static int[] cachedAllowedCpus() {
        int[] a = allowed;
        if (a != null) return a;
        synchronized (Affinity.class) {
            if (allowed == null) {
                if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
                    throw new IllegalStateException("cannot pin threads: CPU affinity is supported on Linux only, not " + System.getProperty("os.name"));
                }
                int[] cpus = currentThreadCpus();
                if (cpus.length == 0) throw new IllegalStateException("cannot pin threads: this process may run on no CPU");
                allowed = cpus;
            }
            return allowed;
        }
    }

    private static volatile boolean warned;

    /**
     * Pins the calling thread like {@link #pinCurrentThread}, for engine threads: where that fails (say the process's
     * CPUs changed after they were read) the thread runs on unpinned, and the first failure is said on stderr — a
     * worker that died instead would be replaced by another that dies the same way.
     */
    static void pinOrWarn(int slot) {
        try {
            pinCurrentThread(slot);
        } catch (IllegalStateException e) {
            if (!warned) {
                warned = true;
                System.err.println("dmpo: warning: " + e.getMessage() + "; engine threads run unpinned");
            }
        }
    }

    /** Why threads cannot be pinned here (the error {@link #allowedCpus} would throw), or null where they can. */
    public static String unavailableReason() {
        try {
            cachedAllowedCpus();
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** Pins the calling thread to the {@code slot}-th allowed CPU (slots wrap around the allowed CPUs); returns it. */
    public static int pinCurrentThread(int slot) {
        if (slot < 0) throw new IllegalArgumentException("slot must be >= 0, got " + slot);
        int[] cpus = cachedAllowedCpus();
        int cpu = cpus[slot % cpus.length];
        setCurrentThreadCpus(new int[] {cpu});
        return cpu;
    }

    /**
     * Lets the calling thread run on every allowed CPU again (threads it creates from now on inherit that, e.g. another
     * library's thread pool started from it).
     */
    public static void unpinCurrentThread() {
        setCurrentThreadCpus(cachedAllowedCpus());
    }

    private static void setCurrentThreadCpus(int[] cpus) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES);
            for (int cpu : cpus) mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (mask.get(ValueLayout.JAVA_BYTE, cpu / 8) | (1 << (cpu % 8))));
            int rc = (int) Native.SET.invokeExact(0, (long) MASK_BYTES, mask);
            if (rc != 0) throw new IllegalStateException("cannot set the thread's CPUs to " + java.util.Arrays.toString(cpus) + ": sched_setaffinity failed");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot set the thread's CPUs to " + java.util.Arrays.toString(cpus) + ": " + e, e);
        }
    }

    /** The CPUs the calling thread may run on now, ascending. */
    static int[] currentThreadCpus() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES);
            int rc = (int) Native.GET.invokeExact(0, (long) MASK_BYTES, mask);
            if (rc != 0) throw new IllegalStateException("cannot read CPU affinity: sched_getaffinity failed");
            List<Integer> cpus = new ArrayList<>();
            for (int cpu = 0; cpu < MASK_BYTES * 8; cpu++) {
                if ((mask.get(ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0) cpus.add(cpu);
            }
            return cpus.stream().mapToInt(Integer::intValue).toArray();
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read CPU affinity: " + e, e);
        }
    }
}
