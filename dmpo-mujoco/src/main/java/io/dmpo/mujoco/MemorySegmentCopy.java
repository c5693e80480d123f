package io.dmpo.mujoco;

import java.lang.foreign.MemorySegment;

final class MemorySegmentCopy {
    private MemorySegmentCopy() {}

    /** Copies {@code n} doubles from native array {@code src[from..]} into {@code dst[at..]}. */
    static void copy(MemorySegment src, int from, double[] dst, int at, int n) {
        MemorySegment.copy(src, MuJoCo.F64, (long) from * 8, dst, at, n);
    }
}
