package io.dmpo.nn;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by every live thread of the JVM between {@link #start} and {@link #bytes}: the caller and the helper
 * threads of any {@link Team} or pool alike, so a figure never depends on which member claimed which part. The thread
 * list is taken at {@link #start} (start it once the threads exist); the meter's own arrays are made there too, so
 * they do not count.
 */
public final class AllocationMeter {
    private final com.sun.management.ThreadMXBean mx;
    private long[] ids = new long[0];
    private long before;

    public AllocationMeter() {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean)
                || !bean.isThreadAllocatedMemorySupported()) {
            throw new UnsupportedOperationException("this JVM does not count allocated bytes per thread");
        }
        this.mx = bean;
        if (!mx.isThreadAllocatedMemoryEnabled()) mx.setThreadAllocatedMemoryEnabled(true);
    }

    /** Starts a measurement over the threads alive now. */
    public void start() {
        ids = mx.getAllThreadIds();
        total(); // the first call initializes the counters' machinery (and allocates)
        before = total();
    }

    /** Bytes allocated since {@link #start} by the threads alive then. */
    public long bytes() {
        return total() - before;
    }

    private long total() {
        long s = 0;
        for (long b : mx.getThreadAllocatedBytes(ids)) s += Math.max(0, b); // -1: ended in between, allocates no more
        return s;
    }
}
